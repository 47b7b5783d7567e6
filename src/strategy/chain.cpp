/// Operator chains: names, parsing, build order and displays, derived from the operator table.
#include "strategy/chain.h"

#include <algorithm>
#include <charconv>

#include "core/strings.h"

namespace edgetier {
namespace {

/// The identity chain, and the chains with more than one operator, need colours of their own
/// (a single operator's chain takes its row's). Vega's tableau10, colour-blind friendly, in the
/// order of the standard chains that are not a single operator: I, QE, QP, EEP, QEP.
constexpr std::string_view kIdentityColour = "#4c78a8";
constexpr std::string_view kCompositeColours[] = {"#e45756", "#eeca3b", "#b279a2", "#ff9da6"};
constexpr std::string_view kIdentityName = "I";
constexpr std::string_view kIdentityDisplay = "Identity";
constexpr double kExampleThreshold = 0.8;  // in suggestions: "did you mean 'DEE@0.8'?"

/// Adds `op` to `chain`; false when the chain already has an operator in its slot (two exits).
bool add(OpChain* chain, OperatorId op) {
  switch (op) {
    case OperatorId::kQuantize:
      if (chain->quantize) return false;
      chain->quantize = true;
      return true;
    case OperatorId::kEarlyExit:
    case OperatorId::kDynamicExit:
      if (chain->exit != ExitMode::kNone) return false;
      chain->exit = op == OperatorId::kEarlyExit ? ExitMode::kStatic : ExitMode::kDynamic;
      return true;
    case OperatorId::kPartition:
      if (chain->partition) return false;
      chain->partition = true;
      return true;
  }
  return false;
}

/// Every chain made of table rows for which `pick(row)` holds, as subsets in binary order over
/// those rows (the first row is the lowest bit): for Q, EE, P that is I, Q, EE, QE, P, QP, EEP,
/// QEP, the study's order. Subsets with two exits are left out.
template <typename Pick>
std::vector<OpChain> combinations(Pick pick) {
  std::vector<OperatorId> rows;
  for (const auto& row : operator_table()) {
    if (pick(row)) rows.push_back(row.id);
  }
  std::vector<OpChain> out;
  for (unsigned mask = 0; mask < (1u << rows.size()); ++mask) {
    OpChain chain;
    bool valid = true;
    for (size_t i = 0; i < rows.size() && valid; ++i) {
      if (mask & (1u << i)) valid = add(&chain, rows[i]);
    }
    if (valid) out.push_back(chain);
  }
  return out;
}

/// standard_op_chains(), made once: the table is fixed, and rank() and colour() run per
/// comparison when analysis sorts strategies.
const std::vector<OpChain>& standard_chains() {
  static const std::vector<OpChain> kChains =
      combinations([](const OperatorRow& r) { return !r.takes_threshold; });
  return kChains;
}

/// Chains with a threshold operator, in the same binary order (DEE, QDEE, DEEP, QDEEP).
std::vector<OpChain> threshold_chains() {
  std::vector<OpChain> out;
  for (const auto& row : operator_table()) {
    if (!row.takes_threshold) continue;
    for (OpChain chain : combinations([&](const OperatorRow& r) {
           return !r.takes_threshold && r.id != OperatorId::kEarlyExit &&
                  r.id != OperatorId::kDynamicExit;
         })) {
      if (add(&chain, row.id)) {
        chain.exit_threshold = kExampleThreshold;
        out.push_back(chain);
      }
    }
  }
  return out;
}

/// The chain's name with "@p" in place of the threshold ("DEE@p").
std::string form_of(const OpChain& chain) {
  std::string name = chain.name();
  const size_t at = name.find('@');
  return at == std::string::npos ? name : name.substr(0, at + 1) + "p";
}

std::vector<std::string> suggestion_names(std::optional<double> threshold) {
  std::vector<std::string> names;
  for (const auto& c : standard_op_chains()) names.push_back(c.name());
  for (auto c : threshold_chains()) {
    if (threshold) c.exit_threshold = *threshold;
    names.push_back(c.name());
  }
  return names;
}

}  // namespace

std::string OpChain::name() const {
  const std::vector<OperatorId> ops = operators();
  if (ops.empty()) return std::string(kIdentityName);
  std::string out;
  std::string threshold;
  for (OperatorId op : ops) {
    const OperatorRow& row = operator_row(op);
    out +=
        quantize && !row.letters_after_quantize.empty() ? row.letters_after_quantize : row.letters;
    if (row.takes_threshold) threshold = shortest_number(exit_threshold);
  }
  if (!threshold.empty()) {
    out += '@';  // appended in two steps: GCC 12 warns falsely (-Wrestrict) on "@" + string
    out += threshold;
  }
  return out;
}

bool OpChain::has(OperatorId op) const {
  switch (op) {
    case OperatorId::kQuantize: return quantize;
    case OperatorId::kEarlyExit: return exit == ExitMode::kStatic;
    case OperatorId::kDynamicExit: return exit == ExitMode::kDynamic;
    case OperatorId::kPartition: return partition;
  }
  return false;
}

std::vector<OperatorId> OpChain::operators() const {
  std::vector<OperatorId> out;
  for (const auto& row : operator_table()) {
    if (has(row.id)) out.push_back(row.id);
  }
  return out;
}

std::vector<OperatorId> OpChain::steps(bool exit_then_quantize) const {
  std::vector<OperatorId> ops = operators();
  const bool split_by_exit = std::any_of(
      ops.begin(), ops.end(), [](OperatorId op) { return operator_row(op).splits_itself; });
  if (split_by_exit)
    ops.erase(std::remove(ops.begin(), ops.end(), OperatorId::kPartition), ops.end());
  const auto order = [&](OperatorId op) {
    const OperatorRow& row = operator_row(op);
    return exit_then_quantize && row.before_quantize_when_exit_first
               ? operator_row(OperatorId::kQuantize).build_order - 1
               : row.build_order;
  };
  std::stable_sort(ops.begin(), ops.end(),
                   [&](OperatorId a, OperatorId b) { return order(a) < order(b); });
  return ops;
}

std::vector<std::string> OpChain::step_names(bool exit_then_quantize) const {
  std::vector<std::string> out;
  for (OperatorId op : steps(exit_then_quantize)) out.emplace_back(operator_row(op).name);
  return out;
}

std::string OpChain::display_name() const {
  const std::vector<OperatorId> ops = operators();
  if (ops.empty()) return std::string(kIdentityDisplay);
  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    const OperatorRow& row = operator_row(ops[i]);
    if (!out.empty()) out += ' ';
    out += i + 1 == ops.size() ? row.display_name : row.display_prefix;
  }
  if (exit == ExitMode::kDynamic) out += " (threshold " + shortest_number(exit_threshold) + ")";
  return out;
}

