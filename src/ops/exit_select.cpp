/// choose_exit: the stage and the number of its last blocks an automatic early exit skips.
#include "ops/exit_select.h"

#include <cmath>
#include <optional>

#include "core/strings.h"

namespace edgetier {
namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16; }

}  // namespace

Result<ExitChoice> choose_exit(const GraphView& view, const ShapeMap& shapes,
                               const CutAnalysis& analysis, const ExitSelectOptions& options) {
  return choose_exit(stage_trunks(view, shapes, analysis), analysis.total_flops, options);
}

Result<ExitChoice> choose_exit(const std::vector<StageTrunk>& trunks, int64_t total_flops,
                               const ExitSelectOptions& options) {
  const StageTrunk* stage = nullptr;
  for (const auto& t : trunks) {
    if (is_float(t.dtype) && t.residual()) {
      stage = &t;
      break;
    }
  }
  for (const auto& t : trunks) {
    if (!stage && is_float(t.dtype)) stage = &t;
  }
  if (!stage) return failed_precondition(no_skippable_region_reason());

  // A residual stage ends at its last residual block: a block after it without a skip
  // connection (a detector's FPN merging the stage with a deeper level) is not skipped, so the
  // blocks an exit leaves out are backbone blocks whose identity path remains.
  int k_max = static_cast<int>(stage->block_ends.size());
  while (stage->residual() && k_max > 1 &&
         !stage->step_residual[static_cast<size_t>(stage->block_ends[k_max - 1])])
    --k_max;
  const double total = static_cast<double>(std::max<int64_t>(1, total_flops));
  auto choice_of = [&](int blocks) {
    ExitChoice c;
    const int start = k_max - blocks >= 1 ? stage->block_ends[k_max - blocks - 1] : 0;
    const int end = stage->block_ends[k_max - 1];
    c.from = stage->tensors[start];
    c.to = stage->tensors[end];
    c.stage_end = stage->head_input();
    c.blocks = blocks;
    c.stage_blocks = k_max;
    c.residual = stage->residual();
    c.flops = stage->flops_between(start, end);
    c.flops_share = static_cast<double>(c.flops) / total;
    return c;
  };
  if (options.blocks > 0) {
    if (options.blocks > k_max) {
      return invalid_argument("--skip-last " + std::to_string(options.blocks) +
                              ": the last stage (ending at '" + stage->head_input() + "') has " +
                              std::to_string(k_max) +
                              " skippable block(s); its first block changes the shape and "
                              "cannot be skipped");
    }
    return choice_of(options.blocks);
  }
  std::optional<ExitChoice> best;
  for (int blocks = 1; blocks <= k_max; ++blocks) {
    ExitChoice c = choice_of(blocks);
    if (c.flops_share > options.max_flops_share) break;  // more blocks only skip more
    if (!best || std::abs(c.flops_share - options.target_flops_share) <
                     std::abs(best->flops_share - options.target_flops_share))
      best = c;
  }
  if (!best) {
    return failed_precondition("the last skippable block (ending at '" + choice_of(1).to +
                               "') alone skips " + format_share(choice_of(1).flops_share) +
                               " of the FLOPs, more than the " +
                               format_share(options.max_flops_share) +
                               " an early exit may skip (exit max_flops_share)");
  }
  return *best;
}

}  // namespace edgetier
