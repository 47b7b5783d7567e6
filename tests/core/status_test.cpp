/// Tests for Status, Result and the error macros.
#include "core/status.h"

#include <gtest/gtest.h>

#include "core/tensor.h"

namespace edgetier {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("value " + std::to_string(v) + " is not positive");
  return v;
}

Status use_macros(int v, int* out) {
  ASSIGN_OR_RETURN(int x, parse_positive(v));
  RETURN_IF_ERROR(x > 100 ? out_of_range("too big") : ok_status());
  *out = x;
  return ok_status();
}

TEST(Status, OkIsCheapAndDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.to_string(), "OK");
}

TEST(Status, CarriesCodeMessageAndContext) {
  Status s = not_found("tensor 'x' not found").with_context("partition");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "partition: tensor 'x' not found");
  EXPECT_EQ(s.to_string(), "NOT_FOUND: partition: tensor 'x' not found");
}

TEST(Status, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(use_macros(5, &out).ok());
  EXPECT_EQ(out, 5);
  EXPECT_EQ(use_macros(-1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(use_macros(500, &out).code(), StatusCode::kOutOfRange);
}

TEST(Result, RejectsOkStatusWithoutValue) {
  Result<int> r(ok_status());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(Tensor, ParsesAndValidatesShapes) {
  auto dims = parse_shape("1x3x224x224");
  ASSERT_TRUE(dims.ok());
  EXPECT_EQ(*dims, (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_FALSE(parse_shape("1x0x2").ok());
  EXPECT_FALSE(parse_shape("1xx2").ok());
  EXPECT_FALSE(parse_shape("").ok());
  Tensor t = Tensor::zeros("x", DType::kFloat32, {2, 3});
  EXPECT_TRUE(t.validate().ok());
  t.data.pop_back();
  EXPECT_FALSE(t.validate().ok());
  EXPECT_EQ(shape_to_string({1, -1, 4}), "1x?x4");
}

}  // namespace
}  // namespace edgetier
