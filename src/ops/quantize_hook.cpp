/// make_quantize_hook: calibrate() + quantize() behind compose's QuantizeFn.
#include "ops/quantize_hook.h"

#include <memory>

#include "core/log.h"
#include "ops/speed_check.h"

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
    RETURN_IF_ERROR(quantize(in, q, out));
    if (!o->check_speed) return ok_status();
    auto speed = check_speed(in, *out);
    if (!speed.ok()) {
      LOG_WARN << "quantize: speed check skipped: " << speed.status().message();
    } else if (speed->int8_slower()) {
      LOG_WARN << "quantize: the int8 model '" << in.graph().name()
               << "' is slower than its float model on this machine: "
               << speed_check_summary(*speed);
    } else {
      LOG_INFO << "quantize: " << in.graph().name() << ": " << speed_check_summary(*speed);
    }
    return ok_status();
  };
}

}  // namespace edgetier
