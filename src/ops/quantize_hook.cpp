/// make_quantize_hook: calibrate() + quantize() behind compose's QuantizeFn.
#include "ops/quantize_hook.h"

#include <memory>

namespace edgetier {

QuantizeFn make_quantize_hook(QuantizeHookOptions options) {
  auto o = std::make_shared<const QuantizeHookOptions>(std::move(options));
  return [o](const onnx::ModelProto& in, onnx::ModelProto* out) -> Status {
    QuantizeOptions q = o->quantize;
    q.report = nullptr;
    if (o->table) {
      q.table = *o->table;
    } else {
      ASSIGN_OR_RETURN(q.table, calibrate(in, o->calibration));
    }
    return quantize(in, q, out);
  };
}

}  // namespace edgetier
