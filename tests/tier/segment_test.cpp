/// Segments: several parts on one tier chained by name, hand-off tensor selection.
#include "tier/segment.h"

#include <gtest/gtest.h>

#include "tier/tier_fixtures.h"

namespace edgetier::tier {
namespace {

std::vector<std::unique_ptr<OrtSession>> open_parts(const std::vector<std::string>& paths) {
  std::vector<std::unique_ptr<OrtSession>> sessions;
  for (const auto& p : paths) sessions.push_back(std::move(OrtSession::from_file(p).value()));
  return sessions;
}

TEST(Segment, ChainsPartsByNameLikeRunningThemInTurn) {
  TempDir dir;
  const auto paths = tier_test::save_parts(tier_test::split_chain(3), dir.path());
  auto segment = Segment::create(open_parts(paths), {}, "test");
  ASSERT_TRUE(segment.ok()) << segment.status().to_string();
  ASSERT_EQ(segment->inputs().size(), 1u);
  EXPECT_EQ(segment->inputs()[0].name, "input");
  EXPECT_EQ(segment->outputs().size(), 1u);
  const Tensor x = tier_test::random_tensor("input", {1, 3, 16, 16}, 4);
  int64_t compute_ns = 0;
  auto outputs = segment->run({x}, {}, &compute_ns);
  ASSERT_TRUE(outputs.ok()) << outputs.status().to_string();
  EXPECT_GT(compute_ns, 0);
  EXPECT_EQ((*outputs)[0].data, tier_test::run_in_process(paths, {x})[0].data);
}

TEST(Segment, HandsOnChosenTensors) {
  TempDir dir;
  const auto models = tier_test::split_chain(3);
  const auto paths = tier_test::save_parts(models, dir.path());
  const std::string cut0 = tier_test::input_name(models[1]);
  const std::string cut1 = tier_test::input_name(models[2]);
  // Parts 0 and 1 here; hand on both cut tensors (e.g. a later part reads the first one too).
  auto segment = Segment::create(open_parts({paths[0], paths[1]}), {cut1, cut0}, "test");
  ASSERT_TRUE(segment.ok()) << segment.status().to_string();
  ASSERT_EQ(segment->outputs().size(), 2u);
  EXPECT_EQ(segment->outputs()[0].name, cut1);
  const Tensor x = tier_test::random_tensor("input", {1, 3, 16, 16}, 5);
  int64_t compute_ns = 0;
  auto outputs = segment->run({x}, {}, &compute_ns);
  ASSERT_TRUE(outputs.ok()) << outputs.status().to_string();
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[1].data, tier_test::run_in_process({paths[0]}, {x})[0].data);
  EXPECT_EQ((*outputs)[0].data, tier_test::run_in_process({paths[0], paths[1]}, {x})[0].data);

  auto unknown = Segment::create(open_parts({paths[0]}), {"/cut_9"}, "test");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'/cut_9'"), std::string::npos);
}

TEST(Segment, PartsOutOfOrderNeedTheirInputsFromTheRequest) {
  TempDir dir;
  const auto models = tier_test::split_chain(2);
  const auto paths = tier_test::save_parts(models, dir.path());
  // part1 before part0: part1's input is not produced earlier, so requests must carry it.
  auto segment = Segment::create(open_parts({paths[1], paths[0]}), {}, "test");
  ASSERT_TRUE(segment.ok());
  EXPECT_EQ(segment->inputs().size(), 2u);
}

}  // namespace
}  // namespace edgetier::tier