int OpChain::rank() const {
  const auto& standard = standard_chains();
  auto it = std::find(standard.begin(), standard.end(), *this);
  return static_cast<int>(it - standard.begin());
}

int OpChain::complexity() const { return static_cast<int>(operators().size()); }

std::optional<OpChain> OpChain::unpartitioned() const {
  if (!partition) return std::nullopt;
  OpChain out = *this;
  out.partition = false;
  return out;
}

std::string OpChain::colour() const {
  const std::vector<OperatorId> ops = operators();
  if (ops.empty()) return std::string(kIdentityColour);
  if (ops.size() == 1) return std::string(operator_row(ops[0]).colour);
  size_t composite = 0;
  for (const auto& c : standard_chains()) {
    if (c.complexity() < 2) continue;
    if (c == *this) {
      return composite < std::size(kCompositeColours) ? std::string(kCompositeColours[composite])
                                                      : "";
    }
    ++composite;
  }
  return "";
}

std::vector<OpChain> standard_op_chains() { return standard_chains(); }

std::string op_chain_forms() {
  std::vector<std::string> forms;
  for (const auto& c : standard_op_chains()) forms.push_back(c.name());
  for (const auto& c : threshold_chains()) forms.push_back(form_of(c));
  return join(forms, ", ");
}

std::string identity_chain_name() { return std::string(kIdentityName); }

