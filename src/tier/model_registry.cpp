/// Loading parts into warm sessions, checking them against their preprocessing, relay entries.
#include "tier/model_registry.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/clock.h"
#include "core/log.h"
#include "graph/builder.h"
#include "graph/graph_view.h"
#include "tier/channel.h"
#include "tier/protocol.h"

namespace edgetier::tier {
namespace {

control::TensorSpec spec_of(const TensorInfo& info) {
  control::TensorSpec spec;
  spec.set_name(info.name);
  spec.set_datatype(std::string(kserve_datatype(info.dtype)));
  for (int64_t d : info.shape) spec.add_shape(d);
  return spec;
}

Status check_name(const std::string& name) {
  if (name.empty()) return invalid_argument("LoadModel: model_name is empty");
  if (name.size() > 256) return invalid_argument("LoadModel: model_name is longer than 256 bytes");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return invalid_argument("LoadModel: model_name contains a control character");
    }
  }
  return ok_status();
}

Status check_link(const control::LinkEmulation& link) {
  if (!std::isfinite(link.rate_mbit()) || link.rate_mbit() < 0) {
    return invalid_argument("LoadModel: link.rate_mbit must be >= 0, got " +
                            std::to_string(link.rate_mbit()));
  }
  if (!std::isfinite(link.delay_ms()) || link.delay_ms() < 0 || link.delay_ms() > 600000) {
    return invalid_argument("LoadModel: link.delay_ms must be in [0, 600000], got " +
                            std::to_string(link.delay_ms()));
  }
  return ok_status();
}

// The segment that decodes images must take exactly the tensor the preprocessing produces.
Status check_preprocess(const Segment& segment, const PreprocessSpec& spec,
                        const std::string& model) {
  if (segment.inputs().size() != 1) {
    return invalid_argument("LoadModel '" + model + "': parts that take the image must need one " +
                            "input tensor, these need " + std::to_string(segment.inputs().size()));
  }
  const TensorInfo& in = segment.inputs()[0];
  if (in.name != spec.input_name) {
    return invalid_argument("LoadModel '" + model + "': preprocess input_name '" + spec.input_name +
                            "' is not the part's input; did you mean '" + in.name + "'?");
  }
  if (in.dtype != spec.dtype) {
    return invalid_argument("LoadModel '" + model + "': input '" + in.name + "' is " +
                            std::string(dtype_name(in.dtype)) + " but preprocess produces " +
                            std::string(dtype_name(spec.dtype)));
  }
  const std::vector<int64_t> made = spec.layout == "NCHW"
                                        ? std::vector<int64_t>{1, 3, spec.height, spec.width}
                                        : std::vector<int64_t>{1, spec.height, spec.width, 3};
  bool ok = in.shape.size() == made.size();
  for (size_t d = 0; ok && d < made.size(); ++d) ok = in.shape[d] < 0 || in.shape[d] == made[d];
  if (!ok) {
    return invalid_argument("LoadModel '" + model + "': input '" + in.name + "' has shape " +
                            shape_to_string(in.shape) + " but preprocess produces " +
                            shape_to_string(made) + "; fix height/width/layout");
  }
  return ok_status();
}

// A part by path, only from inside the model root. A missing file and one outside the root get
// the same answer, so a caller learns nothing about the tier's other files.
Result<std::string> part_path_in_root(const std::string& path, const RegistryOptions& options,
                                      const std::string& model, int k) {
  const std::string& root = options.model_root;
  const std::string part = "LoadModel '" + model + "': part " + std::to_string(k);
  if (root.empty()) {
    return permission_denied(part + " is given by path, but tier '" + options.tier_name +
                             "' loads no files by path (started without --model-root); send " +
                             "the part's bytes (deploy --send-bytes) or restart the tier with " +
                             "--model-root DIR");
  }
  std::filesystem::path given(path);
  if (given.is_relative()) given = std::filesystem::path(root) / given;
  std::string canonical;
  if (char* real = ::realpath(given.c_str(), nullptr)) {
    canonical = real;
    std::free(real);
  }
  struct stat st {};
  const bool inside =
      !canonical.empty() && canonical.size() > root.size() &&
      canonical.compare(0, root.size(), root) == 0 &&
      (root == "/" || canonical[root.size()] == '/') && ::stat(canonical.c_str(), &st) == 0 &&
      S_ISREG(st.st_mode);
  if (!inside) {
    return not_found(part + ": no file '" + path.substr(0, 512) + "' inside the model root " +
                     root + " (paths are taken inside it, symlinks resolved)");
  }
  return canonical;
}

// One zero-filled run so the first request does not pay for arena growth and kernel setup.
Result<double> warm_up(Segment& segment) {
  std::vector<Tensor> inputs;
  for (const TensorInfo& info : segment.inputs()) {
    if (dtype_size_bytes(info.dtype) == 0) return 0.0;  // cannot synthesise; skip
    std::vector<int64_t> shape = info.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    inputs.push_back(Tensor::zeros(info.name, info.dtype, shape));
  }
  Stopwatch watch;
  int64_t compute_ns = 0;
  auto outputs = segment.run(std::move(inputs), {}, &compute_ns);
  if (!outputs.ok()) return outputs.status().with_context("warm-up run");
  return watch.elapsed_ms();
}

}  // namespace

