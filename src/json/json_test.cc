#include "src/json/json.h"
#include "src/json/writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// A key with an escape reaches the parser's handler in pieces; it is the same key as its plain
// spelling.
TEST(JsonTest, RejectsDuplicateMemberSpelledWithEscapes) {
  for (const char* text : {R"({"ab":1,"a\u0062":2})", R"({"a\u0062":1,"ab":2})",
                           R"({"\u0061b":1,"x":{"ab":1},"a\u0062":2})"}) {
    auto v = Parse(text);
    ASSERT_FALSE(v.has_value()) << text;
    EXPECT_NE(v.error().message().find("duplicate member `ab`"), std::string::npos) << text;
  }
  auto v = Parse(R"({"a\u0062":1,"ac":2})");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->at("ab").as_int64(), 1);
}

// Small objects are checked by a scan, large ones by a hash set: a duplicate is found either way,
// wherever it falls, and keys of an inner object never clash with the outer one's.
TEST(JsonTest, DuplicatesFoundInLargeObjectsAndNestingKeepsScopes) {
  for (int n : {3, 15, 16, 17, 40}) {
    std::string text = "{";
    for (int i = 0; i < n; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    std::string ok = text + "\"inner\":{\"k0\":1,\"k1\":{\"k0\":2}},\"last\":0}";
    EXPECT_TRUE(Parse(ok).has_value()) << n;
    for (int dup : {0, n / 2, n - 1}) {
      auto v = Parse(text + "\"k" + std::to_string(dup) + "\":9}");
      ASSERT_FALSE(v.has_value()) << n << " " << dup;
      EXPECT_NE(v.error().message().find("duplicate member `k" + std::to_string(dup) + "`"),
                std::string::npos);
    }
  }
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

// JsonWriter writes what the appending functions write, and grows when the room reserved
// ahead is too small (here none), so a wrong estimate costs a reallocation, never memory.
TEST(WriterTest, JsonWriterAgreesWithTheAppendersAndGrows) {
  const std::string odd = std::string("line\nbreak \"q\" \x01 ") + std::string(300, 'x');
  std::string appended = "{";
  AppendMember(appended, "s", odd);
  AppendMember(appended, "n", int64_t{-7});
  AppendKey(appended, "list");
  appended += "[\"a\",\"b\"]}";
  for (size_t expected : {size_t{0}, size_t{1}, size_t{4096}}) {
    std::string written = "{";
    {
      JsonWriter w(written, expected);
      w.Member("s", odd);
      w.Member("n", int64_t{-7});
      w.ArrayMember("list", std::vector<std::string>{"a", "b"},
                    [](JsonWriter& o, const std::string& e) { o.String(e); });
      w.Char('}');
    }
    EXPECT_EQ(written, appended) << "expected " << expected;
    auto parsed = Parse(written);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    EXPECT_EQ(parsed->at("s").as_string(), odd);
  }
}

// Argument digests hash what AppendCanonical writes; anyone may recompute them with another
// serialiser that sorts members. For documents already in member order its bytes are Boost.JSON's:
// every kind of value, escapes, nesting and Boost's own number formats.
TEST(WriterTest, AppendCanonicalMatchesBoostForSortedDocuments) {
  const char* documents[] = {
      R"({})",
      R"({"a":1,"b":-9223372036854775808,"c":18446744073709551615,"d":1.5,"e":-0.0,"f":1e300})",
      R"({"f":false,"n":null,"s":"line\nbreak \"q\" \\ \u0001 caf\u00e9 \ud83d\ude00","t":true})",
      R"({"nested":{"empty":"","list":[1,[2,[3,{"x":[]}]],{}],"z":0.1}})",
      R"({"amount":120000,"invoice_id":"INV-7","ratio":3.0E-7,"tags":["a","b"]})",
  };
  for (const char* text : documents) {
    auto parsed = Parse(text);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
    std::string out = "prefix";
    AppendCanonical(out, parsed->as_object());
    EXPECT_EQ(out, "prefix" + Serialize(parsed->as_object())) << text;
  }
  // Deeper than parsing allows (built in code): still Boost's bytes.
  boost::json::value deep = boost::json::object{};
  for (int i = 0; i < 200; ++i) deep = boost::json::object{{"d", std::move(deep)}};
  std::string out;
  AppendCanonical(out, deep.as_object());
  EXPECT_EQ(out, Serialize(deep));
}

// The canonical form a step credential's `args` claim digests: one text whatever the member
// order, at every depth; arrays keep their order; values written as Boost.JSON writes them.
TEST(WriterTest, AppendCanonicalSortsMembersAtEveryDepth) {
  auto canonical = [](const char* text) {
    auto parsed = Parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    std::string out;
    AppendCanonical(out, parsed->as_object());
    return out;
  };
  EXPECT_EQ(canonical(R"({})"), "{}");
  EXPECT_EQ(canonical(R"({ "b" : 1, "a" : {"y":[3,{"k":2,"j":1}],"x":null} })"),
            R"({"a":{"x":null,"y":[3,{"j":1,"k":2}]},"b":1})");
  EXPECT_EQ(canonical(R"({"amount":50,"currency":"EUR"})"),
            canonical(R"({"currency":"EUR","amount":50})"));
  // Bytewise order: uppercase before lowercase, a prefix before its extensions.
  EXPECT_EQ(canonical(R"({"ab":1,"a":2,"B":3,"é":4})"), R"({"B":3,"a":2,"ab":1,"é":4})");
  // Arrays are ordered data: never sorted.
  EXPECT_NE(canonical(R"({"l":[1,2]})"), canonical(R"({"l":[2,1]})"));
  // Numbers and strings exactly as Boost.JSON writes them.
  const char* text = R"({"s":"q\"\u0001é","d":1.5,"u":18446744073709551615,"e":1e300,"t":true})";
  auto parsed = Parse(text);
  ASSERT_TRUE(parsed.has_value());
  auto& o = parsed->as_object();
  boost::json::object sorted{
      {"d", o["d"]}, {"e", o["e"]}, {"s", o["s"]}, {"t", o["t"]}, {"u", o["u"]}};
  EXPECT_EQ(canonical(text), Serialize(sorted));
  // A different value is a different form (the digest's whole point).
  EXPECT_NE(canonical(R"({"amount":50})"), canonical(R"({"amount":1000000})"));
  EXPECT_NE(canonical(R"({"amount":50})"), canonical(R"({"amount":"50"})"));
}

}  // namespace
}  // namespace mandate::json
