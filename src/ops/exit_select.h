/// Choosing an early exit's skipped region on any architecture: the deepest skippable blocks
/// before the head, sized to a share of the model's FLOPs. The one chooser behind `variants`,
/// `early-exit`, the dynamic exit and the experiment's `exit: auto`.
#pragma once

#include <string>

#include "core/status.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "graph/shapes.h"
#include "ops/trunk.h"

namespace edgetier {

struct ExitSelectOptions {
  /// Skip about this share of the model's FLOPs. The default is about the study's exit: the last
  /// 2 of the final stage's 3 blocks of a ResNet-50 are 10.6% of its FLOPs.
  double target_flops_share = 0.10;
  /// Never skip more than this share (an exit that drops most of the network is not an early
  /// exit).
  double max_flops_share = 0.5;
  /// > 0: exactly the last N blocks of the chosen stage (`--skip-last N`), whatever their share.
  int blocks = 0;
};

struct ExitChoice {
  std::string from;  // the region's entry: the kept graph's tensor fed to TO's readers
  std::string to;    // the region's exit (the end of the last skipped block)
  std::string stage_end;  // the stage's last tensor: where the head starts (dynamic exits)
  int blocks = 0;         // blocks skipped
  int stage_blocks = 0;   // skippable blocks in that stage
  bool residual = false;  // the stage's blocks have skip connections
  int64_t flops = 0;      // FLOPs skipped
  double flops_share = 0.0;  // of the model's FLOPs
};

/// The stage: the deepest float trunk with skip connections (residual, inverted-residual and
/// transformer blocks), else the deepest float trunk (inception or fire modules, same-shape
/// layers as in VGG). The blocks: the last N
/// of it, N chosen so the skipped share is closest to target_flops_share without exceeding
/// max_flops_share (fewer blocks on ties), or `blocks` exactly. FAILED_PRECONDITION when the
/// graph has no skippable region or every choice exceeds max_flops_share (the reason says
/// which); INVALID_ARGUMENT when `blocks` exceeds what the stage has.
Result<ExitChoice> choose_exit(const GraphView& view, const ShapeMap& shapes,
                               const CutAnalysis& analysis, const ExitSelectOptions& options);

/// The same choice from trunks found before (ops/trunk.h stage_trunks, deepest first).
Result<ExitChoice> choose_exit(const std::vector<StageTrunk>& trunks, int64_t total_flops,
                               const ExitSelectOptions& options);

}  // namespace edgetier
