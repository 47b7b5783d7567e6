/// Runs a variant's parts in sequence, chaining tensors by name, with an optional dynamic exit.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/ort_session.h"

namespace edgetier {

/// How a dynamic early exit decides whether to stop after its exit part.
struct ExitPolicy {
  int exit_part = -1;  // index of the early-head part; the parts before it always run
  std::string output;  // the exit part's output the confidence is measured on
  /// "max_softmax" (classification: highest class probability) or "mean_pixel_max_softmax"
  /// (segmentation: per-pixel highest class probability, averaged over the image).
  std::string measure = "max_softmax";
  double threshold = 1.0;  // stop when confidence >= threshold; else skip the exit part's result
                           // and run the parts after it
};

nlohmann::json exit_policy_to_json(const ExitPolicy& policy);
/// Unknown or missing keys are errors that name the key.
Result<ExitPolicy> exit_policy_from_json(const nlohmann::json& j);

/// Confidence of a float32 output under `measure`: softmax over the class axis (the last axis for
/// max_softmax, axis 1 of NCHW for mean_pixel_max_softmax); the batch's lowest value counts.
Result<double> exit_confidence(const Tensor& output, const std::string& measure);

struct PartRunResult {
  std::vector<Tensor> outputs;  // the last part's outputs, or the exit part's when it stopped early
  bool exited_early = false;
  double confidence = -1.0;      // the exit measure, when there is a policy
  std::vector<int64_t> part_ns;  // run time per part; -1 for parts that did not run
};

class PartRunner {
 public:
  /// Opens one ONNX Runtime session per part file (same options for all).
  static Result<std::unique_ptr<PartRunner>> from_files(const std::vector<std::string>& paths,
                                                        const SessionOptions& options,
                                                        std::optional<ExitPolicy> policy = {});
  /// Same from serialized models held in memory (labels name them in errors).
  static Result<std::unique_ptr<PartRunner>> from_bytes(const std::vector<std::string>& models,
                                                        const std::vector<std::string>& labels,
                                                        const SessionOptions& options,
                                                        std::optional<ExitPolicy> policy = {});

  size_t num_parts() const { return sessions_.size(); }
  OrtSession& part(size_t index) { return *sessions_.at(index); }
  /// The tensors a caller must provide: inputs of the parts not produced by an earlier part.
  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::optional<ExitPolicy>& policy() const { return policy_; }

  /// Runs the parts in order. Each part takes its inputs by name from the caller's inputs and
  /// the outputs of the parts before it. With a policy, the parts before the exit part run, then
  /// the exit part; when its confidence reaches the threshold its outputs are returned,
  /// otherwise the parts after it run and the last part's outputs are returned.
  Result<PartRunResult> run(const std::vector<Tensor>& inputs);

 private:
  PartRunner() = default;
  Status check_chain();

  std::vector<std::unique_ptr<OrtSession>> sessions_;
  std::vector<std::string> labels_;
  std::vector<TensorInfo> inputs_;
  std::optional<ExitPolicy> policy_;
};

}  // namespace edgetier
