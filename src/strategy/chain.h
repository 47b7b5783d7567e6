/// Operator chains (I, Q, EE, QE, P, QP, EEP, QEP, DEE@p, QDEE@p, DEEP@p, QDEEP@p): the one
/// parser, formatter, build order and display name, all derived from strategy/operators.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "strategy/operators.h"

namespace edgetier {

enum class ExitMode { kNone, kStatic, kDynamic };

/// The build order by default: quantize, then cut the exit out of the int8 graph (the study's
/// QE). true: cut the exit from the float model first, then calibrate the shorter model.
inline constexpr bool kDefaultExitThenQuantize = false;

/// Which black-box operators a variant applies. The order they run in is fixed by steps().
struct OpChain {
  bool quantize = false;
  ExitMode exit = ExitMode::kNone;
  /// Dynamic exit: confidence needed to leave early, in [0, 1] (0: every input leaves at the
  /// early head, i.e. the static skip; a real dynamic exit uses (0, 1]).
  double exit_threshold = 0;
  bool partition = false;

  /// Canonical name: I, Q, EE, QE, P, QP, EEP, QEP, DEE@0.8, QDEE@0.8, DEEP@0.8, QDEEP@0.8.
  std::string name() const;
  bool has(OperatorId op) const;
  /// The operators it has, in the order names spell them (Q, exit, P).
  std::vector<OperatorId> operators() const;
  /// The steps in the order ops/compose builds them (the manifest's `chain` has these, by
  /// step_name). Quantize first, then the exit, then partition; with exit_then_quantize the static
  /// exit runs before quantize. A dynamic exit is the last step and its split is the partition,
  /// so DEEP has no separate P step.
  std::vector<OperatorId> steps(bool exit_then_quantize) const;
  /// steps() by operator name ("quantize", "early_exit", ...), as strategies.plan_json stores.
  std::vector<std::string> step_names(bool exit_then_quantize) const;
  /// "Quantized Early Exit Partitioning"; "Identity" for I.
  std::string display_name() const;
  /// Position in display order: the standard chains first (I, Q, EE, ... QEP), then the rest.
  int rank() const;
  /// Operator count, for "prefer the simpler strategy": I=0, Q=1, QE=2, QEP=3.
  int complexity() const;
  /// The chain a partitioned chain inherits its accuracy from (QEP -> QE, P -> I, DEEP@p ->
  /// DEE@p): partitioning does not change what the model computes. nullopt when not partitioned.
  std::optional<OpChain> unpartitioned() const;
  /// Chart colour; "" when the chain has none fixed (charts then pick one of their extras).
  std::string colour() const;
  /// Same operators (and, for a dynamic exit, the same threshold): equal names.
  bool operator==(const OpChain& o) const {
    return quantize == o.quantize && exit == o.exit && partition == o.partition &&
           (exit != ExitMode::kDynamic || exit_threshold == o.exit_threshold);
  }
};

/// How strictly names are read.
enum class ChainSpelling {
  /// Any case, and QEE/QEEP as aliases of QE/QEP (experiment specs, stored results, CSVs).
  kAny,
  /// The canonical name only: where the text names a variant directory and its manifest
  /// (ops/compose), two spellings of one chain would build and cache it twice.
  kCanonical,
};

/// Errors name the text, say what is wrong and suggest the nearest name. Thresholds: [0, 1].
Result<OpChain> parse_op_chain(std::string_view text, ChainSpelling spelling = ChainSpelling::kAny);
/// The chains of the study and its extension, in display order: I, Q, EE, QE, P, QP, EEP, QEP
/// (every combination of the operators that take no threshold).
std::vector<OpChain> standard_op_chains();
/// "I, Q, EE, ..., DEE@p, QDEE@p, DEEP@p, QDEEP@p" for messages: every chain form.
std::string op_chain_forms();
/// The identity chain's name ("I"), for references such as "effect vs Identity".
std::string identity_chain_name();

}  // namespace edgetier
