/// Static early exit (EE): skip a single-entry, single-exit region and feed its entry tensor
/// straight to what read its exit (the study's black-box exit, no training).
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "core/status.h"
#include "graph/shapes.h"
#include "ops/exit_select.h"

namespace edgetier {

struct EarlyExitOptions {
  /// --skip FROM:TO: connect FROM to TO's readers and drop the nodes between them.
  std::string from;
  std::string to;
  /// --skip-last N (used when `from`/`to` are empty): skip the last N blocks of the last stage,
  /// e.g. 2 on a torchvision ResNet gives the study's layer4.0/Add -> layer4.2/Add. 0 with no
  /// FROM:TO: the region is chosen by `select` (ops/exit_select.h).
  int skip_last = 0;
  ExitSelectOptions select;
  InputShapes input_shapes;  // to compare FROM's and TO's shapes when inputs are dynamic
};

struct EarlyExitReport {
  std::string from;
  std::string to;
  std::vector<std::string> removed_nodes;  // the skipped region, in topological order
  int pruned_nodes = 0;                    // constant nodes only the region used
};

/// Writes the model with the region removed to `out`. Errors (nothing written): unknown names
/// (with the nearest), FROM == TO, TO not computed from FROM, shapes or dtypes that differ, and
/// regions entered or left anywhere but FROM and TO (the offending node and tensor are named).
/// Graph outputs keep their names (an Identity re-creates TO when TO itself is an output).
Status early_exit(const onnx::ModelProto& model, const EarlyExitOptions& options,
                  onnx::ModelProto* out, EarlyExitReport* report = nullptr);

}  // namespace edgetier
