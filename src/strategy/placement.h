/// Tiers (mobile, edge, cloud) and placements (M, E, C, ME, EC, MC, MEC): one table of tiers,
/// one parser for short and long names, the links a placement crosses, display order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier {

/// The chain a request goes up: client -> mobile -> edge -> cloud (values are chain positions).
enum class TierRole { kMobile = 0, kEdge = 1, kCloud = 2 };
inline constexpr int kNumTierRoles = 3;
std::string_view tier_role_name(TierRole role);          // "mobile", "edge", "cloud"
char tier_role_letter(TierRole role);                    // 'M', 'E', 'C'
std::string_view tier_role_display_name(TierRole role);  // "Mobile", "Edge", "Cloud"
std::vector<TierRole> all_tier_roles();

/// The link from `lower` to the next tier up ("mobile-edge", "edge-cloud"); "" for the top tier.
std::string link_name(TierRole lower);
/// Every link of the chain, lowest first: {"mobile-edge", "edge-cloud"}.
std::vector<std::string> link_names();
/// The links between two tiers of the chain (lower below upper).
std::vector<std::string> links_between(TierRole lower, TierRole upper);

/// The tiers a variant's parts run on, lowest first (part i runs on tiers[i]).
struct Placement {
  std::vector<TierRole> tiers;
  std::string name() const;          // "M", "ME", "MEC"
  std::string display_name() const;  // "Mobile", "Mobile-Edge", "Mobile-Edge-Cloud"
  int num_tiers() const { return static_cast<int>(tiers.size()); }
  /// The links a request crosses: it enters at the mobile tier, so reaching the edge crosses
  /// mobile-edge and reaching the cloud crosses both (even for C alone).
  std::vector<std::string> links_crossed() const;
  /// Position in all_placements() (display order); the count of placements when unknown.
  int rank() const;
  bool operator==(const Placement& o) const { return tiers == o.tiers; }
};

/// Short names in any case (M, E, C, ME, EC, MC, MEC) and long ones ("Mobile-Edge", "edge";
/// any case), surrounding white space ignored. The tiers must go up the chain, each once.
/// Errors name the text and suggest the nearest name.
Result<Placement> parse_placement(std::string_view text);
/// Lowest tier first, then by tier count, adjacent tiers before distant ones:
/// M, E, C, ME, EC, MC, MEC.
std::vector<Placement> all_placements();

}  // namespace edgetier
