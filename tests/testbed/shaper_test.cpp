/// Tests for the user-space token bucket.
#include "testbed/shaper.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace edgetier::testbed {
namespace {

TEST(TokenBucket, StartsFullThenPacesAtTheRate) {
  TokenBucket bucket(8.0, 1000);                   // 8 Mbit/s = 0.001 bytes per ns
  EXPECT_EQ(bucket.reserve_ns(1000, 0), 0);        // the burst
  EXPECT_EQ(bucket.reserve_ns(1000, 0), 1000000);  // 1000 bytes of debt = 1 ms
  EXPECT_EQ(bucket.reserve_ns(500, 2000000), 0);   // refilled (capped at the burst)
  EXPECT_EQ(bucket.reserve_ns(1000, 2000000), 500000);
  // Time going backwards (another thread's clock read) does not mint tokens.
  EXPECT_GT(bucket.reserve_ns(100, 1000000), 500000);
}

TEST(TokenBucket, UnlimitedNeverWaits) {
  TokenBucket bucket(0, 1);
  EXPECT_EQ(bucket.reserve_ns(1 << 30, 0), 0);
}

TEST(TokenBucket, PacedSendDeliversEveryByte) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::vector<uint8_t> data(300000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> got;
  std::thread reader([&]() {
    uint8_t buffer[4096];
    while (got.size() < data.size()) {
      ssize_t n = ::read(fds[1], buffer, sizeof(buffer));
      if (n <= 0) break;
      got.insert(got.end(), buffer, buffer + n);
    }
  });
  TokenBucket bucket(1000.0);
  Status st = paced_send(fds[0], data.data(), data.size(), &bucket, 10000);
  reader.join();
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(got, data);
}

}  // namespace
}  // namespace edgetier::testbed
