/// Part chaining: a name -> tensor map grows as parts run; the exit policy may stop early.
#include "runtime/part_runner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/json_reader.h"

namespace edgetier {
namespace {

/// Highest softmax probability of `n` logits spaced `stride` floats apart.
double max_softmax(const float* logits, int64_t n, int64_t stride) {
  float max_logit = -INFINITY;
  for (int64_t c = 0; c < n; ++c) max_logit = std::max(max_logit, logits[c * stride]);
  double sum = 0.0;
  for (int64_t c = 0; c < n; ++c)
    sum += std::exp(static_cast<double>(logits[c * stride] - max_logit));
  return 1.0 / sum;  // exp(max - max) / sum
}

}  // namespace

nlohmann::json exit_policy_to_json(const ExitPolicy& p) {
  return {{"exit_part", p.exit_part},
          {"output", p.output},
          {"measure", p.measure},
          {"threshold", p.threshold}};
}

Result<ExitPolicy> exit_policy_from_json(const nlohmann::json& j) {
  static const std::set<std::string> kKeys = {"exit_part", "output", "measure", "threshold"};
  if (!j.is_object()) return invalid_argument("exit policy: expected an object");
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.count(key)) return invalid_argument("exit policy: unknown key '" + key + "'");
  }
  for (const auto& key : kKeys) {
    if (!j.contains(key)) return invalid_argument("exit policy: missing key '" + key + "'");
  }
  ExitPolicy p;
  try {
    ASSIGN_OR_RETURN(p.exit_part,
                     json_whole_number(j.at("exit_part"), "exit policy: exit_part", 0, INT32_MAX));
    p.output = j.at("output").get<std::string>();
    p.measure = j.at("measure").get<std::string>();
    p.threshold = j.at("threshold").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(std::string("exit policy: ") + e.what());
  }
  if (p.measure != "max_softmax" && p.measure != "mean_pixel_max_softmax") {
    return invalid_argument("exit policy: measure '" + p.measure +
                            "' is not max_softmax or mean_pixel_max_softmax");
  }
  if (p.exit_part < 1) {
    return invalid_argument("exit policy: exit_part must be >= 1 (part 0 is the trunk), got " +
                            std::to_string(p.exit_part));
  }
  return p;
}

Result<double> exit_confidence(const Tensor& t, const std::string& measure) {
  if (t.dtype != DType::kFloat32) {
    return invalid_argument("exit confidence: output '" + t.name + "' is " +
                            std::string(dtype_name(t.dtype)) + ", expected float32 scores");
  }
  RETURN_IF_ERROR(t.validate());
  const float* x = t.data_as<float>();
  if (measure == "max_softmax") {
    if (t.shape.empty() || t.shape.back() <= 0) {
      return invalid_argument("exit confidence: output '" + t.name + "' of shape " +
                              shape_to_string(t.shape) + " has no class axis");
    }
    const int64_t classes = t.shape.back();
    const int64_t rows = static_cast<int64_t>(t.num_elements()) / classes;
    double lowest = 1.0;
    for (int64_t r = 0; r < rows; ++r)
      lowest = std::min(lowest, max_softmax(x + r * classes, classes, 1));
    return lowest;
  }
  if (measure == "mean_pixel_max_softmax") {
    if (t.shape.size() != 4 || t.shape[1] <= 0) {
      return invalid_argument("exit confidence: mean_pixel_max_softmax needs an NCHW score map, '" +
                              t.name + "' has shape " + shape_to_string(t.shape));
    }
    const int64_t classes = t.shape[1], pixels = t.shape[2] * t.shape[3];
    double lowest = 1.0;
    for (int64_t b = 0; b < t.shape[0]; ++b) {
      const float* base = x + b * classes * pixels;
      double sum = 0.0;
      for (int64_t p = 0; p < pixels; ++p) sum += max_softmax(base + p, classes, pixels);
      lowest = std::min(lowest, pixels > 0 ? sum / static_cast<double>(pixels) : 0.0);
    }
    return lowest;
  }
  return invalid_argument("exit confidence: unknown measure '" + measure + "'");
}

Result<std::unique_ptr<PartRunner>> PartRunner::from_files(const std::vector<std::string>& paths,
                                                           const SessionOptions& options,
                                                           std::optional<ExitPolicy> policy) {
  if (paths.empty()) return invalid_argument("part runner: no parts given");
  std::unique_ptr<PartRunner> runner(new PartRunner());
  for (const auto& path : paths) {
    ASSIGN_OR_RETURN(auto session, OrtSession::from_file(path, options));
    runner->sessions_.push_back(std::move(session));
    runner->labels_.push_back(path);
  }
  runner->policy_ = std::move(policy);
  RETURN_IF_ERROR(runner->check_chain());
  return runner;
}

