/// Tests for the string helpers: spelling hints, case, white space and the one table of sizes.
#include "core/strings.h"

#include <gtest/gtest.h>

namespace edgetier {
namespace {

TEST(Strings, NearestNameAndEditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearest_name("studdy", {"default", "study", "unlimited"}), "study");
  EXPECT_EQ(nearest_name("x", {}), "");
}

TEST(Strings, JoinLowerUpperTrim) {
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({"a", "b"}, "->"), "a->b");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(lower("QeP"), "qep");
  EXPECT_EQ(upper("qep@me"), "QEP@ME");
  EXPECT_EQ(trim("  a b \t\n"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_TRUE(starts_with_ci("MiB", "mi"));
}

TEST(ByteSizes, DecimalAndBinaryUnitsHaveOneMeaning) {
  EXPECT_EQ(*parse_bytes("512MB"), 512'000'000);
  EXPECT_EQ(*parse_bytes("512 mb"), 512'000'000);
  EXPECT_EQ(*parse_bytes("512MiB"), 512LL << 20);
  EXPECT_EQ(*parse_bytes("512Mi"), 512LL << 20);
  EXPECT_EQ(*parse_bytes("512m"), 512LL << 20);  // one letter: docker's and cgroups' binary
  EXPECT_EQ(*parse_bytes("2kB"), 2000);
  EXPECT_EQ(*parse_bytes("2KiB"), 2048);
  EXPECT_EQ(*parse_bytes("1.5GiB"), 3LL << 29);
  EXPECT_EQ(*parse_bytes("3GB"), 3'000'000'000);
  EXPECT_EQ(*parse_bytes("1000"), 1000);
  EXPECT_EQ(*parse_bytes("7B"), 7);
}

TEST(ByteSizes, RejectsWithTheTextAndTheNearestUnit) {
  auto unit = parse_bytes("10 MiBs");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(unit.status().message().find("unknown size unit 'mibs' in '10 MiBs'"),
            std::string::npos);
  EXPECT_NE(unit.status().message().find("did you mean 'mib'"), std::string::npos);
  EXPECT_FALSE(parse_bytes("").ok());
  EXPECT_FALSE(parse_bytes("MiB").ok());
  EXPECT_FALSE(parse_bytes("-5MB").ok());
  EXPECT_FALSE(parse_bytes("1.2.3MB").ok());
  EXPECT_EQ(parse_bytes("99999999999TiB").status().code(), StatusCode::kOutOfRange);
}

TEST(ByteSizes, PrintedSizesReadBackToTheSameNumber) {
  EXPECT_EQ(format_bytes(512LL << 20), "512 MiB");
  EXPECT_EQ(format_bytes(512'000'000), "512 MB");
  EXPECT_EQ(format_bytes(3'000'000'000), "3 GB");
  EXPECT_EQ(format_bytes(1LL << 30), "1.00 GiB");
  EXPECT_EQ(format_bytes(1000), "1000 B");
  for (int64_t bytes : {int64_t{512} << 20, int64_t{512'000'000}, int64_t{3} << 30,
                        int64_t{3'000'000'000}, int64_t{1000}, int64_t{5} << 29}) {
    EXPECT_EQ(*parse_bytes(format_bytes(bytes)), bytes) << format_bytes(bytes);
  }
}

TEST(Strings, ShortestNumberReadsBack) {
  EXPECT_EQ(shortest_number(0.8), "0.8");
  EXPECT_EQ(shortest_number(10), "10");
  EXPECT_EQ(shortest_number(1e-05), "1e-05");
}

TEST(Strings, Utf8CheckFindsTheFirstIllFormedByte) {
  EXPECT_EQ(invalid_utf8_offset("plain caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::nullopt);
  EXPECT_EQ(invalid_utf8_offset("ab\xFF"), 2u);
  EXPECT_EQ(invalid_utf8_offset("\xC3"), 0u);            // truncated
  EXPECT_EQ(invalid_utf8_offset("x\xE2\x82"), 1u);      // truncated
  EXPECT_EQ(invalid_utf8_offset("\xC0\xAF"), 0u);       // overlong '/'
  EXPECT_EQ(invalid_utf8_offset("\xED\xA0\x80"), 0u);  // surrogate
  EXPECT_EQ(invalid_utf8_offset("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(invalid_utf8_offset("\xC3\x28"), 0u);       // bad continuation
  EXPECT_TRUE(check_utf8("a: 1\n", "x.yaml").ok());
  EXPECT_EQ(check_utf8("a: 1\nname: t\x80\n", "x.yaml").message(),
            "x.yaml:2:8: not valid UTF-8 (byte 0x80); save the file as UTF-8");
  EXPECT_TRUE(check_yaml_text("a:\t1\r\nb: caf\xC3\xA9\n", "x.yaml").ok());
  EXPECT_EQ(check_yaml_text("a: 1\nb: \x04x\n", "x.yaml").message(),
            "x.yaml:2:4: a control character is not allowed in YAML (byte 0x04)");
}

}  // namespace
}  // namespace edgetier
