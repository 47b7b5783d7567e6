/// Shared inputs of the report tests.
#include "report/report_fixtures.h"

#include <random>

namespace edgetier::testing {

Status load_study_results(ResultSet* results) {
  const std::string data = std::string(EDGETIER_SHARED_DIR) + "/paper-data";
  RETURN_IF_ERROR(load_samples_csv(data + "/latency_samples.csv", results));
  return load_accuracy_csv(data + "/accuracy_long.csv", results);
}

void add_breakdown_model(ResultSet* results) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> jitter(0.8, 1.25);
  struct Shape {
    const char* ops;
    const char* placement;
    double compute_ms, transfer_ms;
  };
  for (const Shape& s : {Shape{"I", "E", 40, 0}, Shape{"Q", "E", 22, 0}, Shape{"P", "ME", 30, 9}}) {
    const StrategyKey key{"TinyNet", s.ops, s.placement, "lan"};
    for (int i = 0; i < 60; ++i) {
      std::map<std::string, int64_t> parts = {
          {"queue", static_cast<int64_t>(0.4e6 * jitter(rng))},
          {"compute", static_cast<int64_t>(s.compute_ms * 1e6 * jitter(rng))},
          {"serialize", static_cast<int64_t>(0.8e6 * jitter(rng))}};
      if (s.transfer_ms > 0) {
        parts["transfer_mobile_edge"] = static_cast<int64_t>(s.transfer_ms * 1e6 * jitter(rng));
      }
      int64_t total = 0;
      for (const auto& [name, ns] : parts) total += ns;
      results->add_request(key, total, parts);
    }
  }
}

nlohmann::json synthetic_planner(const std::string& model) {
  const int rates[] = {1, 10, 50, 100, 150, 200};
  nlohmann::json cells = nlohmann::json::array();
  for (int me : rates) {
    for (int ec : rates) {
      // Fast links favour the cloud, a fast Mobile-Edge link favours the edge.
      const bool cloud = ec >= 100 && me >= 50;
      const std::string strategy = cloud ? "I@C" : me >= 10 ? "QE@E" : "QE@M";
      const double latency_ms = cloud ? 1800.0 + 20000.0 / ec : me >= 10 ? 2890 : 8290;
      cells.push_back({{"mobile_edge_rate_mbit", me},
                       {"edge_cloud_rate_mbit", ec},
                       {"strategy", strategy},
                       {"latency_ms", latency_ms}});
    }
  }
  return {
      {"heatmaps",
       nlohmann::json::array(
           {{{"model", model}, {"scenario", "default"}, {"percentile", 50}, {"cells", cells}}})}};
}

}  // namespace edgetier::testing
