/// The report document's campaign section: the run's wall time against the sum of its request
/// times, and where the rest went.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/records.h"

namespace edgetier {

/// {"wall_s", "request_sum_s", "overhead_ratio", "phases": [{"phase", "seconds",
/// "share_of_wall"}...], "unaccounted_s", "overlapped": [{"phase", "seconds"}...]}: phases in
/// kCampaignPhases order (those with time), "unaccounted_s" the wall time no phase claims.
nlohmann::json campaign_json(const CampaignTiming& timing);

/// "\nCampaign: wall 104.2 s = 1.08 x the requests' 96.5 s\n" and one line per phase.
std::string format_campaign(const nlohmann::json& campaign);

}  // namespace edgetier
