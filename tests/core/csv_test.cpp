/// Tests for the one CSV reader and field escaper.
#include "core/csv.h"

#include <gtest/gtest.h>

#include <sstream>

namespace edgetier {
namespace {

std::vector<std::vector<std::string>> read_all(const std::string& text, Status* status,
                                               CsvOptions options = {}) {
  std::istringstream in(text);
  CsvReader reader(in, "labels.csv", options);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> fields;
  while (reader.next(&fields, status)) rows.push_back(fields);
  return rows;
}

TEST(Csv, QuotesBomCrlfBlankLinesAndTrimming) {
  Status st;
  const auto rows = read_all(
      "\xEF\xBB\xBF"
      "file, label\r\n\n\"a,b.png\" , \"say \"\"hi\"\"\"\r\n",
      &st);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"file", "label"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"a,b.png", "say \"hi\""}));
}

TEST(Csv, QuotedFieldsSpanLinesAndLineNumbersFollow) {
  std::istringstream in("x,y\n\"line1\nline2\",z\nlast,row\n");
  CsvReader reader(in, "f.csv");
  std::vector<std::string> fields;
  Status st;
  ASSERT_TRUE(reader.next(&fields, &st));
  ASSERT_TRUE(reader.next(&fields, &st));
  EXPECT_EQ(fields[0], "line1\nline2");
  EXPECT_EQ(reader.line(), 2);
  ASSERT_TRUE(reader.next(&fields, &st));
  EXPECT_EQ(reader.line(), 4);
  EXPECT_EQ(reader.error("bad").message(), "f.csv:4: bad");
}

TEST(Csv, UnterminatedQuoteIsAnErrorWithItsLine) {
  Status st;
  const auto rows = read_all("a,b\n\"open,c\n", &st);
  EXPECT_EQ(rows.size(), 1u);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "labels.csv:2: unterminated quoted field");
}

TEST(Csv, FieldEscapingRoundTrips) {
  for (const std::string text : {"plain", "a,b", "say \"hi\"", "two\nlines", ""}) {
    const auto rows = parse_csv(csv_field(text) + "," + csv_field(text) + "\n");
    ASSERT_EQ(rows.size(), 1u) << text;
    EXPECT_EQ(rows[0], (std::vector<std::string>{text, text}));
  }
}

// Bytes that are not UTF-8 passed through to JSON and HTML writers, whose dump() then threw.
TEST(Csv, InvalidUtf8IsAnErrorWithItsLineAndColumn) {
  Status st;
  const auto rows = read_all("file,label\nok.png,caf\xC3\xA9\nbad\xFF.png,1\n", &st);
  EXPECT_EQ(rows.size(), 2u);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "labels.csv:3:4: not valid UTF-8 (byte 0xFF); save the file as UTF-8");
  Status quoted;
  read_all("a\n\"one\ntwo\xC0\x80\",b\n", &quoted);
  ASSERT_FALSE(quoted.ok());
  EXPECT_EQ(quoted.message(), "labels.csv:3:4: not valid UTF-8 (byte 0xC0); save the file as UTF-8");
}

}  // namespace
}  // namespace edgetier
