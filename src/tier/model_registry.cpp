/// Loading parts into warm sessions, checking them against their preprocessing, relay entries.
#include "tier/model_registry.h"

#include <cmath>

#include "core/clock.h"
#include "core/log.h"
#include "graph/graph_view.h"
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

// The part that decodes images must take exactly the tensor the preprocessing produces.
Status check_preprocess(const OrtSession& session, const PreprocessSpec& spec,
                        const std::string& model) {
  if (session.inputs().size() != 1) {
    return invalid_argument("LoadModel '" + model + "': a part that takes the image must have one " +
                            "input, this one has " + std::to_string(session.inputs().size()));
  }
  const TensorInfo& in = session.inputs()[0];
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

// One zero-filled run so the first request does not pay for arena growth and kernel setup.
Result<double> warm_up(OrtSession& session) {
  std::vector<Tensor> inputs;
  for (const TensorInfo& info : session.inputs()) {
    if (dtype_size_bytes(info.dtype) == 0) return 0.0;  // cannot synthesise; skip
    std::vector<int64_t> shape = info.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    inputs.push_back(Tensor::zeros(info.name, info.dtype, shape));
  }
  Stopwatch watch;
  auto outputs = session.run(inputs);
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
  } else if (entry.session) {
    for (const auto& info : entry.session->inputs()) specs.push_back(spec_of(info));
  }
  return specs;
}

std::vector<control::TensorSpec> entry_outputs(const ModelEntry& entry) {
  std::vector<control::TensorSpec> specs;
  if (entry.session) {
    for (const auto& info : entry.session->outputs()) specs.push_back(spec_of(info));
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
  const bool has_part = request.part_case() != control::LoadModelRequest::PART_NOT_SET;
  if (!has_part && request.next_hop().empty()) {
    return invalid_argument("LoadModel '" + name + "': give a part (part_path or part_bytes), " +
                            "or a next_hop for a relay entry");
  }
  if (!has_part && !request.preprocess_json().empty()) {
    return invalid_argument("LoadModel '" + name + "': preprocess_json needs a part to feed");
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
  if (has_part) {
    SessionOptions session_options;
    session_options.intra_op_threads = options_.intra_op_threads;
    session_options.inter_op_threads = 1;
    Result<std::unique_ptr<OrtSession>> session = internal_error("unreachable");
    if (request.part_case() == control::LoadModelRequest::kPartPath) {
      entry->part_source = request.part_path();
      session = OrtSession::from_file(request.part_path(), session_options);
    } else {
      entry->part_source = "<bytes>";
      session = OrtSession::from_bytes(request.part_bytes(), session_options,
                                       "part bytes of '" + name + "'");
    }
    if (!session.ok()) return session.status().with_context("LoadModel '" + name + "'");
    entry->session = std::move(session).value();
    entry->load_ms = ns_to_ms(entry->session->load_ns());
    if (entry->preprocess) RETURN_IF_ERROR(check_preprocess(*entry->session, *entry->preprocess, name));
    if (!request.skip_warmup()) {
      auto warm = warm_up(*entry->session);
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
    target.max_message_bytes = options_.max_message_bytes;
    entry->forwarder = std::make_unique<Forwarder>(std::move(target));
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
  LOG_INFO << options_.tier_name << ": loaded '" << name << "' as " << entry->role()
           << (entry->part_source.empty() ? "" : " from " + entry->part_source)
           << (entry->forwarder ? " -> " + request.next_hop() : std::string(""))
           << " (load " << entry->load_ms << " ms, warm-up " << entry->warmup_ms << " ms)";
  return response;
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
