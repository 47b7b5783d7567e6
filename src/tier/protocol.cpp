/// KServe v2 wire helpers. Everything here handles bytes from sockets: no asserts, no trust.
#include "tier/protocol.h"

#include <cstring>
#include <limits>
#include <unordered_set>

#include "core/strings.h"

namespace edgetier::tier {

std::string protocol_version() {
  return std::to_string(kProtocolMajor) + "." + std::to_string(kProtocolMinor);
}

Status check_protocol_version(const std::string& reported, const std::string& tier) {
  const std::string theirs = reported.empty() ? "1.0" : reported;
  const size_t dot = theirs.find('.');
  const std::string major = theirs.substr(0, dot);
  if (major == std::to_string(kProtocolMajor)) return ok_status();
  return failed_precondition("tier '" + tier + "' speaks control protocol " + theirs +
                             " but this edgetier speaks " + protocol_version() +
                             " (major versions differ); run the same edgetier major version "
                             "on every device");
}
namespace {

struct DatatypeName {
  DType dtype;
  std::string_view name;
};
constexpr DatatypeName kDatatypes[] = {
    {DType::kBool, "BOOL"},     {DType::kUInt8, "UINT8"},   {DType::kUInt16, "UINT16"},
    {DType::kUInt32, "UINT32"}, {DType::kUInt64, "UINT64"}, {DType::kInt8, "INT8"},
    {DType::kInt16, "INT16"},   {DType::kInt32, "INT32"},   {DType::kInt64, "INT64"},
    {DType::kFloat16, "FP16"},  {DType::kFloat32, "FP32"},  {DType::kFloat64, "FP64"},
    {DType::kString, "BYTES"},
};

// Typed (non-raw) contents as bytes; returns the number of elements found for the dtype.
template <typename Src, typename Dst>
void append_converted(const google::protobuf::RepeatedField<Src>& values,
                      std::vector<uint8_t>* out) {
  const size_t offset = out->size();
  out->resize(offset + values.size() * sizeof(Dst));
  auto* dst = reinterpret_cast<Dst*>(out->data() + offset);
  for (int i = 0; i < values.size(); ++i) dst[i] = static_cast<Dst>(values.Get(i));
}

Result<std::vector<uint8_t>> typed_contents(const inference::InferTensorContents& contents,
                                            DType dtype, int64_t num_elements,
                                            std::string_view name) {
  std::vector<uint8_t> data;
  int64_t count = -1;
  switch (dtype) {
    case DType::kBool:
      count = contents.bool_contents_size();
      if (count == num_elements) append_converted<bool, uint8_t>(contents.bool_contents(), &data);
      break;
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
      count = contents.int_contents_size();
      if (count != num_elements) break;
      if (dtype == DType::kInt8) append_converted<int32_t, int8_t>(contents.int_contents(), &data);
      if (dtype == DType::kInt16)
        append_converted<int32_t, int16_t>(contents.int_contents(), &data);
      if (dtype == DType::kInt32)
        append_converted<int32_t, int32_t>(contents.int_contents(), &data);
      break;
    case DType::kInt64:
      count = contents.int64_contents_size();
      if (count == num_elements)
        append_converted<int64_t, int64_t>(contents.int64_contents(), &data);
      break;
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32:
      count = contents.uint_contents_size();
      if (count != num_elements) break;
      if (dtype == DType::kUInt8)
        append_converted<uint32_t, uint8_t>(contents.uint_contents(), &data);
      if (dtype == DType::kUInt16)
        append_converted<uint32_t, uint16_t>(contents.uint_contents(), &data);
      if (dtype == DType::kUInt32)
        append_converted<uint32_t, uint32_t>(contents.uint_contents(), &data);
      break;
    case DType::kUInt64:
      count = contents.uint64_contents_size();
      if (count == num_elements)
        append_converted<uint64_t, uint64_t>(contents.uint64_contents(), &data);
      break;
    case DType::kFloat32:
      count = contents.fp32_contents_size();
      if (count == num_elements) append_converted<float, float>(contents.fp32_contents(), &data);
      break;
    case DType::kFloat64:
      count = contents.fp64_contents_size();
      if (count == num_elements) append_converted<double, double>(contents.fp64_contents(), &data);
      break;
    default:
      return invalid_argument("tensor '" + std::string(name) + "': datatype " +
                              std::string(kserve_datatype(dtype)) +
                              " must be sent in raw_input_contents");
  }
  if (count != num_elements) {
    return invalid_argument("tensor '" + std::string(name) + "': shape needs " +
                            std::to_string(num_elements) + " elements, contents hold " +
                            std::to_string(count));
  }
  return data;
}

std::vector<int64_t> shape_of(const google::protobuf::RepeatedField<int64_t>& dims) {
  return std::vector<int64_t>(dims.begin(), dims.end());
}

}  // namespace

std::string_view kserve_datatype(DType dtype) {
  for (const auto& entry : kDatatypes) {
    if (entry.dtype == dtype) return entry.name;
  }
  return "INVALID";
}

Result<DType> dtype_from_kserve(std::string_view datatype) {
  for (const auto& entry : kDatatypes) {
    if (entry.name == datatype) return entry.dtype;
  }
  return invalid_argument("unknown datatype '" + std::string(datatype.substr(0, 64)) +
                          "'; expected one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, "
                          "BYTES");
}

std::string pack_bytes(const std::vector<std::string_view>& elements) {
  size_t total = 0;
  for (auto e : elements) total += 4 + e.size();
  std::string out;
  out.reserve(total);
  for (auto e : elements) {
    const auto n = static_cast<uint32_t>(e.size());
    const char prefix[4] = {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                            static_cast<char>((n >> 16) & 0xff),
                            static_cast<char>((n >> 24) & 0xff)};
    out.append(prefix, 4);
    out.append(e.data(), e.size());
  }
  return out;
}

Result<std::vector<std::string_view>> unpack_bytes(std::string_view raw, int64_t expected_count,
                                                   std::string_view tensor_name) {
  std::vector<std::string_view> elements;
  size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos < 4) {
      return invalid_argument("BYTES tensor '" + std::string(tensor_name) + "': truncated length " +
                              "prefix at byte " + std::to_string(pos));
    }
    const auto* p = reinterpret_cast<const uint8_t*>(raw.data() + pos);
    const uint64_t n =
        uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 | uint64_t{p[3]} << 24;
    pos += 4;
    if (n > raw.size() - pos) {
      return invalid_argument("BYTES tensor '" + std::string(tensor_name) + "': element " +
                              std::to_string(elements.size()) + " claims " + std::to_string(n) +
                              " bytes, only " + std::to_string(raw.size() - pos) + " remain");
    }
    if (static_cast<int64_t>(elements.size()) >= expected_count) {
      return invalid_argument("BYTES tensor '" + std::string(tensor_name) + "' holds more than " +
                              "the " + std::to_string(expected_count) + " elements its shape says");
    }
    elements.push_back(raw.substr(pos, n));
    pos += n;
  }
  if (static_cast<int64_t>(elements.size()) != expected_count) {
    return invalid_argument("BYTES tensor '" + std::string(tensor_name) + "' holds " +
                            std::to_string(elements.size()) + " elements, its shape says " +
                            std::to_string(expected_count));
  }
  return elements;
}

