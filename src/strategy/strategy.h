/// A strategy = operator chain @ placement ("QEP@ME", "DEE@0.8@E"): the placement is after the
/// last '@' (a dynamic exit's threshold has its own).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "strategy/chain.h"
#include "strategy/placement.h"

namespace edgetier {

struct Strategy {
  OpChain ops;
  Placement placement;
  std::string name() const;  // "QEP@ME"
  bool operator==(const Strategy& o) const { return ops == o.ops && placement == o.placement; }
};

/// Reads "QEP@ME", "dee@0.8@e", "P@Mobile-Edge" (the chain and the placement as their parsers
/// read them); errors name the text and the part that is wrong.
Result<Strategy> parse_strategy(std::string_view text);
/// "QEP" + "ME" -> "QEP@ME", for names already canonical (labels built from stored rows).
std::string strategy_label(std::string_view ops, std::string_view placement);
/// "DEE@0.8@E" -> {"DEE@0.8", "E"}: split at the last '@' without checking either part;
/// {label, ""} when there is no '@'.
std::pair<std::string, std::string> split_strategy_label(std::string_view label);

}  // namespace edgetier
