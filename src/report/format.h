/// Number and label formatting shared by the report printers (HTML, charts).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace edgetier {

/// "2.89 s", "45.1 ms", "0.853 ms": three significant digits in a fitting unit; "-" for NaN.
std::string format_ms(double ms);
/// "82.52", "0.37", "1250": up to two decimals, trailing zeros dropped.
std::string format_number(double value);
/// "95%", "99.9%".
std::string format_percent(double percent);
/// "1.95x".
std::string format_ratio(double ratio);
/// "6.7e-253", "0.031", "< 1e-300"; "-" for NaN.
std::string format_p(double p);
/// "p50", "p99.9".
std::string percentile_label(double percentile);
/// "ResNet", or "ResNet (lte)" when the scenario of an analysis `scenarios` entry is not the
/// default one.
std::string scenario_heading(const nlohmann::json& scenario);

}  // namespace edgetier