Result<std::unique_ptr<PartRunner>> PartRunner::from_bytes(const std::vector<std::string>& models,
                                                           const std::vector<std::string>& labels,
                                                           const SessionOptions& options,
                                                           std::optional<ExitPolicy> policy) {
  if (models.empty()) return invalid_argument("part runner: no parts given");
  std::unique_ptr<PartRunner> runner(new PartRunner());
  for (size_t i = 0; i < models.size(); ++i) {
    const std::string label = i < labels.size() ? labels[i] : "part" + std::to_string(i);
    ASSIGN_OR_RETURN(auto session, OrtSession::from_bytes(models[i], options, label));
    runner->sessions_.push_back(std::move(session));
    runner->labels_.push_back(label);
  }
  runner->policy_ = std::move(policy);
  RETURN_IF_ERROR(runner->check_chain());
  return runner;
}

Status PartRunner::check_chain() {
  const int n = static_cast<int>(sessions_.size());
  if (policy_) {
    if (policy_->exit_part < 1 || policy_->exit_part >= n - 1) {
      return invalid_argument("part runner: exit part " + std::to_string(policy_->exit_part) +
                              " needs parts before and after it; the variant has " +
                              std::to_string(n) + " parts");
    }
    const auto& outs = sessions_[policy_->exit_part]->outputs();
    if (std::none_of(outs.begin(), outs.end(),
                     [&](const TensorInfo& t) { return t.name == policy_->output; })) {
      return invalid_argument("part runner: the exit policy measures '" + policy_->output +
                              "' but " + labels_[policy_->exit_part] + " has no such output");
    }
  }
  inputs_ = sessions_[0]->inputs();
  // Walk both paths (all parts but the exit part; parts up to the exit part) and check every
  // input is available by name when its part runs.
  auto check_path = [&](const std::vector<int>& path) -> Status {
    std::set<std::string> available;
    for (const auto& t : inputs_) available.insert(t.name);
    for (int i : path) {
      for (const auto& in : sessions_[i]->inputs()) {
        if (!available.count(in.name)) {
          return invalid_argument("part runner: " + labels_[i] + " needs tensor '" + in.name +
                                  "', which no earlier part produces");
        }
      }
      for (const auto& out : sessions_[i]->outputs()) available.insert(out.name);
    }
    return ok_status();
  };
  std::vector<int> full, exit_path;
  for (int i = 0; i < n; ++i) {
    if (!policy_ || i != policy_->exit_part) full.push_back(i);
    if (policy_ && i <= policy_->exit_part) exit_path.push_back(i);
  }
  RETURN_IF_ERROR(check_path(full));
  if (policy_) RETURN_IF_ERROR(check_path(exit_path));
  return ok_status();
}

Result<PartRunResult> PartRunner::run(const std::vector<Tensor>& inputs) {
  std::map<std::string, const Tensor*> available;
  for (const auto& t : inputs) available[t.name] = &t;
  std::vector<std::vector<Tensor>> produced(sessions_.size());
  PartRunResult result;
  result.part_ns.assign(sessions_.size(), -1);

  auto run_part = [&](size_t i) -> Status {
    std::vector<Tensor> feed;
    for (const auto& in : sessions_[i]->inputs()) {
      auto it = available.find(in.name);
      if (it == available.end()) {
        return invalid_argument("part runner: " + labels_[i] + " needs tensor '" + in.name +
                                "', which neither the inputs nor an earlier part provide");
      }
      feed.push_back(*it->second);  // copy: ORT reads it while the map may grow
    }
    ASSIGN_OR_RETURN(produced[i], sessions_[i]->run(feed));
    result.part_ns[i] = sessions_[i]->last_run_ns();
    for (const auto& t : produced[i]) available[t.name] = &t;
    return ok_status();
  };

  const size_t n = sessions_.size();
  size_t i = 0;
  if (policy_) {
    const size_t exit_part = static_cast<size_t>(policy_->exit_part);
    for (; i < exit_part; ++i) RETURN_IF_ERROR(run_part(i));
    const auto before_exit = available;
    RETURN_IF_ERROR(run_part(i++));
    const auto& outs = produced[exit_part];
    auto it = std::find_if(outs.begin(), outs.end(),
                           [&](const Tensor& t) { return t.name == policy_->output; });
    if (it == outs.end())
      return internal_error("part runner: exit output '" + policy_->output + "' missing");
    ASSIGN_OR_RETURN(result.confidence, exit_confidence(*it, policy_->measure));
    if (result.confidence >= policy_->threshold) {
      result.exited_early = true;
      result.outputs = std::move(produced[exit_part]);
      return result;
    }
    // Not confident: the parts after the exit see only what the parts before it produced.
    available = before_exit;
  }
  for (; i < n; ++i) RETURN_IF_ERROR(run_part(i));
  result.outputs = std::move(produced[n - 1]);
  return result;
}

}  // namespace edgetier