std::vector<control::TensorSpec> entry_inputs(const ModelEntry& entry) {
  std::vector<control::TensorSpec> specs;
  if (entry.preprocess) {
    control::TensorSpec image;
    image.set_name(entry.preprocess->input_name);
    image.set_datatype("BYTES");
    image.add_shape(1);
    specs.push_back(image);
  } else if (entry.segment) {
    for (const auto& info : entry.segment->inputs()) specs.push_back(spec_of(info));
  }
  return specs;
}

std::vector<control::TensorSpec> entry_outputs(const ModelEntry& entry) {
  std::vector<control::TensorSpec> specs;
  if (entry.segment) {
    for (const auto& info : entry.segment->outputs()) specs.push_back(spec_of(info));
  }
  return specs;
}

Result<control::LoadModelResponse> ModelRegistry::load(const control::LoadModelRequest& request) {
  const std::string& name = request.model_name();
  RETURN_IF_ERROR(check_name(name));
  RETURN_IF_ERROR(check_link(request.link()));
  if (request.deadline_ms() < 0) {
    return invalid_argument("LoadModel '" + name + "': deadline_ms must be >= 0");
  }
  const bool has_part = request.parts_size() > 0;
  if (!has_part && request.next_hop().empty()) {
    return invalid_argument("LoadModel '" + name + "': give parts (a path or bytes each), " +
                            "or a next_hop for a relay entry");
  }
  if (request.next_hop().empty() && (!request.next_hop_model_name().empty() ||
                                     !request.next_hop_model_version().empty())) {
    return invalid_argument("LoadModel '" + name + "': next_hop_model_name/version name the " +
                            "model of a kserve next hop, so they need a next_hop");
  }
  if (!has_part && (!request.preprocess_json().empty() || request.forward_tensors_size() > 0 ||
                    !request.exit_policy_json().empty() || !request.detection_json().empty())) {
    return invalid_argument("LoadModel '" + name + "': preprocess_json, forward_tensors, " +
                            "exit_policy_json and detection_json need parts to go with");
  }

  auto entry = std::make_shared<ModelEntry>();
  entry->name = name;
  entry->version = request.model_version();
  entry->label = request.label();
  entry->part_index = request.part_index();
  if (!request.preprocess_json().empty()) {
    nlohmann::json j = nlohmann::json::parse(request.preprocess_json(), nullptr, false);
    if (j.is_discarded()) {
      return invalid_argument("LoadModel '" + name + "': preprocess_json is not valid JSON");
    }
    auto spec = preprocess_from_json(j);
    if (!spec.ok()) return spec.status().with_context("LoadModel '" + name + "'");
    entry->preprocess = *spec;
  }
  if (!request.detection_json().empty()) {
    nlohmann::json j = nlohmann::json::parse(request.detection_json(), nullptr, false);
    if (j.is_discarded()) {
      return invalid_argument("LoadModel '" + name + "': detection_json is not valid JSON");
    }
    auto detection = detection_outputs_from_json(j, "LoadModel '" + name + "'");
    if (!detection.ok()) return detection.status();
    entry->detection = *detection;
  }
  if (has_part) {
    const SessionOptions session_options =
        tier_session_options(options_.intra_op_threads, options_.session_cache_dir);
    std::vector<std::unique_ptr<OrtSession>> sessions;
    for (int k = 0; k < request.parts_size(); ++k) {
      const control::PartSource& part = request.parts(k);
      Result<std::unique_ptr<OrtSession>> session = internal_error("unreachable");
      if (part.source_case() == control::PartSource::kPath) {
        ASSIGN_OR_RETURN(std::string path, part_path_in_root(part.path(), options_, name, k));
        entry->part_sources.push_back(path);
        session = OrtSession::from_file(path, session_options);
      } else if (part.source_case() == control::PartSource::kBytes) {
        entry->part_sources.push_back("<bytes>");
        session = OrtSession::from_bytes(part.bytes(), session_options,
                                         "part " + std::to_string(k) + " bytes of '" + name + "'");
      } else {
        return invalid_argument("LoadModel '" + name + "': part " + std::to_string(k) +
                                " has neither a path nor bytes");
      }
      if (!session.ok()) return session.status().with_context("LoadModel '" + name + "'");
      sessions.push_back(std::move(session).value());
    }
    std::optional<ExitPolicy> exit;
    if (!request.exit_policy_json().empty()) {
      nlohmann::json j = nlohmann::json::parse(request.exit_policy_json(), nullptr, false);
      if (j.is_discarded()) {
        return invalid_argument("LoadModel '" + name + "': exit_policy_json is not valid JSON");
      }
      auto policy = exit_policy_from_json(j);
      if (!policy.ok()) return policy.status().with_context("LoadModel '" + name + "': exit policy");
      exit = *policy;
    }
    auto segment = Segment::create(std::move(sessions),
                                   std::vector<std::string>(request.forward_tensors().begin(),
                                                            request.forward_tensors().end()),
                                   "LoadModel '" + name + "'", std::move(exit));
    if (!segment.ok()) return segment.status();
    const auto& policy = segment->exit_policy();
    if (policy && policy->exit_part + 1 == static_cast<int>(segment->num_parts()) &&
        request.next_hop().empty()) {
      return invalid_argument("LoadModel '" + name + "': the early head is the last part on " +
                              "this tier, so the rest of the model needs a next_hop");
    }
    entry->segment = std::make_unique<Segment>(std::move(segment).value());
    entry->load_ms = ns_to_ms(entry->segment->load_ns());
    if (entry->preprocess) {
      RETURN_IF_ERROR(check_preprocess(*entry->segment, *entry->preprocess, name));
    }
    if (!request.skip_warmup()) {
      auto warm = warm_up(*entry->segment);
      if (!warm.ok()) return warm.status().with_context("LoadModel '" + name + "'");
      entry->warmup_ms = *warm;
    }
  }
  if (!request.next_hop().empty()) {
    ForwardTarget target;
    target.address = request.next_hop();
    target.hop_name = request.next_hop_name();
    target.deadline_ms = request.deadline_ms();
    target.link = {request.link().rate_mbit(), request.link().delay_ms()};
    target.security = options_.next_hop_security;
    if (!request.next_hop_model_name().empty()) {
      target.kserve = KserveModelRef{request.next_hop_model_name(), request.next_hop_model_version()};
    }
    auto channel = next_hop_channel(target.address);
    // Connecting now, not on the first request: the connection is up before requests come.
    (void)channel->GetState(/*try_to_connect=*/true);
    entry->forwarder = std::make_unique<Forwarder>(std::move(target), std::move(channel));
  }

  control::LoadModelResponse response;
  response.set_tier(options_.tier_name);
  response.set_role(entry->role());
  response.set_load_ms(entry->load_ms);
  response.set_warmup_ms(entry->warmup_ms);
  for (auto& spec : entry_inputs(*entry)) *response.add_inputs() = spec;
  for (auto& spec : entry_outputs(*entry)) *response.add_outputs() = spec;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    response.set_replaced(models_.count(name) > 0);
    models_[name] = entry;
  }
  std::string sources;
  for (const auto& source : entry->part_sources) sources += (sources.empty() ? "" : ", ") + source;
  LOG_INFO << options_.tier_name << ": loaded '" << name << "' as " << entry->role()
           << (sources.empty() ? "" : " from " + sources)
           << (entry->forwarder ? " -> " + request.next_hop() : std::string("")) << " (load "
           << entry->load_ms << " ms, warm-up " << entry->warmup_ms << " ms)";
  return response;
}

