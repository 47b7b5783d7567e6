/// Number and label formatting shared by the report printers.
#include "report/format.h"

#include <cmath>
#include <cstdio>

namespace edgetier {

namespace {

std::string printf_string(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

/// Drops trailing zeros (and a trailing point) of a fixed-point number.
std::string trim_zeros(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string format_number(double value) {
  if (!std::isfinite(value)) return "-";
  if (std::fabs(value) >= 1000) return printf_string("%.0f", value);
  std::string text = trim_zeros(printf_string("%.2f", value));
  return text == "-0" ? "0" : text;
}

std::string format_percent(double percent) {
  return trim_zeros(printf_string("%.2f", percent)) + "%";
}

std::string format_ratio(double ratio) {
  if (!std::isfinite(ratio)) return "-";
  return printf_string("%.2f", ratio) + "x";
}

std::string scenario_heading(const nlohmann::json& scenario) {
  std::string heading = scenario.value("model", std::string("model"));
  const std::string name = scenario.value("scenario", std::string());
  if (!name.empty() && name != "default") heading += " (" + name + ")";
  return heading;
}

}  // namespace edgetier
