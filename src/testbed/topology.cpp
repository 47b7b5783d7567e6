/// Tier/link model helpers.
#include "testbed/topology.h"

#include <algorithm>
#include <cmath>

namespace edgetier::testbed {

bool split_link_name(std::string_view name, std::string* from, std::string* to) {
  const size_t dash = name.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return false;
  *from = std::string(name.substr(0, dash));
  *to = std::string(name.substr(dash + 1));
  return true;
}

int threads_for_cpus(double cpus) {
  if (cpus <= 0) return 1;
  return std::max(1, static_cast<int>(std::ceil(cpus - 1e-9)));
}

int tier_threads(const TierSpec& tier) {
  return tier.threads > 0 ? tier.threads : threads_for_cpus(tier.cpus);
}

}  // namespace edgetier::testbed
