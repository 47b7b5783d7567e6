/// Folds inference-mode BatchNormalization into the Conv that feeds it (Conv+BN -> Conv).
#pragma once

#include <onnx/onnx_pb.h>

#include "core/status.h"

namespace edgetier {

struct FoldBatchNormOptions {
  /// Fail when a BatchNormalization cannot be folded (instead of leaving it in place).
  bool require_all = false;
  /// Set to the number of BatchNormalization nodes folded (may be null).
  int* folded_count = nullptr;
};

/// Rewrites every Conv -> BatchNormalization pair whose Conv output feeds only that BN and whose
/// weights and BN statistics are initializers: W' = W * g / sqrt(v + eps),
/// b' = (b - m) * g / sqrt(v + eps) + beta. The Conv takes over the BN's output name, so tensor
/// names downstream (and calibration tables keyed by them) stay valid. `out` may alias nothing
/// else; it is only written on success.
Status fold_batchnorm(const onnx::ModelProto& in, const FoldBatchNormOptions& options,
                      onnx::ModelProto* out);

}  // namespace edgetier