Result<int64_t> checked_num_elements(const std::vector<int64_t>& shape, int64_t max_elements,
                                     std::string_view tensor_name) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      return invalid_argument("tensor '" + std::string(tensor_name) + "': negative dimension in " +
                              "shape " + shape_to_string(shape));
    }
    if (d != 0 && n > max_elements / d) {
      return invalid_argument("tensor '" + std::string(tensor_name) + "': shape " +
                              shape_to_string(shape) + " has more than " +
                              std::to_string(max_elements) + " elements");
    }
    n *= d;
  }
  return n;
}

Result<std::vector<Tensor>> tensors_from_request(const inference::ModelInferRequest& request,
                                                 const std::vector<TensorInfo>& expected) {
  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return invalid_argument("request has " + std::to_string(request.inputs_size()) +
                            " inputs but " + std::to_string(request.raw_input_contents_size()) +
                            " raw_input_contents; send one per input, in order");
  }
  std::vector<std::string> expected_names;
  for (const auto& info : expected) expected_names.push_back(info.name);
  // The element cap only guards the arithmetic: sizes are checked against received bytes
  // before anything is allocated.
  constexpr int64_t kMaxElements = std::numeric_limits<int64_t>::max() / 16;

  std::vector<Tensor> tensors(expected.size());
  std::vector<bool> seen(expected.size(), false);
  for (int i = 0; i < request.inputs_size(); ++i) {
    const auto& input = request.inputs(i);
    const std::string& name = input.name();
    size_t slot = expected.size();
    for (size_t k = 0; k < expected.size(); ++k) {
      if (expected[k].name == name) slot = k;
    }
    if (slot == expected.size()) {
      return invalid_argument("unknown input '" + name.substr(0, 256) + "'; did you mean '" +
                              nearest_name(name.substr(0, 256), expected_names) + "'?");
    }
    if (seen[slot]) return invalid_argument("input '" + name + "' appears twice");
    seen[slot] = true;
    const TensorInfo& want = expected[slot];
    ASSIGN_OR_RETURN(DType dtype, dtype_from_kserve(input.datatype()));
    if (dtype != want.dtype) {
      return invalid_argument("input '" + name + "': datatype " + input.datatype() +
                              " does not match the model's " +
                              std::string(kserve_datatype(want.dtype)));
    }
    std::vector<int64_t> shape = shape_of(input.shape());
    ASSIGN_OR_RETURN(int64_t elements, checked_num_elements(shape, kMaxElements, name));
    bool shape_ok = shape.size() == want.shape.size();
    for (size_t d = 0; shape_ok && d < shape.size(); ++d) {
      shape_ok = want.shape[d] < 0 || want.shape[d] == shape[d];
    }
    if (!shape_ok) {
      return invalid_argument("input '" + name + "': shape " + shape_to_string(shape) +
                              " does not match the model's " + shape_to_string(want.shape));
    }
    const size_t element_bytes = dtype_size_bytes(dtype);
    if (element_bytes == 0) {
      return invalid_argument("input '" + name + "': datatype " + input.datatype() +
                              " is not supported for tensors");
    }
    Tensor& t = tensors[slot];
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (raw) {
      if (input.has_contents()) {
        return invalid_argument("input '" + name + "' has both typed contents and " +
                                "raw_input_contents; send one kind");
      }
      const std::string& bytes = request.raw_input_contents(i);
      // elements <= max/16 and element_bytes <= 8, so the product cannot overflow.
      const auto want_bytes = static_cast<uint64_t>(elements) * element_bytes;
      if (bytes.size() != want_bytes) {
        return invalid_argument("input '" + name + "': shape " + shape_to_string(t.shape) + " of " +
                                input.datatype() + " needs " + std::to_string(want_bytes) +
                                " bytes, raw_input_contents holds " + std::to_string(bytes.size()));
      }
      t.data.assign(reinterpret_cast<const uint8_t*>(bytes.data()),
                    reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size());
    } else {
      ASSIGN_OR_RETURN(t.data, typed_contents(input.contents(), dtype, elements, name));
    }
  }
  for (size_t k = 0; k < expected.size(); ++k) {
    if (!seen[k]) {
      return invalid_argument("missing input '" + expected[k].name + "' (" +
                              std::string(kserve_datatype(expected[k].dtype)) + " " +
                              shape_to_string(expected[k].shape) + ")");
    }
  }
  return tensors;
}

