#include "src/json/json.h"
#include "src/json/writer.h"

#include <gtest/gtest.h>

#include <string>

namespace mandate::json {
namespace {

TEST(JsonTest, ParsesDocument) {
  auto v = Parse(R"({"a":[1,-2,"x",true,null],"b":{"c":9223372036854775807}})");
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(v->at("b").at("c").as_int64(), INT64_MAX);
  EXPECT_EQ(v->at("a").as_array().size(), 5u);
}

TEST(JsonTest, RejectsDuplicateMember) {
  auto v = Parse("{\"alg\":\"EdDSA\",\n \"alg\":\"none\"}");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().reason(), "json.invalid");
  EXPECT_NE(v.error().message().find("duplicate member `alg`"), std::string::npos);
  EXPECT_NE(v.error().message().find("line 2"), std::string::npos);
}

TEST(JsonTest, DuplicatesInSiblingObjectsAreFine) {
  EXPECT_TRUE(Parse(R"([{"a":1},{"a":2}])").has_value());
  EXPECT_TRUE(Parse(R"({"a":{"a":1}})").has_value());
}

TEST(JsonTest, RejectsOversized) {
  auto v = Parse(std::string(100, ' ') + "1", {.max_bytes = 50});
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().reason(), "json.too_large");
}

TEST(JsonTest, RejectsDeepNesting) {
  auto v = Parse(std::string(100000, '[') + std::string(100000, ']'), {.max_bytes = 1 << 20});
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().reason(), "json.too_deep");
}

TEST(JsonTest, RejectsTrailingDataAndGarbage) {
  for (const char* bad : {"{} x", "{", "", "{\"a\":}", "[1,]", "{\"a\":1}/*c*/", "\"\xff\""}) {
    auto v = Parse(bad);
    ASSERT_FALSE(v.has_value()) << bad;
    EXPECT_EQ(v.error().reason(), "json.invalid") << bad;
  }
}

}  // namespace
}  // namespace mandate::json

namespace mandate::json {
namespace {

TEST(WriterTest, AppendStringRoundTripsEveryByteClass) {
  const std::string text = std::string("plain \"quoted\" back\\slash\n\t\x01\x1f caf\xc3\xa9 ") +
                           std::string(1, '\0') + "end";
  std::string out;
  AppendString(out, text);
  auto parsed = Parse(out);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message() << " in " << out;
  EXPECT_EQ(parsed->as_string(), text);
  EXPECT_EQ(out.find('\n'), std::string::npos);  // control characters never appear raw
}

// The audit chain hashes what AppendString writes and `audit verify` re-serialises it with
// Boost.JSON: the two must agree on every byte, wherever it sits in the word-at-a-time scan.
TEST(WriterTest, AppendStringMatchesTheCanonicalSerialiser) {
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t at = 0; at < 17; ++at) {
      std::string text = "abcdefghijklmnopq";
      text[at] = static_cast<char>(byte);
      if (byte >= 0x80) text.insert(at + 1, "\x80");  // a complete two-byte UTF-8 sequence
      if (byte >= 0x80 && byte < 0xc2) continue;      // not a UTF-8 lead byte
      if (byte >= 0xe0) continue;                     // lead bytes of longer sequences
      std::string out;
      AppendString(out, text);
      EXPECT_EQ(out, Serialize(boost::json::value(text))) << "byte " << byte << " at " << at;
    }
  }
}

TEST(WriterTest, MembersAndNumbers) {
  std::string out = "{";
  AppendMember(out, "a", "x");
  AppendMember(out, "n", int64_t{-42});
  out += '}';
  EXPECT_EQ(out, R"({"a":"x","n":-42})");
}

}  // namespace
}  // namespace mandate::json
