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

Status check_remote_tier(const RemoteTier& remote) {
  if (remote.kserve) {
    if (remote.address.empty())
      return invalid_argument("kind: kserve needs the server's 'address' (HOST:PORT)");
    if (remote.model.empty())
      return invalid_argument("kind: kserve needs 'model', the name the server hosts the part "
                              "under (and 'version' unless the server chooses)");
    return ok_status();
  }
  if (!remote.model.empty() || !remote.version.empty())
    return invalid_argument("'model' and 'version' name the model of a foreign server; give "
                            "kind: kserve or drop them");
  return ok_status();
}

int threads_for_cpus(double cpus) {
  if (cpus <= 0) return 1;
  return std::max(1, static_cast<int>(std::ceil(cpus - 1e-9)));
}

int tier_threads(const TierSpec& tier) {
  return tier.threads > 0 ? tier.threads : threads_for_cpus(tier.cpus);
}

}  // namespace edgetier::testbed