Result<std::string_view> image_from_request(const inference::ModelInferRequest& request,
                                            std::string_view expected_name) {
  if (request.inputs_size() != 1) {
    return invalid_argument("this model takes one encoded image (a BYTES input '" +
                            std::string(expected_name) + "'), got " +
                            std::to_string(request.inputs_size()) + " inputs");
  }
  const auto& input = request.inputs(0);
  if (input.name() != expected_name && input.name() != kImageInputName) {
    return invalid_argument("unknown input '" + input.name().substr(0, 256) + "'; did you mean '" +
                            std::string(expected_name) + "'? (the encoded image)");
  }
  if (input.datatype() != "BYTES") {
    return invalid_argument("input '" + input.name() + "': datatype " +
                            input.datatype().substr(0, 64) +
                            " does not match BYTES (the encoded JPEG/PNG image)");
  }
  std::vector<int64_t> shape = shape_of(input.shape());
  ASSIGN_OR_RETURN(int64_t elements, checked_num_elements(shape, int64_t{1} << 40, input.name()));
  if (elements != 1) {
    return invalid_argument("input '" + input.name() + "': shape " + shape_to_string(shape) +
                            " must hold exactly one encoded image, e.g. [1]");
  }
  if (request.raw_input_contents_size() == 1) {
    if (input.has_contents()) {
      return invalid_argument("input '" + input.name() +
                              "' has both typed contents and raw_input_contents");
    }
    ASSIGN_OR_RETURN(auto elems, unpack_bytes(request.raw_input_contents(0), 1, input.name()));
    return elems[0];
  }
  if (request.raw_input_contents_size() != 0) {
    return invalid_argument("request has 1 input but " +
                            std::to_string(request.raw_input_contents_size()) +
                            " raw_input_contents");
  }
  if (input.contents().bytes_contents_size() != 1) {
    return invalid_argument("input '" + input.name() + "': expected one bytes_contents element, " +
                            "got " + std::to_string(input.contents().bytes_contents_size()));
  }
  return std::string_view(input.contents().bytes_contents(0));
}

