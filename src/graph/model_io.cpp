/// ONNX model I/O implementation: coded streams with raised limits, external data in and out.
#include "graph/model_io.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/files.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

/// A non-negative byte count of an external_data entry ("offset", "length"), parsed strictly.
Result<int64_t> external_number(const std::string& text, const std::string& what) {
  int64_t value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return data_loss(what + " '" + text + "' is not a non-negative integer");
  }
  return value;
}

Status read_external(onnx::TensorProto* tensor, const fs::path& base_dir,
                     const std::string& model_path) {
  const std::string where = model_path + ": initializer '" + tensor->name() + "'";
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : tensor->external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      ASSIGN_OR_RETURN(offset, external_number(entry.value(), where + ": external data offset"));
    } else if (entry.key() == "length") {
      ASSIGN_OR_RETURN(length, external_number(entry.value(), where + ": external data length"));
    }
  }
  if (location.empty()) return data_loss(where + " is external but has no location");
  // The location is a file beside the model: a model must not make us read /etc/shadow or a
  // sibling's files, so absolute paths and ".." are refused before anything is opened.
  const fs::path relative = fs::path(location).lexically_normal();
  const bool escapes = relative.is_absolute() || relative.has_root_name() ||
                       location.find('\0') != std::string::npos ||
                       std::any_of(relative.begin(), relative.end(),
                                   [](const fs::path& part) { return part == ".."; });
  if (escapes) {
    return data_loss(where + ": external data location '" + location +
                     "' is outside the model's folder (absolute or with '..'); keep the data "
                     "file beside the model");
  }
  const fs::path file = base_dir / relative;
  // A symbolic link inside the folder may still point out of it.
  std::error_code base_ec, file_ec, ec;
  const fs::path real_base =
      fs::weakly_canonical(base_dir.empty() ? fs::path(".") : base_dir, base_ec);
  const fs::path real_file = fs::weakly_canonical(file, file_ec);
  const auto common =
      std::mismatch(real_base.begin(), real_base.end(), real_file.begin(), real_file.end());
  if (base_ec || file_ec || common.first != real_base.end()) {
    return data_loss(where + ": external data location '" + location + "' resolves to '" +
                     real_file.string() + "', outside the model's folder");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in || fs::is_directory(file, ec)) {
    return not_found(model_path + ": external data file '" + file.string() + "' for initializer '" +
                     tensor->name() + "' cannot be opened; keep it beside the model");
  }
  in.seekg(0, std::ios::end);
  const int64_t file_size = in.tellg();
  if (length < 0) length = std::max<int64_t>(0, file_size - offset);
  // offset and length are each at most INT64_MAX: compare without adding them.
  if (offset > file_size || length > file_size - offset) {
    return data_loss(where + ": external data wants " + std::to_string(length) +
                     " bytes at offset " + std::to_string(offset) + " of '" + location +
                     "' but the file has " + std::to_string(file_size));
  }
  std::string data(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(data.data(), length);
  if (in.gcount() != length) {
    return data_loss(where + ": reading " + std::to_string(length) + " bytes of '" + location +
                     "' failed");
  }
  tensor->set_raw_data(std::move(data));
  tensor->clear_external_data();
  tensor->clear_data_location();
  return ok_status();
}

template <typename Fn>
Status for_each_initializer(onnx::GraphProto* graph, Fn&& fn) {
  for (auto& t : *graph->mutable_initializer()) RETURN_IF_ERROR(fn(&t));
  for (auto& node : *graph->mutable_node()) {
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_t()) RETURN_IF_ERROR(fn(attr.mutable_t()));
      if (attr.has_g()) RETURN_IF_ERROR(for_each_initializer(attr.mutable_g(), fn));
      for (auto& g : *attr.mutable_graphs()) RETURN_IF_ERROR(for_each_initializer(&g, fn));
    }
  }
  return ok_status();
}

Status parse_stream(google::protobuf::io::ZeroCopyInputStream* raw, onnx::ModelProto* model,
                    const std::string& label) {
  google::protobuf::io::CodedInputStream coded(raw);
  coded.SetTotalBytesLimit(INT_MAX);  // the default 64 MB cap would reject large models
  if (!model->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    return data_loss(label +
                     " is not a valid ONNX model (truncated or corrupt protobuf); "
                     "re-export it or check the download");
  }
  if (model->graph().node_size() == 0) {
    return data_loss(label +
                     " parsed but has an empty graph (no nodes); is it really an ONNX model?");
  }
  return ok_status();
}

}  // namespace

