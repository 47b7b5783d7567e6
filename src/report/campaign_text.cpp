/// The campaign section of the report document and its terminal text.
#include "report/campaign_text.h"

#include <cstdio>

#include "core/clock.h"

namespace edgetier {

nlohmann::json campaign_json(const CampaignTiming& t) {
  const double wall_s = ns_to_ms(t.wall_ns) / 1e3;
  nlohmann::json phases = nlohmann::json::array();
  int64_t claimed_ns = 0;
  for (const char* phase : kCampaignPhases) {
    auto it = t.phases_ns.find(phase);
    if (it == t.phases_ns.end() || it->second <= 0) continue;
    claimed_ns += it->second;
    phases.push_back({{"phase", phase},
                      {"seconds", ns_to_ms(it->second) / 1e3},
                      {"share_of_wall", t.wall_ns > 0 ? double(it->second) / t.wall_ns : 0.0}});
  }
  nlohmann::json overlapped = nlohmann::json::array();
  for (const char* phase : kCampaignPhases) {
    auto it = t.overlapped_ns.find(phase);
    if (it == t.overlapped_ns.end() || it->second <= 0) continue;
    overlapped.push_back({{"phase", phase}, {"seconds", ns_to_ms(it->second) / 1e3}});
  }
  return {{"wall_s", wall_s},
          {"request_sum_s", ns_to_ms(t.request_sum_ns) / 1e3},
          {"overhead_ratio", t.overhead_ratio()},
          {"phases", phases},
          {"unaccounted_s", ns_to_ms(t.wall_ns - claimed_ns) / 1e3},
          {"overlapped", overlapped}};
}

std::string format_campaign(const nlohmann::json& c) {
  char line[200];
  std::snprintf(line, sizeof(line),
                "\nCampaign: wall %.1f s = %.2fx the sum of the request times (%.1f s)\n",
                c.value("wall_s", 0.0), c.value("overhead_ratio", 0.0),
                c.value("request_sum_s", 0.0));
  std::string text = line;
  for (const auto& p : c.value("phases", nlohmann::json::array())) {
    std::snprintf(line, sizeof(line), "  %-14s %8.1f s %5.1f%%\n",
                  p.value("phase", "").c_str(), p.value("seconds", 0.0),
                  100.0 * p.value("share_of_wall", 0.0));
    text += line;
  }
  std::snprintf(line, sizeof(line), "  %-14s %8.1f s\n", "unaccounted",
                c.value("unaccounted_s", 0.0));
  text += line;
  const auto overlapped = c.value("overlapped", nlohmann::json::array());
  if (!overlapped.empty()) {
    text += "  done beside other phases (builds at idle CPU priority):";
    for (const auto& p : overlapped) {
      std::snprintf(line, sizeof(line), " %s %.1f s", p.value("phase", "").c_str(),
                    p.value("seconds", 0.0));
      text += line;
    }
    text += "\n";
  }
  return text;
}

}  // namespace edgetier
