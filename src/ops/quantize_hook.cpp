/// make_quantize_hook: calibrate() + quantize() behind compose's QuantizeFn.
#include "ops/quantize_hook.h"

#include <cstdio>
#include <memory>

#include "core/log.h"
#include "core/sha256.h"
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
    if (o->max_accuracy_loss) {
      SensitivityOptions s;
      s.quantize = q;
      s.max_accuracy_loss = *o->max_accuracy_loss;
      s.eval = o->eval;
      s.progress = [](const std::string& line) { LOG_INFO << "quantize: " << line; };
      std::string key;
      std::optional<SensitivityReport> memoised;
      if (o->memo) {
        key = sha256_hex(in.SerializeAsString()) + "|" + o->memo_options;
        std::lock_guard<std::mutex> lock(o->memo->mu);
        auto it = o->memo->found.find(key);
        if (it != o->memo->found.end()) memoised = it->second;
      }
      if (!memoised) {
        ASSIGN_OR_RETURN(memoised, find_sensitive_nodes(in, s));
        if (o->memo) {
          std::lock_guard<std::mutex> lock(o->memo->mu);
          o->memo->found[key] = *memoised;
        }
      } else {
        LOG_INFO << "quantize: " << in.graph().name() << ": the search's outcome for this model ("
                 << memoised->excluded.size() << " nodes in float) is reused";
      }
      const SensitivityReport& found = *memoised;
      if (!found.within_budget) {
        char loss[32], budget[32];
        std::snprintf(loss, sizeof(loss), "%.2f", found.final.loss_points);
        std::snprintf(budget, sizeof(budget), "%.2f", *o->max_accuracy_loss);
        return failed_precondition(
            "the int8 " + found.final.metric + " loss is still " + loss + " points with " +
            std::to_string(found.excluded.size()) + " of " + std::to_string(found.ranking.size()) +
            " nodes in float, over quantize.max_accuracy_loss " + budget +
            "; raise the budget, or calibrate differently (calibration.method)");
      }
      q.exclude.insert(q.exclude.end(), found.excluded.begin(), found.excluded.end());
      if (o->on_search) o->on_search(found);
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