Result<onnx::ModelProto> load_model(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found("model file '" + path + "' does not exist");
  if (fs::is_directory(path, ec))
    return invalid_argument("'" + path + "' is a directory, expected an .onnx file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return permission_denied("cannot open model file '" + path + "': " + std::strerror(errno));
  google::protobuf::io::IstreamInputStream stream(&in);
  onnx::ModelProto model;
  RETURN_IF_ERROR(parse_stream(&stream, &model, "'" + path + "'"));
  if (options.load_external_data) {
    const fs::path base = fs::path(path).parent_path();
    RETURN_IF_ERROR(for_each_initializer(model.mutable_graph(), [&](onnx::TensorProto* t) {
      if (t->data_location() != onnx::TensorProto::EXTERNAL) return ok_status();
      return read_external(t, base, path);
    }));
  }
  return model;
}

Result<onnx::ModelProto> parse_model(const std::string& bytes, const std::string& label) {
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  onnx::ModelProto model;
  RETURN_IF_ERROR(parse_stream(&stream, &model, label));
  return model;
}

Result<std::string> serialize_model(const onnx::ModelProto& model) {
  const size_t bytes = model.ByteSizeLong();
  if (bytes > static_cast<size_t>(INT_MAX)) {
    return out_of_range("model is " + std::to_string(bytes) +
                        " bytes, over protobuf's 2 GB limit; "
                        "save it to a file (weights go to external data)");
  }
  std::string out;
  if (!model.SerializeToString(&out)) return internal_error("serializing the model failed");
  return out;
}

Status save_model(const onnx::ModelProto& model, const std::string& path,
                  const SaveOptions& options) {
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  const onnx::ModelProto* to_write = &model;
  onnx::ModelProto external_copy;
  const std::string data_name = target.filename().string() + ".data";
  const bool external =
      static_cast<int64_t>(model.ByteSizeLong()) > options.external_data_threshold_bytes;
  if (external) {
    // Move large initializers to a side file so the protobuf itself stays under 2 GB. The side
    // file is replaced first: a model file never names data that is not there yet.
    external_copy = model;
    RETURN_IF_ERROR(replace_file_atomic(path + ".data", [&](const std::string& tmp) -> Status {
      std::ofstream data_out(tmp, std::ios::binary | std::ios::trunc);
      if (!data_out)
        return permission_denied("cannot write '" + path + ".data': " + std::strerror(errno));
      int64_t offset = 0;
      RETURN_IF_ERROR(
          for_each_initializer(external_copy.mutable_graph(), [&](onnx::TensorProto* t) {
            if (!t->has_raw_data() ||
                static_cast<int64_t>(t->raw_data().size()) < options.external_min_tensor_bytes) {
              return ok_status();
            }
            const std::string& raw = t->raw_data();
            data_out.write(raw.data(), static_cast<std::streamsize>(raw.size()));
            t->set_data_location(onnx::TensorProto::EXTERNAL);
            auto add = [&](const char* key, const std::string& value) {
              auto* entry = t->add_external_data();
              entry->set_key(key);
              entry->set_value(value);
            };
            add("location", data_name);
            add("offset", std::to_string(offset));
            add("length", std::to_string(raw.size()));
            offset += static_cast<int64_t>(raw.size());
            t->clear_raw_data();
            return ok_status();
          }));
      data_out.close();
      if (!data_out) return resource_exhausted("writing '" + path + ".data' failed (disk full?)");
      return ok_status();
    }));
    to_write = &external_copy;
  }
  return replace_file_atomic(path, [&](const std::string& tmp) -> Status {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return permission_denied("cannot write '" + path + "': " + std::strerror(errno));
    if (!to_write->SerializeToOstream(&out))
      return resource_exhausted("writing model '" + path + "' failed (disk full, or over 2 GB?)");
    out.close();
    if (!out) return resource_exhausted("writing model '" + path + "' failed (disk full?)");
    return ok_status();
  });
}

int64_t model_opset(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  }
  return 0;
}

}  // namespace edgetier
