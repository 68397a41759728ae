// Cedar's JSON value format: `__entity` / `__extn` escapes (one-argument `arg` and
// multi-argument `args` calls, malformed escapes read as records, as the reference reads them)
// and the limits on hostile entity and context documents.
#include <gtest/gtest.h>

#include "src/cedar/cedar.h"

namespace mandate::cedar {
namespace {

// Evaluates `expr` with `context_json` as the context.
Result<Value> EvalWith(std::string_view context_json, std::string_view expr) {
  auto ctx = ContextFromJson(context_json);
  if (!ctx) return tl::unexpected<Status>(ctx.error());
  auto e = ParseExpression(expr);
  if (!e) return tl::unexpected<Status>(e.error());
  Request r;
  r.context = *ctx;
  return Authorizer::Evaluate(**e, r, Entities());
}

void ExpectTrue(std::string_view context_json, std::string_view expr) {
  auto v = EvalWith(context_json, expr);
  ASSERT_TRUE(v) << context_json << " / " << expr << ": " << v.error().ToString();
  EXPECT_TRUE(v->is_bool() && v->as_bool()) << context_json << " / " << expr;
}

void ExpectRejected(std::string_view context_json, std::string_view fragment) {
  auto ctx = ContextFromJson(context_json);
  ASSERT_FALSE(ctx) << context_json << " was accepted";
  EXPECT_NE(ctx.error().message().find(fragment), std::string::npos)
      << context_json << ": " << ctx.error().ToString();
}

constexpr std::string_view kDay = R"({"__extn":{"fn":"datetime","arg":"1970-01-01"}})";

TEST(JsonValuesTest, MultiArgumentExtnIsTheResultOfTheCall) {
  std::string offset = R"({"v":{"__extn":{"fn":"offset","args":[)" + std::string(kDay) +
                       R"(,{"__extn":{"fn":"duration","arg":"1d"}}]}}})";
  ExpectTrue(offset, R"(context.v == datetime("1970-01-02"))");
  // Regression (conformance corpus): a negative offset to year 0.
  ExpectTrue(R"({"v":{"__extn":{"fn":"offset","args":[)" + std::string(kDay) +
                 R"(,{"__extn":{"fn":"duration","arg":"-62167219200000ms"}}]}}})",
             R"(context.v == datetime("0000-01-01"))");
  ExpectTrue(R"({"v":{"__extn":{"fn":"durationSince","args":[
                 {"__extn":{"fn":"datetime","arg":"1970-01-02"}},)" +
                 std::string(kDay) + "]}}}",
             R"(context.v == duration("1d"))");
  ExpectTrue(R"({"v":{"__extn":{"fn":"toDate","arg":
                 {"__extn":{"fn":"datetime","arg":"1970-01-01T10:00:00Z"}}}}})",
             R"(context.v == datetime("1970-01-01"))");
  ExpectTrue(R"({"v":{"__extn":{"fn":"toTime","args":[
                 {"__extn":{"fn":"datetime","arg":"1970-01-01T10:00:00Z"}}]}}})",
             R"(context.v == duration("10h"))");
  // Methods that return a bool or a long give a bool or a long.
  ExpectTrue(R"({"v":{"__extn":{"fn":"toDays","arg":{"__extn":{"fn":"duration","arg":"2d"}}}}})",
             "context.v + 1 == 3");
  ExpectTrue(R"({"v":{"__extn":{"fn":"isInRange","args":[{"__extn":{"fn":"ip","arg":"1.2.3.4"}},
                 {"__extn":{"fn":"ip","arg":"1.2.3.0/24"}}]}}})",
             "context.v == true");
  ExpectTrue(R"({"v":{"__extn":{"fn":"lessThan","args":[{"__extn":{"fn":"decimal","arg":"1.0"}},
                 {"__extn":{"fn":"decimal","arg":"2.0"}}]}}})",
             "context.v");
  // A constructor takes its one argument in `args` too; with both, `arg` wins.
  ExpectTrue(R"({"v":{"__extn":{"fn":"decimal","args":["1.5"]}}})",
             R"(context.v == decimal("1.5"))");
  ExpectTrue(R"({"v":{"__extn":{"fn":"ip","arg":"1.2.3.4","args":["5.6.7.8"]}}})",
             R"(context.v == ip("1.2.3.4"))");
  // Inside sets and entity attributes as well.
  ExpectTrue(R"({"v":[{"__extn":{"fn":"offset","args":[)" + std::string(kDay) +
                 R"(,{"__extn":{"fn":"duration","arg":"1h"}}]}}]})",
             R"(context.v.contains(datetime("1970-01-01T01:00:00Z")))");
  auto entities =
      EntitiesFromJson(R"([{"uid":{"type":"U","id":"a"},"parents":[],
      "attrs":{"t":{"__extn":{"fn":"offset","args":[)" +
                       std::string(kDay) + R"(,{"__extn":{"fn":"duration","arg":"1d"}}]}}}}])");
  ASSERT_TRUE(entities) << entities.error().ToString();
}

TEST(JsonValuesTest, DatetimesOfAnyYearRoundTrip) {
  // Before year 0 and after year 9999 there is no datetime string: written as an offset.
  for (const char* ms : {"-62167219200001ms", "253402300800000ms", "0ms", "-1ms"}) {
    auto v = ContextFromJson(R"({"v":{"__extn":{"fn":"offset","args":[)" + std::string(kDay) +
                             R"(,{"__extn":{"fn":"duration","arg":")" + ms + R"("}}]}}})");
    ASSERT_TRUE(v) << ms << ": " << v.error().ToString();
    auto back = ValueFromJson(ValueToJson(*v), nullptr);
    ASSERT_TRUE(back) << ms << ": " << back.error().ToString();
    EXPECT_TRUE(*back == *v) << ms << ": " << ValueToString(*back);
  }
}

TEST(JsonValuesTest, MalformedEscapesAreRecords) {
  // The reference falls back to a record when the escape's body does not have its shape.
  ExpectTrue(R"({"v":{"__extn":{"fn":"ip"}}})", R"(context.v.__extn.fn == "ip")");
  ExpectTrue(R"({"v":{"__extn":{"fn":"ip","args":"1.2.3.4"}}})", R"(context.v has __extn)");
  ExpectTrue(R"({"v":{"__extn":{"fn":7,"arg":"1.2.3.4"}}})", R"(context.v.__extn.fn == 7)");
  ExpectTrue(R"({"v":{"__extn":{"fn":"ip","arg":"1.2.3.4"},"x":1}})", "context.v.x == 1");
  ExpectTrue(R"({"v":{"__entity":{"type":"U"}}})", R"(context.v.__entity.type == "U")");
  ExpectTrue(R"({"v":{"__entity":{"type":"U","id":"a"},"x":1}})", "context.v.x == 1");
  // Members beyond `type` and `id` inside a well-formed escape are ignored.
  ExpectTrue(R"({"v":{"__entity":{"type":"U","id":"a","x":1}}})", R"(context.v == U::"a")");
}

TEST(JsonValuesTest, BadExtnCallsAreRejected) {
  ExpectRejected(R"({"v":{"__extn":{"fn":"foo","arg":"x"}}})", "`foo` does not exist");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ipaddr","arg":"1.2.3.4"}}})", "does not exist");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ip","args":[]}}})", "wrong number of arguments");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ip","args":["1.2.3.4","5.6.7.8"]}}})",
                 "wrong number of arguments");
  ExpectRejected(R"({"v":{"__extn":{"fn":"offset","args":[)" + std::string(kDay) + "]}}}",
                 "wrong number of arguments");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ip","arg":5}}})", "type error");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ip","arg":{"__extn":{"fn":"ip","arg":"1.2.3.4"}}}}})",
                 "type error");
  ExpectRejected(R"({"v":{"__extn":{"fn":"offset","args":[)" + std::string(kDay) + ",1]}}}",
                 "type error");
  ExpectRejected(R"({"v":{"__extn":{"fn":"toDate","arg":{"__entity":{"type":"U","id":"a"}}}}})",
                 "type error");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ip","arg":"bad"}}})", "ip");
  ExpectRejected(R"({"v":{"__extn":{"fn":"offset","args":[
                     {"__extn":{"fn":"datetime","arg":"2024-01-01"}},
                     {"__extn":{"fn":"duration","arg":"9223372036854775807ms"}}]}}})",
                 "overflow");
  ExpectRejected(R"({"v":{"__extn":{"fn":"ip","arg":null}}})", "null");
  ExpectRejected(R"({"v":{"__expr":"1 + 1"}})", "`__expr` escape is no longer supported");
}

