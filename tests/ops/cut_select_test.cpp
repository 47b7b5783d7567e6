/// Tests for the cut ranking's tensor-count preference and its analysis-level entry.
#include "ops/cut_select.h"

#include <gtest/gtest.h>

#include "graph/fixtures.h"
#include "graph/graph_view.h"

namespace edgetier {
namespace {

CutSelectOptions window(double min_share, double max_share) {
  CutSelectOptions o;
  o.min_lower_flops = min_share;
  o.max_lower_flops = max_share;
  return o;
}

TEST(CutSelect, PrefersOneTensorAndFallsBackToSeveralWhereTheWindowHasNone) {
  // Every middle cut of this model also carries the int64 size tensor (two tensors).
  const auto model = fixtures::side_branch_model();
  CutSelectOptions o = window(0.1, 0.9);
  o.single_tensor_only = true;
  auto single = select_cut(model, o);
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(single.status().message().find("no single-tensor cut has between 10% and 90%"),
            std::string::npos)
      << single.status().message();

  o.single_tensor_only = false;
  o.prefer_single_tensor = true;
  auto several = select_cut(model, o);
  ASSERT_TRUE(several.ok()) << several.status().to_string();
  EXPECT_FALSE(several->best.cut.single());
  EXPECT_EQ(several->best.cut.tensors.size(), 2u);
}

TEST(CutSelect, PreferenceRanksEverySingleTensorCutFirst) {
  const auto model = fixtures::tiny_resnet();
  CutSelectOptions o = window(0.0, 1.0);
  o.prefer_single_tensor = true;
  auto ranked = select_cut(model, o);
  ASSERT_TRUE(ranked.ok()) << ranked.status().to_string();
  ASSERT_TRUE(ranked->best.cut.single());
  bool seen_several = false;
  int singles = 0, severals = 0;
  for (const auto& c : ranked->ranked) {
    if (!c.cut.single()) seen_several = true;
    EXPECT_FALSE(seen_several && c.cut.single()) << "a single-tensor cut ranked after several";
    (c.cut.single() ? singles : severals) += 1;
  }
  EXPECT_GT(singles, 0);
  EXPECT_GT(severals, 0);  // the residual blocks' inner cuts carry two tensors
}

TEST(CutSelect, RankingAnAnalysisEqualsSelectingOnTheModel) {
  const auto model = fixtures::tiny_resnet();
  auto view = GraphView::build(model.graph());
  ASSERT_TRUE(view.ok());
  auto shapes = infer_shapes(model, {});
  ASSERT_TRUE(shapes.ok());
  auto analysis = analyze_cuts(*view, *shapes);
  ASSERT_TRUE(analysis.ok());
  const CutSelectOptions o = window(0.3, 0.9);
  auto direct = select_cut(model, o);
  auto ranked = rank_cuts(*analysis, o, &*view);
  ASSERT_TRUE(direct.ok() && ranked.ok());
  ASSERT_EQ(direct->ranked.size(), ranked->ranked.size());
  for (size_t i = 0; i < direct->ranked.size(); ++i)
    EXPECT_EQ(direct->ranked[i].cut.names(), ranked->ranked[i].cut.names());

  // A share function replaces the FLOPs share and drops cuts it returns nothing for.
  const std::string dropped = direct->best.cut.names()[0];
  auto filtered = rank_cuts(*analysis, o, nullptr, [&](const Cut& c) -> std::optional<double> {
    if (c.names()[0] == dropped) return std::nullopt;
    return 0.5;
  });
  ASSERT_TRUE(filtered.ok());
  for (const auto& c : filtered->ranked) {
    EXPECT_NE(c.cut.names()[0], dropped);
    EXPECT_DOUBLE_EQ(c.lower_flops_share, 0.5);
  }
  // Without the graph the latency objective cannot be ranked: an error, not a crash.
  CutSelectOptions latency = o;
  latency.objective = "latency";
  latency.bandwidth_mbit = 10;
  latency.profile = ModelProfile{};
  EXPECT_FALSE(rank_cuts(*analysis, latency, nullptr).ok());
}

}  // namespace
}  // namespace edgetier
