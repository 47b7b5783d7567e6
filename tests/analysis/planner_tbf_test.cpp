/// Tests for the planner's token-bucket model: holds below, at and above the burst, refilling,
/// the saturated closed loop, the replay of a measured sequence, and a store with configured
/// buckets whose requests follow a closed-loop tbf simulation (the small-message case).
#include "analysis/planner_tbf.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/db_fixture.h"
#include "analysis/planner.h"
#include "store/store.h"
#include "test_util.h"

namespace edgetier {
namespace {

constexpr double kBytesPerMsAt10 = 10 * 1e3 / 8;  // 1250 bytes per ms at 10 Mbit/s

TEST(PlannerTbf, MessageBelowTheBurstGoesAtLineRate) {
  EXPECT_DOUBLE_EQ(tbf_hold_ms(5000, 18036, 10), 0.0);
  TokenBucket b({10, 18036});
  EXPECT_DOUBLE_EQ(b.send(5000, 0), 0.0);
  EXPECT_DOUBLE_EQ(b.tokens_bytes(), 13036);
}

TEST(PlannerTbf, MessageExactlyTheBurstIsNotHeld) {
  EXPECT_DOUBLE_EQ(tbf_hold_ms(18036, 18036, 10), 0.0);
  TokenBucket b({10, 18036});
  EXPECT_DOUBLE_EQ(b.send(18036, 0), 0.0);
  EXPECT_DOUBLE_EQ(b.tokens_bytes(), 0.0);
}

TEST(PlannerTbf, MessageAboveTheBurstPaysTheRestAtTheRate) {
  EXPECT_DOUBLE_EQ(tbf_hold_ms(30536, 18036, 10), 12500 / kBytesPerMsAt10);
  TokenBucket b({10, 18036});
  EXPECT_NEAR(b.send(30536, 0), 10.0, 1e-12);
  // Drained, it refills at the rate: 4 ms give 5000 bytes of tokens, not the whole burst.
  EXPECT_NEAR(b.send(10000, 4.0), (10000 - 5000) / kBytesPerMsAt10, 1e-12);
}

TEST(PlannerTbf, UnshapedLinkNeverHolds) {
  EXPECT_DOUBLE_EQ(tbf_hold_ms(1e6, 0, 0), 0.0);
  TokenBucket b({0, 0});
  EXPECT_DOUBLE_EQ(b.send(1e6, 0), 0.0);
}

TEST(PlannerTbf, WireBytesAddHeaders) {
  EXPECT_DOUBLE_EQ(wire_bytes(0), 0.0);
  EXPECT_GT(wire_bytes(10000), 10000.0);
  EXPECT_LT(wire_bytes(10000), 10400.0);
}

TEST(PlannerTbf, ClosedLoopSaturatesALinkThatCannotRefill) {
  // 21 kB up per request at 10 Mbit/s with an 18 kB bucket and 1.5 ms of everything else: the
  // per-message formula says 1.5 + (21000 - 18036) / 1250 = 3.9 ms, but the bucket refills
  // only ~1.9 kB per request, so every request takes what the link carries per request.
  std::vector<RequestSample> samples(20, RequestSample{1.5, 0.0, {{21000, 400}}});
  const auto e2e = replay_requests(samples, {{10, 18036}}, {0});
  ASSERT_EQ(e2e.size(), samples.size());
  EXPECT_NEAR(e2e.back(), wire_bytes(21000) / kBytesPerMsAt10, 0.05);
  EXPECT_GT(e2e.back(), 15.0);
  // At 200 Mbit/s (bucket 25 kB) the same requests pass unheld.
  const auto fast = replay_requests(samples, {{200, 25000}}, {0});
  EXPECT_NEAR(fast.back(), 1.5, 1e-9);
}

TEST(PlannerTbf, SmallMessagesWithTimeToRefillAreNotHeld) {
  std::vector<RequestSample> samples(10, RequestSample{8.0, 0.1, {{9000, 9500}}});
  const auto e2e = replay_requests(samples, {{10, 18036}}, {0.5});
  for (double v : e2e) EXPECT_NEAR(v, 8.5, 1e-9);  // base + RTT, no hold
}

TEST(PlannerTbf, MeasuredHoldsFollowTheMeasuredCycles) {
  // A saturated sequence: cycles of 17 ms for 21 kB at 10 Mbit/s hold each message ~15 ms.
  std::vector<RequestSample> samples(6, RequestSample{1.5, 0.0, {{21000, 0}}});
  std::vector<double> cycles(6, 17.0);
  const auto holds = measured_holds(samples, cycles, {{10, 18036}});
  ASSERT_EQ(holds.size(), 6u);
  // A drained bucket that never rests: each message waits for all of its bytes.
  EXPECT_NEAR(holds.back()[0], wire_bytes(21000) / kBytesPerMsAt10, 1e-9);
  // Long idle cycles refill the bucket: only the part beyond the burst is held.
  std::vector<double> idle(6, 100.0);
  const auto rested = measured_holds(samples, idle, {{10, 18036}});
  EXPECT_NEAR(rested.back()[0], (wire_bytes(21000) - 18036) / kBytesPerMsAt10, 1e-9);
}

/// A store whose links record their buckets and whose requests come from a closed-loop tbf
/// simulation: small task answers near the burst, images and cuts above it, links at 200 and 10
/// Mbit/s. The planner must predict each scenario from the other within a few percent.
TEST(PlannerTbf, ConfiguredBucketsPredictSmallMessagesNearTheBurst) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  struct Sc {
    std::string name;
    double me, ec;
  };
  const std::vector<Sc> scenarios = {{"default", 200, 10}, {"slow-edge", 10, 10}};
  struct St {
    std::string ops, placement;
    double base_ms, me_up, me_down, ec_up, ec_down;
  };
  const std::vector<St> strategies = {
      {"I", "E", 1.5, 21000, 400, 0, 0},     {"Q", "E", 1.2, 21000, 9500, 0, 0},
      {"P", "ME", 3.0, 4700, 400, 0, 0},     {"QP", "ME", 2.5, 18500, 9500, 0, 0},
      {"I", "C", 2.0, 21000, 650, 21000, 400}, {"P", "EC", 4.0, 21000, 650, 4700, 400},
      {"EEP", "ME", 3.0, 37000, 9500, 0, 0}, {"QEP", "ME", 2.2, 9300, 9500, 0, 0},
  };
  auto bucket = [](double rate) { return std::max(18036.0, rate * 125.0); };
  {
    auto store = ResultStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    const int64_t run = *(*store)->begin_run("demo", "h", testdb::spec_yaml(12), {},
                                             testdb::spec_facts(12));
    for (const auto& sc : scenarios) {
      for (const auto& [link, rate] : {std::pair{"mobile-edge", sc.me}, {"edge-cloud", sc.ec}}) {
        LinkRecord rec{sc.name, link, rate, {}, 0, {}};
        rec.burst_bytes = static_cast<int64_t>(bucket(rate));
        rec.burst_min_bytes = 18036;
        rec.burst_ms = 1.0;
        ASSERT_TRUE((*store)->record_link(run, rec).ok());
      }
      for (const auto& st : strategies) {
        StrategyRow row;
        row.model = "net";
        row.ops = st.ops;
        row.placement = st.placement;
        row.scenario = sc.name;
        const int64_t id = *(*store)->upsert_strategy(run, row);
        const bool cloud = st.ec_up > 0;
        // 0.3 ms per link crossed besides the holds (serialisation, gRPC).
        std::vector<RequestSample> truth(12,
                                         RequestSample{st.base_ms + (cloud ? 0.6 : 0.3), 0.05, {}});
        for (auto& t : truth) {
          t.bytes.push_back({st.me_up, st.me_down});
          if (cloud) t.bytes.push_back({st.ec_up, st.ec_down});
        }
        std::vector<BucketSpec> buckets = {{sc.me, bucket(sc.me)}};
        if (cloud) buckets.push_back({sc.ec, bucket(sc.ec)});
        std::vector<std::vector<double>> holds;
        const auto e2e =
            replay_requests(truth, buckets, std::vector<double>(buckets.size(), 0), 2, &holds);
        int64_t sent = 0;
        for (int i = 0; i < 12; ++i) {
          RequestRecord r;
          r.strategy_id = id;
          r.request_index = i;
          r.sent_ns = sent;
          r.end_to_end_ns = static_cast<int64_t>(e2e[static_cast<size_t>(i)] * 1e6);
          sent += r.end_to_end_ns + 50000;
          r.links[1] = {static_cast<int64_t>((0.3 + holds[static_cast<size_t>(i)][0]) * 1e6),
                        static_cast<int64_t>(st.me_up), static_cast<int64_t>(st.me_down)};
          if (cloud) {
            r.links[2] = {static_cast<int64_t>((0.3 + holds[static_cast<size_t>(i)][1]) * 1e6),
                          static_cast<int64_t>(st.ec_up), static_cast<int64_t>(st.ec_down)};
          }
          ASSERT_TRUE((*store)->add_request(run, r).ok());
        }
        ASSERT_TRUE((*store)->set_strategy_status(id, StrategyStatus::kDone).ok());
      }
    }
    ASSERT_TRUE((*store)->finish_run(run, "done").ok());
  }
  auto run = read_results_database(path);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_TRUE(run->links.front().burst_bytes.has_value());
  auto v = validate_planner(*run, {});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_TRUE(v->link_models[0].configured);
  EXPECT_EQ(v->link_models[0].burst_min_bytes, 18036);
  EXPECT_NEAR(v->link_models[0].crossing_ms, 0.3, 0.05);
  // Edge-cloud is 10 Mbit/s in both scenarios, but every strategy here crosses mobile-edge.
  EXPECT_EQ(v->excluded, 0u);
  for (const auto& sc : v->scenarios) {
    for (const auto& row : sc.rows) {
      if (sc.scenario == "slow-edge") {
        EXPECT_LT(std::fabs(row.error_pct), 3.0)
            << row.strategy << " measured " << row.measured_ms << " predicted " << row.predicted_ms;
      } else {
        // Every slow-edge message is held, so slow-edge alone cannot show the 0.3 ms each
        // crossing costs besides its holds: within that of the truth.
        EXPECT_NEAR(row.predicted_ms, row.measured_ms, 0.61) << row.strategy;
      }
      EXPECT_LE(row.low_ms, row.predicted_ms);
      EXPECT_GE(row.high_ms, row.predicted_ms);
    }
  }
  EXPECT_LT(v->scenarios[1].mdape_pct, 1.0);
}

}  // namespace
}  // namespace edgetier
