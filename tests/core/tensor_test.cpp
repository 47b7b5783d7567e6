/// Tests for tensors: the element count and byte size of shapes read from files and requests.
#include "core/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetier {
namespace {

using ::testing::HasSubstr;

// Dimensions whose product wraps around used to be multiplied unchecked (signed overflow), so a
// huge shape could appear to match a small buffer.
TEST(Tensor, HugeShapesOverflowToAnErrorNotAWrappedSize) {
  EXPECT_EQ(shape_num_elements({2, 3, 4}), 24);
  EXPECT_EQ(shape_num_elements({0, INT64_MAX, INT64_MAX}), 0);
  EXPECT_EQ(shape_num_elements({INT64_MAX, 2}), -1);
  EXPECT_EQ(shape_num_elements({int64_t{1} << 32, int64_t{1} << 32}), -1);

  // 2^62 float elements need 2^64 bytes: the byte size wraps to 0 and matched an empty buffer.
  Tensor wraps{"x", DType::kFloat32, {int64_t{1} << 31, int64_t{1} << 31}, {}};
  Status st = wraps.validate();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("tensor 'x': shape 2147483648x2147483648 of float32 is too large"));
  Tensor big{"y", DType::kInt64, {INT64_MAX}, {}};
  EXPECT_FALSE(big.validate().ok());
  Tensor empty{"z", DType::kFloat32, {0, INT64_MAX}, {}};
  EXPECT_TRUE(empty.validate().ok());
}

}  // namespace
}  // namespace edgetier
