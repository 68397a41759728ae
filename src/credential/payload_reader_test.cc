#include "src/credential/internal/payload_reader.h"

#include <gtest/gtest.h>

namespace mandate::credential::internal {
namespace {

using Type = PayloadReader::Type;

TEST(PayloadReader, ReadsMembersByObjectAndKey) {
  PayloadReader r;
  ASSERT_TRUE(r.Read(R"({"iss":"a\"b","n":-3,"u":18446744073709551615,"d":1.5,)"
                     R"("act":{"sub":"x","act":{"sub":"y"}},"aud":["p","q"],"t":true,"z":null})")
                  .ok());
  const auto* iss = r.Find(PayloadReader::kRoot, "iss");
  ASSERT_NE(iss, nullptr);
  EXPECT_EQ(r.Text(*iss), "a\"b");
  EXPECT_EQ(r.Find(PayloadReader::kRoot, "n")->int64, -3);
  EXPECT_EQ(r.Find(PayloadReader::kRoot, "u")->type, Type::kUint64);
  EXPECT_EQ(r.Find(PayloadReader::kRoot, "d")->type, Type::kDouble);
  EXPECT_TRUE(r.Find(PayloadReader::kRoot, "t")->boolean);
  EXPECT_EQ(r.Find(PayloadReader::kRoot, "z")->type, Type::kNull);
  const auto* act = r.Find(PayloadReader::kRoot, "act");
  ASSERT_EQ(act->type, Type::kObject);
  EXPECT_EQ(r.Text(*r.Find(r.IndexOf(act), "sub")), "x");
  const auto* inner = r.Find(r.IndexOf(act), "act");
  EXPECT_EQ(r.Text(*r.Find(r.IndexOf(inner), "sub")), "y");
  // Nested members are not top-level members, and array elements are nobody's members.
  EXPECT_EQ(r.Find(PayloadReader::kRoot, "sub"), nullptr);
  EXPECT_EQ(r.Find(r.IndexOf(r.Find(PayloadReader::kRoot, "aud")), ""), nullptr);
}

TEST(PayloadReader, DottedKeyIsNotANestedMember) {
  PayloadReader r;
  ASSERT_TRUE(r.Read(R"({"cnf.jkt":"forged","cnf":{"jkt":"real"}})").ok());
  const auto* cnf = r.Find(PayloadReader::kRoot, "cnf");
  EXPECT_EQ(r.Text(*r.Find(r.IndexOf(cnf), "jkt")), "real");
}

TEST(PayloadReader, RejectsDuplicatesAtEveryLevelEvenWhenEscaped) {
  PayloadReader r;
  EXPECT_EQ(r.Read(R"({"alg":"a","alg":"b"})").reason(), "jws.duplicate_member");
  EXPECT_EQ(r.Read(R"({"sub":"a","\u0073ub":"b"})").reason(), "jws.duplicate_member");
  EXPECT_EQ(r.Read(R"({"cnf":{"jkt":"a","jkt":"b"}})").reason(), "jws.duplicate_member");
  EXPECT_EQ(r.Read(R"({"a":[{"k":1,"k":2}]})").reason(), "jws.duplicate_member");
  // The same key in sibling objects is fine.
  EXPECT_TRUE(r.Read(R"({"a":{"k":1},"b":{"k":2},"k":3})").ok());
}

TEST(PayloadReader, RejectsMalformedAndHostileInput) {
  PayloadReader r;
  for (std::string_view bad :
       {"", "[]", "\"s\"", "{", R"({"a":1,})", R"({"a":1} x)", R"({"a":1}{})", "{/*c*/}",
        "{\"a\":\"\xff\"}", R"({'a':1})", R"({"a":01})", R"({"a":NaN})"}) {
    EXPECT_EQ(r.Read(bad).reason(), "jwt.payload_invalid") << bad;
  }
  std::string deep = std::string(40, '[') + std::string(40, ']');
  EXPECT_EQ(r.Read("{\"a\":" + deep + "}").reason(), "jwt.payload_invalid");
  std::string wide = "{";
  for (int i = 0; i <= int(PayloadReader::kMaxMembersPerObject); ++i) {
    wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  }
  wide += "}";
  Status too_many = r.Read(wide);
  EXPECT_EQ(too_many.reason(), "jwt.payload_invalid");
  EXPECT_NE(too_many.message().find("members"), std::string::npos) << too_many.message();
}

}  // namespace
}  // namespace mandate::credential::internal
