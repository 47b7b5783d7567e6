/// Strategy names: chain @ placement, split at the last '@'.
#include "strategy/strategy.h"

namespace edgetier {
namespace {
constexpr char kSeparator = '@';
}  // namespace

std::string Strategy::name() const { return strategy_label(ops.name(), placement.name()); }

std::string strategy_label(std::string_view ops, std::string_view placement) {
  std::string out(ops);
  out += kSeparator;
  out += placement;
  return out;
}

std::pair<std::string, std::string> split_strategy_label(std::string_view label) {
  const size_t at = label.rfind(kSeparator);
  if (at == std::string_view::npos) return {std::string(label), ""};
  return {std::string(label.substr(0, at)), std::string(label.substr(at + 1))};
}

Result<Strategy> parse_strategy(std::string_view text) {
  const auto [ops, placement] = split_strategy_label(text);
  if (text.find(kSeparator) == std::string_view::npos || placement.empty()) {
    return invalid_argument("strategy '" + std::string(text) +
                            "' needs a placement after its last '@', e.g. '" +
                            strategy_label(ops.empty() ? identity_chain_name() : ops, "E") + "'");
  }
  const std::string context = "strategy '" + std::string(text) + "'";
  // The placement first: "DEE@0.8" alone is a chain without a placement, not a bad chain.
  auto where = parse_placement(placement);
  if (!where.ok()) return where.status().with_context(context);
  auto chain = parse_op_chain(ops);
  if (!chain.ok()) return chain.status().with_context(context);
  return Strategy{*chain, *where};
}

}  // namespace edgetier
