/// Tests for `edgetier serve`, `deploy` and `request` driven from the command line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "tier/tier_fixtures.h"

namespace edgetier {
namespace {

TEST(TierCli, DeployThenRequestPrintsBreakdowns) {
  TempDir dir;
  auto mobile = tier_test::start_tier(dir, "mobile");
  auto edge = tier_test::start_tier(dir, "edge");
  ASSERT_TRUE(mobile && edge);
  const std::string variant = dir.file("variant");
  std::filesystem::create_directories(variant);
  tier_test::save_parts(tier_test::split_chain(2), variant);
  // A state file in the testbed's format.
  const nlohmann::json state = {
      {"tiers",
       {{{"name", "mobile"}, {"control", mobile->address()}, {"listen", mobile->address()}},
        {{"name", "edge"}, {"control", edge->address()}, {"listen", edge->address()}}}}};
  write_file(dir.file("state.json"), state.dump());

  auto deployed = run_edgetier("deploy " + variant + " --placement ME --testbed " +
                               dir.file("state.json") + " --json");
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
  const auto d = nlohmann::json::parse(deployed.out);
  EXPECT_EQ(d["model"], "variant");
  EXPECT_EQ(d["tiers"][0]["role"], "compute");
  EXPECT_EQ(d["tiers"][1]["part_index"], 1);

  write_file(dir.file("a.png"), tier_test::encode_test_image(30, 20, ".png", 1));
  write_file(dir.file("b.jpg"), tier_test::encode_test_image(20, 30, ".jpg", 2));
  auto requested = run_edgetier("request " + dir.file("a.png") + " " + dir.file("b.jpg") +
                                " -n 5 --tier mobile=" + mobile->address() + " --json");
  ASSERT_EQ(requested.exit_code, 0) << requested.err;
  const auto r = nlohmann::json::parse(requested.out);
  EXPECT_EQ(r["model"], "variant");  // the only deployed model
  ASSERT_EQ(r["requests"].size(), 5u);
  EXPECT_EQ(r["summary"]["failures"], 0);
  EXPECT_GT(r["summary"]["median_ms"].get<double>(), 0);
  const auto& b = r["requests"][3]["breakdown"];
  ASSERT_EQ(b["hops"].size(), 2u);
  EXPECT_EQ(b["hops"][1]["tier"], "edge");
  EXPECT_EQ(b["links"][1]["from"], "mobile");
  EXPECT_EQ(r["requests"][3]["image"], dir.file("b.jpg"));

  auto text = run_edgetier("request " + dir.file("a.png") + " --to " + mobile->address());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("summary: 1 requests, 0 failed"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("mobile>edge"), std::string::npos) << text.out;

  // Every request failing prints no latency (no "median 0.00 ms") and exits non-zero.
  write_file(dir.file("c.txt"), "not an image");
  auto failed = run_edgetier("request " + dir.file("c.txt") + " -n 2 --warmup 0 --to " +
                             mobile->address());
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_NE(failed.out.find("summary: 2 requests, all failed; nothing succeeded"),
            std::string::npos)
      << failed.out;
  EXPECT_EQ(failed.out.find("median"), std::string::npos) << failed.out;
  auto failed_json = run_edgetier("request " + dir.file("c.txt") + " --warmup 0 --json --to " +
                                  mobile->address());
  EXPECT_EQ(failed_json.exit_code, 1);
  EXPECT_TRUE(nlohmann::json::parse(failed_json.out)["summary"]["median_ms"].is_null());
}

TEST(TierCli, ErrorsAreOneLine) {
  TempDir dir;
  auto deploy = run_edgetier("deploy " + dir.file("nope") +
                             " --placement M --tier mobile=unix:" + dir.file("none.sock"));
  EXPECT_NE(deploy.exit_code, 0);
  EXPECT_NE(deploy.err.find("does not exist"), std::string::npos) << deploy.err;
  auto request =
      run_edgetier("request " + dir.file("x.jpg") + " --to unix:" + dir.file("none.sock"));
  EXPECT_NE(request.exit_code, 0);
  EXPECT_EQ(std::count(request.err.begin(), request.err.end(), '\n'), 1) << request.err;
  auto serve = run_edgetier("serve --tier mobile --listen nonsense");
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_NE(serve.err.find("HOST:PORT"), std::string::npos) << serve.err;
}

}  // namespace
}  // namespace edgetier