TEST(JsonValuesTest, SchemaHintsCheckTheCallsResult) {
  auto datetime_hint = std::make_shared<TypeHint>();
  datetime_hint->kind = TypeHint::Kind::kExtension;
  datetime_hint->extension = ExtensionKind::kDatetime;
  TypeHint record;
  record.kind = TypeHint::Kind::kRecord;
  record.attributes.push_back({"v", {datetime_hint, true}});
  auto ok = ContextFromJson(R"({"v":{"__extn":{"fn":"offset","args":[)" + std::string(kDay) +
                                R"(,{"__extn":{"fn":"duration","arg":"1d"}}]}}})",
                            &record);
  EXPECT_TRUE(ok) << ok.error().ToString();
  auto wrong = ContextFromJson(
      R"({"v":{"__extn":{"fn":"toDays","arg":{"__extn":{"fn":"duration","arg":"2d"}}}}})", &record);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("expected an extension value of type `datetime`"),
            std::string::npos)
      << wrong.error().ToString();
}

TEST(JsonValuesTest, NumbersAreExactSigned64BitIntegers) {
  ExpectTrue(R"({"v":9223372036854775807})", "context.v == 9223372036854775807");
  ExpectTrue(R"({"v":-9223372036854775808})", "context.v == -9223372036854775807 - 1");
  ExpectRejected(R"({"v":9223372036854775808})", "out of the signed 64-bit range");
  ExpectRejected(R"({"v":1.5})", "cedar has no floats");
  ExpectRejected(R"({"v":1e3})", "cedar has no floats");
}

