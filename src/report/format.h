/// Number and label formatting of the HTML report (latency, p-values and percentile names come
/// from analysis: format_latency, format_p_value, percentile_name).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace edgetier {

/// "82.52", "0.37", "1250": up to two decimals, trailing zeros dropped.
std::string format_number(double value);
/// "95%", "99.9%".
std::string format_percent(double percent);
/// "1.95x".
std::string format_ratio(double ratio);
/// "ResNet", or "ResNet (lte)" when the scenario of an analysis `scenarios` entry is not the
/// default one.
std::string scenario_heading(const nlohmann::json& scenario);

}  // namespace edgetier
