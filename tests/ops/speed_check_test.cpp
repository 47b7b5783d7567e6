/// Tests for check_speed(): medians of interleaved runs, the summary line, rejections.
#include "ops/speed_check.h"

#include <gtest/gtest.h>

#include "graph/builder.h"
#include "graph/fixtures.h"

namespace edgetier {
namespace {

TEST(SpeedCheck, TimesBothModelsAndSeesTheSlowerOne) {
  // The "int8" side here is a much bigger float model: the check must find it slower.
  const onnx::ModelProto small = fixtures::chain_model();
  GraphBuilder b;
  std::string x = b.input("input", {1, 3, 16, 16});
  for (int i = 0; i < 6; ++i) x = b.relu(b.conv(x, {.out_channels = 64}));
  b.output(b.gemm(b.flatten(b.global_avg_pool(x)), 10));
  auto big = b.build();
  ASSERT_TRUE(big.ok());
  SpeedCheckOptions o;
  o.runs = 5;
  auto c = check_speed(small, *big, o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_GT(c->fp32_ms, 0.0);
  EXPECT_TRUE(c->int8_slower()) << speed_check_summary(*c);
  EXPECT_GT(c->ratio(), 1.0);
  EXPECT_EQ(c->runs, 5);
  const std::string line = speed_check_summary(*c);
  EXPECT_NE(line.find("median of 5 interleaved runs, 1 thread)"), std::string::npos) << line;
}

TEST(SpeedCheck, RejectsBadOptionsAndNonFloatInputs) {
  SpeedCheckOptions o;
  o.runs = 0;
  EXPECT_FALSE(check_speed(fixtures::chain_model(), fixtures::chain_model(), o).ok());
  GraphBuilder b;
  const std::string x = b.input("ids", {1, 4}, DType::kInt64);
  const std::string y = b.node("Identity", {x})[0];
  b.set_shape(y, {1, 4}, DType::kInt64);
  b.output(y);
  auto m = b.build();
  ASSERT_TRUE(m.ok());
  auto c = check_speed(*m, *m);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("ids"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace edgetier
