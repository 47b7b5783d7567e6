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

}  // namespace
}  // namespace edgetier