std::shared_ptr<grpc::Channel> ModelRegistry::next_hop_channel(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& channel = channels_[address];
  if (!channel)
    channel = make_channel(address, options_.max_message_bytes, options_.next_hop_security);
  return channel;
}

SessionOptions tier_session_options(int intra_op_threads, const std::string& session_cache_dir) {
  SessionOptions options;
  options.intra_op_threads = intra_op_threads;
  options.inter_op_threads = 1;
  options.optimized_cache_dir = session_cache_dir;
  return options;
}

void ModelRegistry::warm_runtime() const {
  GraphBuilder b("edgetier_runtime_warmup");
  std::string x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.batch_norm(b.conv(x, ConvSpec{8, 3})));
  x = b.add(x, b.conv(x, ConvSpec{8, 1}));
  b.output(b.gemm(b.flatten(b.global_avg_pool(b.max_pool(x))), 4));
  auto model = b.build();
  if (!model.ok()) return;
  const SessionOptions session_options = tier_session_options(options_.intra_op_threads, "");
  const Stopwatch watch;
  auto session = OrtSession::from_bytes(model->SerializeAsString(), session_options, "warm-up");
  if (!session.ok()) return;
  (void)(*session)->run({Tensor::zeros("input", DType::kFloat32, {1, 3, 16, 16})});
  LOG_DEBUG << options_.tier_name << ": runtime warmed in " << watch.elapsed_ms() << " ms";
}

int ModelRegistry::unload(const std::string& name, bool all) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (all) {
    const int n = static_cast<int>(models_.size());
    models_.clear();
    return n;
  }
  return static_cast<int>(models_.erase(name));
}

std::shared_ptr<ModelEntry> ModelRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second;
}

std::vector<std::string> ModelRegistry::names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : models_) out.push_back(name);
  return out;
}

std::vector<std::shared_ptr<ModelEntry>> ModelRegistry::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<ModelEntry>> out;
  for (const auto& [name, entry] : models_) out.push_back(entry);
  return out;
}

}  // namespace edgetier::tier