TEST(JsonValuesTest, HostileDocumentsHitLimits) {
  // Deep nesting: the strict JSON parser stops at the depth limit.
  std::string deep = R"({"v":)" + std::string(2000, '[') + std::string(2000, ']') + "}";
  auto d = ContextFromJson(deep);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().reason(), "json.too_deep") << d.error().ToString();
  Limits limits;
  limits.max_depth = 8;
  d = ContextFromJson(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{}}}}}}}}}})", nullptr,
                      limits);
  ASSERT_FALSE(d);

  // Oversized documents are refused before parsing.
  limits = Limits();
  limits.max_json_bytes = 1024;
  std::string big = R"({"v":")" + std::string(2000, 'x') + R"("})";
  d = ContextFromJson(big, nullptr, limits);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().reason(), "json.too_large");

  // Giant sets and records, long strings, and too many entities.
  limits = Limits();
  limits.max_set_elements = 4;
  d = ContextFromJson(R"({"v":[1,2,3,4,5]})", nullptr, limits);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("set exceeds the element limit"), std::string::npos);
  d = ContextFromJson(R"({"v":{"a":1,"b":2,"c":3,"d":4,"e":5}})", nullptr, limits);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("record exceeds the attribute limit"), std::string::npos);
  limits = Limits();
  limits.max_literal_bytes = 8;
  d = ContextFromJson(R"({"v":"123456789"})", nullptr, limits);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("string exceeds the size limit"), std::string::npos);
  limits = Limits();
  limits.max_entities = 2;
  auto e = EntitiesFromJson(R"([{"uid":{"type":"U","id":"a"}},{"uid":{"type":"U","id":"b"}},
                                {"uid":{"type":"U","id":"c"}}])",
                            nullptr, limits);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("too many entities"), std::string::npos);

  // A 60,001-element set (within the default limit of 65,536) parses and is usable.
  std::string wide = R"({"v":[)";
  for (int i = 0; i < 60000; ++i) wide += std::to_string(i) + ",";
  wide += "60000]}";
  ExpectTrue(wide, "context.v.contains(59999)");

  // Invalid UTF-8 in a JSON string is rejected, never passed through.
  d = ContextFromJson("{\"v\":\"\xff\"}");
  ASSERT_FALSE(d);
}

}  // namespace
}  // namespace mandate::cedar
