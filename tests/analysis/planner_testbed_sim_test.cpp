/// The planner against a simulated run shaped like the built-in demo (two models x 24 strategies,
/// scenarios mobile-edge 200/10 Mbit/s and edge-cloud 10 Mbit/s) whose links do NOT follow the
/// planner's model exactly: tbf-like buckets that grow with the rate, per-message and per-byte
/// protocol costs, header overhead, noisy compute with a drift between scenarios.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/db_fixture.h"
#include "analysis/planner.h"
#include "store/store.h"
#include "test_util.h"

namespace edgetier {
namespace {

struct SimScenario {
  std::string name;
  double me_mbit, ec_mbit;
  double drift;  // compute speed of this scenario's run relative to the other
};

struct SimStrategy {
  std::string model, ops, placement;
  double compute_ms[3] = {0, 0, 0};  // mobile, edge, cloud
  double me_up = 0, me_down = 0, ec_up = 0, ec_down = 0;
};

/// One direction over a tbf-shaped link: a bucket of max(2 jumbo frames, 1 ms at the rate), 0.7%
/// header overhead, 0.15 ms per message and 2 ns per byte in the gRPC stacks.
double direction_ms(double bytes, double mbit) {
  if (bytes <= 0) return 0;
  const double bucket = std::max(18036.0, mbit * 125.0);
  return 0.15 + 2e-6 * bytes + 1.007 * std::max(0.0, bytes - bucket) * 8 / (mbit * 1e3);
}

std::vector<SimStrategy> demo_like_strategies() {
  struct Model {
    std::string name;
    double image, response, cut, cut_q;  // bytes
    double mobile, edge, cloud;          // I compute ms per tier
    double share;                        // compute below the cut
  };
  const Model models[] = {{"demo_classifier", 7000, 120, 9216, 2304, 12, 5, 3, 0.64},
                          {"demo_segmenter", 7000, 9300, 36864, 9216, 20, 8, 5, 0.45}};
  const std::pair<std::string, double> single[] = {
      {"I", 1.0}, {"Q", 0.7}, {"EE", 0.8}, {"QE", 0.6}};
  const std::pair<std::string, double> parted[] = {
      {"P", 1.0}, {"QP", 0.7}, {"EEP", 0.8}, {"QEP", 0.6}};
  std::vector<SimStrategy> out;
  for (const auto& m : models) {
    const double tier_ms[3] = {m.mobile, m.edge, m.cloud};
    for (const auto& [ops, speed] : single) {
      for (int t = 0; t < 3; ++t) {
        SimStrategy s{m.name, ops, std::string(1, "MEC"[t])};
        s.compute_ms[t] = tier_ms[t] * speed;
        if (t >= 1) s.me_up = m.image, s.me_down = m.response;
        if (t == 2) s.ec_up = m.image, s.ec_down = m.response;
        out.push_back(s);
      }
    }
    for (const auto& [ops, speed] : parted) {
      const double cut = ops[0] == 'Q' ? m.cut_q : m.cut;
      for (const auto& placement : {std::string("ME"), std::string("EC"), std::string("MC")}) {
        const int lo = placement[0] == 'M' ? 0 : 1, hi = placement[1] == 'E' ? 1 : 2;
        SimStrategy s{m.name, ops, placement};
        s.compute_ms[lo] = tier_ms[lo] * speed * m.share;
        s.compute_ms[hi] = tier_ms[hi] * speed * (1 - m.share);
        s.me_up = lo == 0 ? cut : m.image;
        s.me_down = m.response;
        if (hi == 2) s.ec_up = cut, s.ec_down = m.response;
        out.push_back(s);
      }
    }
  }
  return out;
}

int64_t ns(double ms) { return static_cast<int64_t>(std::llround(ms * 1e6)); }

TEST(PlannerTestbedSim, DemoLikeRunIsPredictedWithinTenPercent) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  const std::vector<SimScenario> scenarios = {{"default", 200, 10, 1.0},
                                              {"slow-edge", 10, 10, 1.03}};
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> compute_noise(0, 0.05);
  std::normal_distribution<double> wire_noise(0, 0.1);
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok());
    const int64_t run = *(*store)->begin_run(
        "demo", "h", "models:\n  - path: a.onnx\nmeasurement:\n  requests: 10\n", {},
        testdb::spec_facts(10, 1, 0, "a"));
    for (const auto& sc : scenarios) {
      ASSERT_TRUE((*store)->record_link(run, {sc.name, "mobile-edge", sc.me_mbit, {}, 0, {}}).ok());
      ASSERT_TRUE((*store)->record_link(run, {sc.name, "edge-cloud", sc.ec_mbit, {}, 0, {}}).ok());
      for (const auto& s : demo_like_strategies()) {
        StrategyRow row;
        row.model = s.model;
        row.ops = s.ops;
        row.placement = s.placement;
        row.scenario = sc.name;
        const int64_t id = *(*store)->upsert_strategy(run, row);
        for (int i = 0; i < 10; ++i) {
          RequestRecord r;
          r.strategy_id = id;
          r.request_index = i;
          double e2e = 0.4;  // client encode/decode and its own link
          for (int t = 0; t < 3; ++t) {
            const bool relay = t < static_cast<int>(std::string("MEC").find(s.placement.back()));
            if (s.compute_ms[t] > 0) {
              const double ms = s.compute_ms[t] * sc.drift * compute_noise(rng);
              r.tiers[t].compute_ns = ns(ms);
              r.tiers[t].serialize_ns = ns(0.05);
              e2e += ms + 0.05;
            } else if (relay || t == 0) {
              e2e += 0.2;  // a relay's bookkeeping
            }
          }
          if (s.me_up > 0) {
            const double t = direction_ms(s.me_up, sc.me_mbit) +
                             direction_ms(s.me_down, sc.me_mbit) + std::fabs(wire_noise(rng));
            r.links[1] = {ns(t), static_cast<int64_t>(s.me_up), static_cast<int64_t>(s.me_down)};
            e2e += t;
          }
          if (s.ec_up > 0) {
            const double t = direction_ms(s.ec_up, sc.ec_mbit) +
                             direction_ms(s.ec_down, sc.ec_mbit) + std::fabs(wire_noise(rng));
            r.links[2] = {ns(t), static_cast<int64_t>(s.ec_up), static_cast<int64_t>(s.ec_down)};
            e2e += t;
          }
          r.end_to_end_ns = ns(e2e);
          ASSERT_TRUE((*store)->add_request(run, r).ok());
        }
        ASSERT_TRUE((*store)->set_strategy_status(id, StrategyStatus::kDone).ok());
      }
    }
    ASSERT_TRUE((*store)->finish_run(run, "done").ok());
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  auto v = validate_planner(*run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->method, "leave-one-scenario-out");
  EXPECT_EQ(v->predictions, 80u);  // the 8 strategies on the mobile tier cross no link
  EXPECT_EQ(v->excluded, 16u);
  std::vector<double> worst;
  for (const auto& sc : v->scenarios) {
    for (const auto& row : sc.rows) worst.push_back(std::fabs(row.error_pct));
  }
  std::sort(worst.begin(), worst.end());
  std::printf("simulated demo: MdAPE %.2f%% (90th percentile %.2f%%, max %.2f%%)\n", v->mdape_pct,
              worst[worst.size() * 9 / 10], worst.back());
  for (const auto& l : v->link_models) {
    std::printf("  %s overhead %.3f ms factor %.3f burst %lld (%s)\n", l.link.c_str(),
                l.overhead_ms, l.rate_factor, static_cast<long long>(l.burst_bytes),
                l.method.c_str());
  }
  EXPECT_LE(v->mdape_pct, 10.0);
}

}  // namespace
}  // namespace edgetier
