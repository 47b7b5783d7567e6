/// The parts one tier runs for a model: consecutive parts of a variant, chained by tensor name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/ort_session.h"

namespace edgetier::tier {

class Segment {
 public:
  /// Checks that every part input comes from the request or an earlier part, and that every
  /// `handoff` tensor exists; `handoff` empty means the last part's outputs.
  static Result<Segment> create(std::vector<std::unique_ptr<OrtSession>> parts,
                                std::vector<std::string> handoff, const std::string& label);

  /// Tensors a request must carry (inputs of parts not produced by an earlier part).
  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  /// Tensors the segment hands on: to the next hop, or to the client on the last tier.
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  size_t num_parts() const { return parts_.size(); }
  int64_t load_ns() const;

  /// Runs every part in order; returns `wanted` (a subset of outputs(), in that order; all of
  /// outputs() when empty). Inputs must match inputs() (checked by the caller's validation and
  /// again by each session). `compute_ns` receives the time spent inside ONNX Runtime.
  Result<std::vector<Tensor>> run(std::vector<Tensor> inputs,
                                  const std::vector<std::string>& wanted, int64_t* compute_ns);

 private:
  std::vector<std::unique_ptr<OrtSession>> parts_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  std::string label_;
};

}  // namespace edgetier::tier
