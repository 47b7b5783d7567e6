/// Prints the load section of the report document as a fixed-width table.
#include "report/load_text.h"

#include <cstdio>

namespace edgetier {

std::string format_load_summary(const nlohmann::json& load) {
  char line[256];
  std::snprintf(line, sizeof(line), "\nLoad summary\n%-18s %-10s %-12s %6s %9s %9s %9s %10s\n",
                "model", "scenario", "strategy", "n", "p50_ms", "p95_ms", "p99_ms", "req/s");
  std::string text = line;
  if (!load.is_array()) return text;
  for (const auto& r : load) {
    std::snprintf(line, sizeof(line), "%-18s %-10s %-12s %6lld %9.2f %9.2f %9.2f %10.2f\n",
                  r.value("model", "").c_str(), r.value("scenario", "").c_str(),
                  r.value("strategy", "").c_str(), static_cast<long long>(r.value("n", 0LL)),
                  r.value("p50_ms", 0.0), r.value("p95_ms", 0.0), r.value("p99_ms", 0.0),
                  r.value("throughput_rps", 0.0));
    text += line;
  }
  return text;
}

}  // namespace edgetier