void add_raw_input(inference::ModelInferRequest* request, const Tensor& tensor) {
  auto* input = request->add_inputs();
  input->set_name(tensor.name);
  input->set_datatype(std::string(kserve_datatype(tensor.dtype)));
  for (int64_t d : tensor.shape) input->add_shape(d);
  request->add_raw_input_contents()->assign(reinterpret_cast<const char*>(tensor.data.data()),
                                            tensor.data.size());
}

void add_image_input(inference::ModelInferRequest* request, std::string_view name,
                     std::string_view encoded) {
  auto* input = request->add_inputs();
  input->set_name(std::string(name));
  input->set_datatype("BYTES");
  input->add_shape(1);
  *request->add_raw_input_contents() = pack_bytes({encoded});
}

void add_raw_output(inference::ModelInferResponse* response, const Tensor& tensor) {
  auto* output = response->add_outputs();
  output->set_name(tensor.name);
  output->set_datatype(std::string(kserve_datatype(tensor.dtype)));
  for (int64_t d : tensor.shape) output->add_shape(d);
  response->add_raw_output_contents()->assign(reinterpret_cast<const char*>(tensor.data.data()),
                                              tensor.data.size());
}

Result<std::vector<Tensor>> tensors_from_response(const inference::ModelInferResponse& response) {
  const bool raw = response.raw_output_contents_size() > 0;
  if (raw && response.raw_output_contents_size() != response.outputs_size()) {
    return data_loss("response has " + std::to_string(response.outputs_size()) + " outputs but " +
                     std::to_string(response.raw_output_contents_size()) + " raw_output_contents");
  }
  std::vector<Tensor> tensors;
  for (int i = 0; i < response.outputs_size(); ++i) {
    const auto& output = response.outputs(i);
    Tensor t;
    t.name = output.name();
    ASSIGN_OR_RETURN(t.dtype, dtype_from_kserve(output.datatype()));
    t.shape = shape_of(output.shape());
    ASSIGN_OR_RETURN(
        int64_t elements,
        checked_num_elements(t.shape, std::numeric_limits<int64_t>::max() / 16, t.name));
    if (dtype_size_bytes(t.dtype) == 0) {
      return unimplemented("output '" + t.name + "': datatype " + output.datatype() +
                           " is not supported");
    }
    if (raw) {
      const std::string& bytes = response.raw_output_contents(i);
      if (bytes.size() != static_cast<uint64_t>(elements) * dtype_size_bytes(t.dtype)) {
        return data_loss("output '" + t.name + "': shape " + shape_to_string(t.shape) +
                         " does not match its " + std::to_string(bytes.size()) + " raw bytes");
      }
      t.data.assign(reinterpret_cast<const uint8_t*>(bytes.data()),
                    reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size());
    } else {
      ASSIGN_OR_RETURN(t.data, typed_contents(output.contents(), t.dtype, elements, t.name));
    }
    tensors.push_back(std::move(t));
  }
  return tensors;
}

std::string timing_key(std::string_view tier, std::string_view field) {
  std::string key(tier);
  key += '.';
  key += field;
  return key;
}

void set_int_param(google::protobuf::Map<std::string, inference::InferParameter>* params,
                   const std::string& key, int64_t value) {
  (*params)[key].set_int64_param(value);
}

void set_string_param(google::protobuf::Map<std::string, inference::InferParameter>* params,
                      const std::string& key, const std::string& value) {
  (*params)[key].set_string_param(value);
}

int64_t get_int_param(const google::protobuf::Map<std::string, inference::InferParameter>& params,
                      const std::string& key, int64_t fallback) {
  auto it = params.find(key);
  if (it == params.end()) return fallback;
  if (it->second.parameter_choice_case() == inference::InferParameter::kInt64Param) {
    return it->second.int64_param();
  }
  if (it->second.parameter_choice_case() == inference::InferParameter::kUint64Param) {
    return static_cast<int64_t>(it->second.uint64_param());
  }
  return fallback;
}

std::string get_string_param(
    const google::protobuf::Map<std::string, inference::InferParameter>& params,
    const std::string& key) {
  auto it = params.find(key);
  if (it == params.end() ||
      it->second.parameter_choice_case() != inference::InferParameter::kStringParam) {
    return "";
  }
  return it->second.string_param();
}

}  // namespace edgetier::tier
