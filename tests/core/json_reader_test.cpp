/// Tests for the strict JSON reader: positions in syntax errors, typed getters, unknown keys.
#include "core/json_reader.h"

#include <gtest/gtest.h>

namespace edgetier {
namespace {

TEST(JsonReader, SyntaxErrorsNameFileLineAndColumn) {
  auto bad = parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}", "state.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("state.json:3:8: not valid JSON", 0), 0u)
      << bad.status().message();
  EXPECT_FALSE(read_json_file("/nonexistent/x.json").ok());
}

TEST(JsonReader, TypedGettersNameTheKeyPath) {
  auto j = parse_json(R"({"tiers": {"cpus": "lots", "threads": 2.0, "name": "edge"}})", "t.json");
  ASSERT_TRUE(j.ok());
  auto root = JsonMap::open(*j, "t.json");
  ASSERT_TRUE(root.ok());
  auto tiers = root->object("tiers");
  ASSERT_TRUE(tiers.ok());
  double cpus = 0;
  Status st = tiers->get("cpus", &cpus);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "t.json: tiers.cpus: expected a number, got \"lots\"");
  int threads = 0;
  ASSERT_TRUE(tiers->get("threads", &threads).ok());
  EXPECT_EQ(threads, 2);
  std::string name;
  ASSERT_TRUE(tiers->get("name", &name).ok());
  EXPECT_EQ(name, "edge");
  std::string absent = "kept";
  ASSERT_TRUE(tiers->get("absent", &absent).ok());
  EXPECT_EQ(absent, "kept");
  EXPECT_TRUE(tiers->finish().ok());
}

TEST(JsonReader, UnknownKeysSuggestTheNearest) {
  auto j = parse_json(R"({"taks": "classify"})", "m.json");
  ASSERT_TRUE(j.ok());
  auto map = JsonMap::open(*j, "m.json");
  ASSERT_TRUE(map.ok());
  map->allow("task");
  map->allow("classes");
  Status st = map->finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown key 'taks'; did you mean 'task'?"), std::string::npos)
      << st.message();
  EXPECT_FALSE(JsonMap::open(nlohmann::json::array(), "m.json").ok());
}

// A huge or fractional number where an integer is expected used to reach get<int64_t>(), whose
// float -> int64 conversion is undefined behaviour out of range.
TEST(JsonReader, WholeNumbersCheckRangeAndFraction) {
  EXPECT_EQ(*json_whole_number(nlohmann::json(7), ""), 7);
  EXPECT_EQ(*json_whole_number(nlohmann::json(3.0), ""), 3);
  EXPECT_EQ(*json_whole_number(nlohmann::json(-9223372036854775807LL - 1), ""),
            std::numeric_limits<int64_t>::min());
  for (const char* text : {"1e300", "-1e300", "9223372036854775808", "18446744073709551615",
                           "9.3e18", "1.5", "\"3\"", "true", "[1]"}) {
    auto bad = json_whole_number(nlohmann::json::parse(text), "");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.status().message().rfind("expected a whole number, got ", 0), 0u)
        << bad.status().message();
  }
  auto out_of_range = json_whole_number(nlohmann::json(11), "x.json: n", 0, 10);
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.status().message(), "x.json: n: expected a whole number in [0, 10], got 11");

  auto j = parse_json(R"({"threads": 1e300, "runs": 4294967296, "n": 2.5})", "t.json");
  ASSERT_TRUE(j.ok());
  auto map = JsonMap::open(*j, "t.json");
  ASSERT_TRUE(map.ok());
  int threads = 1;
  Status st = map->get("threads", &threads);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "t.json: threads: expected a whole number in [-2147483648, "
                          "2147483647], got 1e+300");
  EXPECT_EQ(threads, 1);
  EXPECT_FALSE(map->get("runs", &threads).ok());
  int64_t n = 0;
  EXPECT_FALSE(map->get("n", &n).ok());
}

}  // namespace
}  // namespace edgetier
