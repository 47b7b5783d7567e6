/// The parts one tier runs for a model: consecutive parts of a variant, chained by tensor name.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/ort_session.h"
#include "runtime/part_runner.h"

namespace edgetier::tier {

/// What a dynamic early exit decided for one request.
struct ExitDecision {
  bool exited = false;       // the early head was confident: its outputs are the answer
  double confidence = -1.0;  // the policy's measure on the early head's outputs
};

class Segment {
 public:
  /// Checks that every part input comes from the request or an earlier part, and that every
  /// `handoff` tensor exists; `handoff` empty means the last part's outputs. With `exit`, part
  /// `exit->exit_part` (an index into `parts`) is a dynamic exit's early head: either the parts
  /// after it on this tier are the rest of the model, or it is the last part here and `handoff`
  /// names what the next tier's rest needs.
  static Result<Segment> create(std::vector<std::unique_ptr<OrtSession>> parts,
                                std::vector<std::string> handoff, const std::string& label,
                                std::optional<ExitPolicy> exit = {});

  /// Tensors a request must carry (inputs of parts not produced by an earlier part).
  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  /// Tensors the segment hands on: to the next hop, or to the client on the last tier.
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  size_t num_parts() const { return parts_.size(); }
  int64_t load_ns() const;

  const std::optional<ExitPolicy>& exit_policy() const { return exit_; }

  /// Runs every part in order; returns `wanted` (a subset of outputs(), in that order; all of
  /// outputs() when empty). Inputs must match inputs() (checked by the caller's validation and
  /// again by each session). `compute_ns` receives the time spent inside ONNX Runtime.
  /// With an exit policy and `decision`, the early head's outputs are returned as soon as it is
  /// confident (decision->exited; `wanted` then names among them); without `decision` every
  /// part runs (warm-up) and the full path's outputs are returned.
  Result<std::vector<Tensor>> run(std::vector<Tensor> inputs,
                                  const std::vector<std::string>& wanted, int64_t* compute_ns,
                                  ExitDecision* decision = nullptr);

 private:
  /// Measures the early head's confidence into `decision`; the answer when it exits, else empty.
  Result<std::vector<Tensor>> take_exit_answer(std::vector<Tensor> head_outputs,
                                               const std::vector<std::string>& wanted,
                                               ExitDecision* decision) const;

  std::vector<std::unique_ptr<OrtSession>> parts_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  std::string label_;
  std::optional<ExitPolicy> exit_;
};

}  // namespace edgetier::tier
