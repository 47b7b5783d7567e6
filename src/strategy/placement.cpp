/// Tier and placement names: the one tier table every layer parses and prints them with.
#include "strategy/placement.h"

#include <algorithm>

#include "core/strings.h"

namespace edgetier {
namespace {

struct TierRow {
  TierRole role;
  std::string_view name;
  char letter;
  std::string_view display_name;
};
constexpr TierRow kTiers[] = {
    {TierRole::kMobile, "mobile", 'M', "Mobile"},
    {TierRole::kEdge, "edge", 'E', "Edge"},
    {TierRole::kCloud, "cloud", 'C', "Cloud"},
};
constexpr char kLongSeparator = '-';

const TierRow& row_of(TierRole role) { return kTiers[static_cast<int>(role)]; }

/// Short names, then the tiers' long names in lower case: what errors suggest from.
std::vector<std::string> suggestion_names() {
  std::vector<std::string> out;
  for (const auto& p : all_placements()) out.push_back(p.name());
  for (const auto& p : all_placements()) out.push_back(lower(p.display_name()));
  return out;
}

std::string placement_list() {
  std::vector<std::string> shorts, longs;
  for (const auto& p : all_placements()) {
    shorts.push_back(p.name());
    longs.push_back(p.display_name());
  }
  return join(shorts, ", ") + " or " + join(longs, ", ");
}

std::string tier_legend() {
  std::vector<std::string> parts;
  for (const auto& t : kTiers)
    parts.push_back(std::string(1, t.letter) + " = " + std::string(t.display_name));
  return join(parts, ", ");
}

}  // namespace

std::string_view tier_role_name(TierRole role) { return row_of(role).name; }
char tier_role_letter(TierRole role) { return row_of(role).letter; }
std::string_view tier_role_display_name(TierRole role) { return row_of(role).display_name; }

std::vector<TierRole> all_tier_roles() {
  std::vector<TierRole> out;
  for (const auto& t : kTiers) out.push_back(t.role);
  return out;
}

std::string link_name(TierRole lower) {
  const int next = static_cast<int>(lower) + 1;
  if (next >= kNumTierRoles) return "";
  return std::string(row_of(lower).name) + kLongSeparator + std::string(kTiers[next].name);
}

std::vector<std::string> link_names() {
  std::vector<std::string> out;
  for (int i = 0; i + 1 < kNumTierRoles; ++i) out.push_back(link_name(static_cast<TierRole>(i)));
  return out;
}

std::vector<std::string> links_between(TierRole lower, TierRole upper) {
  std::vector<std::string> out;
  for (int i = static_cast<int>(lower); i < static_cast<int>(upper); ++i)
    out.push_back(link_name(static_cast<TierRole>(i)));
  return out;
}

std::string Placement::name() const {
  std::string out;
  for (TierRole t : tiers) out += tier_role_letter(t);
  return out;
}

std::string Placement::display_name() const {
  std::string out;
  for (TierRole t : tiers) {
    if (!out.empty()) out += kLongSeparator;
    out += tier_role_display_name(t);
  }
  return out;
}

std::vector<std::string> Placement::links_crossed() const {
  if (tiers.empty()) return {};
  return links_between(TierRole::kMobile, *std::max_element(tiers.begin(), tiers.end()));
}

int Placement::rank() const {
  const auto all = all_placements();
  return static_cast<int>(std::find(all.begin(), all.end(), *this) - all.begin());
}

std::vector<Placement> all_placements() {
  std::vector<Placement> out;
  for (unsigned mask = 1; mask < (1u << kNumTierRoles); ++mask) {
    Placement p;
    for (int i = 0; i < kNumTierRoles; ++i) {
      if (mask & (1u << i)) p.tiers.push_back(static_cast<TierRole>(i));
    }
    out.push_back(p);
  }
  const auto key = [](const Placement& p) {
    const int lowest = static_cast<int>(p.tiers.front());
    const int span = static_cast<int>(p.tiers.back()) - lowest;
    return std::make_tuple(p.num_tiers(), span, lowest);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Placement& a, const Placement& b) { return key(a) < key(b); });
  return out;
}

Result<Placement> parse_placement(std::string_view text) {
  const std::string name = trim(text);
  auto bad = [&](const std::string& why, const std::string& suggestion) -> Status {
    return invalid_argument("unknown placement '" + name + "': " + why + suggestion +
                            " (placements: " + placement_list() + ")");
  };
  auto nearest = [&](const std::string& candidate) {
    return "; nearest: '" + nearest_name(candidate, suggestion_names()) + "'";
  };
  Placement p;
  // Long names have a word per tier ("Mobile-Edge"); short ones at most a letter per tier.
  const bool long_form = name.find(kLongSeparator) != std::string::npos ||
                         name.size() > static_cast<size_t>(kNumTierRoles);
  if (long_form) {
    for (const std::string& part : split(name, kLongSeparator)) {
      const std::string word = lower(part);
      const TierRow* row = nullptr;
      for (const auto& t : kTiers) {
        if (word == t.name) row = &t;
      }
      if (!row) return bad("unknown tier '" + word + "'", nearest(lower(name)));
      p.tiers.push_back(row->role);
    }
  } else {
    for (char c : upper(name)) {
      const TierRow* row = nullptr;
      for (const auto& t : kTiers) {
        if (c == t.letter) row = &t;
      }
      if (!row) {
        return bad("unknown tier '" + std::string(1, c) + "' (" + tier_legend() + ")",
                   nearest(upper(name)));
      }
      p.tiers.push_back(row->role);
    }
  }
  if (p.tiers.empty()) return bad("no tier", "");
  const bool ascending =
      std::adjacent_find(p.tiers.begin(), p.tiers.end(),
                         [](TierRole a, TierRole b) { return a >= b; }) == p.tiers.end();
  if (!ascending) {
    Placement sorted = p;
    std::sort(sorted.tiers.begin(), sorted.tiers.end());
    sorted.tiers.erase(std::unique(sorted.tiers.begin(), sorted.tiers.end()), sorted.tiers.end());
    const std::string guess = long_form ? sorted.display_name() : sorted.name();
    return bad("parts run up the chain " + Placement{all_tier_roles()}.display_name() +
                   " in order, each tier once",
               "; did you mean '" + guess + "'?");
  }
  return p;
}

}  // namespace edgetier