Result<OpChain> parse_op_chain(std::string_view text, ChainSpelling spelling) {
  const std::string all = upper(text);
  std::string head = all, threshold;
  if (auto at = all.find('@'); at != std::string::npos) {
    head = all.substr(0, at);
    threshold = all.substr(at + 1);
  }
  std::optional<double> value;  // the threshold, once read: suggestions keep it
  // `probe` is what the suggestion is nearest to: the text, or the text with an example
  // threshold when it lacks one.
  auto bad = [&](const std::string& why, const std::string& probe = "") -> Status {
    return invalid_argument("operator chain '" + std::string(text) + "': " + why +
                            "; did you mean '" +
                            nearest_name(probe.empty() ? all : probe, suggestion_names(value)) +
                            "'? (chains: " + op_chain_forms() + ")");
  };
  OpChain chain;
  std::string threshold_letters;  // the operators that take one, for the message
  for (const auto& row : operator_table()) {
    if (row.takes_threshold)
      threshold_letters += (threshold_letters.empty() ? "" : ", ") + std::string(row.letters);
  }
  if (head != kIdentityName) {
    size_t i = 0;
    for (const auto& row : operator_table()) {
      std::string_view rest = std::string_view(head).substr(i);
      size_t used = 0;
      if (rest.substr(0, row.letters.size()) == row.letters) {
        used = row.letters.size();
      } else if (chain.quantize && !row.letters_after_quantize.empty() &&
                 rest.substr(0, row.letters_after_quantize.size()) == row.letters_after_quantize) {
        used = row.letters_after_quantize.size();
      }
      if (used == 0) continue;
      if (!add(&chain, row.id)) return bad("unknown operator chain");
      i += used;
    }
    if (i != head.size() || head.empty()) return bad("unknown operator chain");
  }
  const std::vector<OperatorId> ops = chain.operators();
  const bool wants_threshold = std::any_of(
      ops.begin(), ops.end(), [](OperatorId op) { return operator_row(op).takes_threshold; });
  if (wants_threshold) {
    if (threshold.empty()) {
      const std::string example = shortest_number(kExampleThreshold);
      return bad("a dynamic exit needs a confidence threshold such as @" + example,
                 head + "@" + example);
    }
    double v = 0;
    auto [end, ec] = std::from_chars(threshold.data(), threshold.data() + threshold.size(), v);
    if (ec != std::errc() || end != threshold.data() + threshold.size() ||
        !(v >= 0.0 && v <= 1.0)) {
      return bad("threshold '" + threshold +
                 "' must be a number in (0, 1], or 0 to always leave at the early exit");
    }
    chain.exit_threshold = v;
    value = v;
  } else if (!threshold.empty()) {
    return bad(head == kIdentityName
                   ? "identity takes no threshold"
                   : "only dynamic exits (" + threshold_letters + ") take an @threshold");
  }
  if (spelling == ChainSpelling::kCanonical && chain.name() != text) {
    // Suggest by spelling, not by meaning, so a typo that happens to be an alias ("QEEP") is
    // pointed at the nearest canonical names; the canonical form is named too.
    return invalid_argument("unknown strategy '" + std::string(text) + "'; did you mean '" +
                            nearest_name(all, suggestion_names(value)) +
                            "'? (names here are canonical: '" + std::string(text) +
                            "' is written '" + chain.name() + "'; chains: " + op_chain_forms() +
                            ")");
  }
  return chain;
}

}  // namespace edgetier
