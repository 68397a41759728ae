#include "src/cedar/schema.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "src/cedar/internal/schema_model.h"

namespace mandate::cedar {
namespace {

constexpr const char* kSchema = R"(
namespace App {
  type Ctx = { ip: ipaddr, level?: Long };
  entity Group;
  entity User in [Group] = { name: String, age?: Long, boss?: User } tags String;
  entity Color enum ["red", "green"];
  action all;
  action read in [all] appliesTo { principal: [User], resource: [Group], context: Ctx };
}
)";

std::shared_ptr<const Schema> MustParse(std::string_view text) {
  auto schema = Schema::Parse(text);
  EXPECT_TRUE(schema) << schema.error().ToString();
  return schema ? *schema : nullptr;
}

bool Validates(const Schema& schema, std::string_view policies) {
  auto set = ParsePolicies(policies);
  EXPECT_TRUE(set) << set.error().ToString();
  return set && ValidatePolicies(schema, *set).passed();
}

TEST(SchemaTest, ParsesCedarSyntaxAndResolvesNames) {
  auto schema = MustParse(kSchema);
  ASSERT_TRUE(schema);
  const auto& model = schema->model();
  const auto* user = model.FindEntityType("App::User");
  ASSERT_NE(user, nullptr);
  EXPECT_TRUE(user->parents.count("App::Group"));
  EXPECT_TRUE(model.FindEntityType("App::Group")->descendants.count("App::User"));
  EXPECT_FALSE(user->attributes.at("age").required);
  ASSERT_NE(user->tags, nullptr);
  const auto* read = model.FindAction(EntityUid("App::Action", "read"));
  ASSERT_NE(read, nullptr);
  EXPECT_TRUE(read->ancestors.count(EntityUid("App::Action", "all")));
  EXPECT_EQ(read->context->attributes.size(), 2u);
}

TEST(SchemaTest, JsonSyntaxMatchesCedarSyntax) {
  auto schema = MustParse(R"({"App": {
    "entityTypes": {"User": {"memberOfTypes": ["Group"],
                             "shape": {"type": "Record", "attributes": {
                               "name": {"type": "String"},
                               "age": {"type": "Long", "required": false}}}},
                    "Group": {}},
    "actions": {"read": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Group"]}}}}})");
  ASSERT_TRUE(schema);
  EXPECT_TRUE(schema->model().FindEntityType("App::User")->parents.count("App::Group"));
}

TEST(SchemaTest, SyntaxErrorsCarryLineAndColumn) {
  std::vector<Diagnostic> diagnostics;
  auto schema = Schema::ParseCedar("entity User;\nentity Photo in [User;\n", {}, &diagnostics);
  ASSERT_FALSE(schema);
  EXPECT_EQ(schema.error().reason(), "cedar.schema");
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].line, 2u);
  EXPECT_NE(diagnostics[0].message.find("expected"), std::string::npos);
}

TEST(SchemaTest, RejectsSemanticErrors) {
  EXPECT_FALSE(Schema::Parse("entity User in [Nobody];"));
  EXPECT_FALSE(Schema::Parse("type A = B; type B = A; entity User = { a: A };"));
  EXPECT_FALSE(Schema::Parse("action a in [b]; action b in [a];"));
  EXPECT_FALSE(Schema::Parse("entity User; entity User;"));
  EXPECT_FALSE(Schema::Parse("entity User = { a: Long, a: String };"));
  EXPECT_FALSE(Schema::Parse(R"({"": {"entityTypes": {}, "actions": {}, "bogus": 1}})"));
}

TEST(SchemaTest, HostileInputIsBounded) {
  std::string deep = "entity A = { a: ";
  for (int i = 0; i < 5000; ++i) deep += "Set<";
  deep += "Long";
  auto schema = Schema::Parse(deep);
  ASSERT_FALSE(schema);
  EXPECT_NE(schema.error().message().find("limit"), std::string::npos);
  EXPECT_FALSE(Schema::Parse("entity \"\xff\";"));
}

TEST(SchemaTest, StrictValidation) {
  auto schema = MustParse(kSchema);
  ASSERT_TRUE(schema);
  EXPECT_TRUE(Validates(*schema, R"(permit(principal, action == App::Action::"read", resource)
      when { principal.name == "x" && (principal has age && principal.age > 3) };)"));
  // Optional attribute without a `has` guard.
  EXPECT_FALSE(Validates(*schema, R"(permit(principal, action, resource)
      when { principal.age > 3 };)"));
  // Undeclared attribute, entity type and action.
  EXPECT_FALSE(Validates(*schema, "permit(principal, action, resource) when { principal.nope };"));
  EXPECT_FALSE(Validates(*schema, "permit(principal == Nobody::\"a\", action, resource);"));
  EXPECT_FALSE(
      Validates(*schema, "permit(principal, action == App::Action::\"write\", resource);"));
  // Action scope that applies to no principal type.
  EXPECT_FALSE(Validates(*schema,
                         "permit(principal is App::Group, action == App::Action::\"read\", "
                         "resource);"));
  // Strict mode: no mixing element types, no empty set literal, literal-only constructors.
  EXPECT_FALSE(
      Validates(*schema, "permit(principal, action, resource) when { [1, \"a\"] == [] };"));
  EXPECT_FALSE(Validates(*schema, "permit(principal, action, resource) when { [].isEmpty() };"));
  EXPECT_FALSE(Validates(
      *schema, "permit(principal, action, resource) when { ip(principal.name).isIpv4() };"));
  EXPECT_TRUE(Validates(*schema, R"(permit(principal, action, resource)
      when { context.ip.isInRange(ip("10.0.0.0/8")) };)"));
  // Enumerated ids and tags.
  EXPECT_FALSE(Validates(*schema,
                         "permit(principal, action, resource) when { App::Color::\"blue\" == "
                         "App::Color::\"red\" };"));
  EXPECT_FALSE(Validates(*schema,
                         "permit(principal, action, resource) when { principal.getTag(\"t\") == "
                         "\"x\" };"));
  EXPECT_TRUE(Validates(*schema,
                        "permit(principal, action, resource) when { principal.hasTag(\"t\") && "
                        "principal.getTag(\"t\") == \"x\" };"));
}

TEST(SchemaTest, ImpossiblePolicyIsAWarningNotAnError) {
  auto schema = MustParse(kSchema);
  ASSERT_TRUE(schema);
  auto set = ParsePolicies("permit(principal, action, resource) when { false };");
  ASSERT_TRUE(set);
  ValidationResult result = ValidatePolicies(*schema, *set);
  EXPECT_TRUE(result.passed());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].code, "impossible_policy");
}

TEST(SchemaTest, RequestValidation) {
  auto schema = MustParse(kSchema);
  ASSERT_TRUE(schema);
  EntityUid read("App::Action", "read");
  auto context = schema->ParseContext(boost::json::parse(R"({"ip": "10.1.2.3"})"), read);
  ASSERT_TRUE(context) << context.error().ToString();
  ASSERT_TRUE(context->Field("ip"));
  EXPECT_TRUE(context->Field("ip")->is_extension());
  Request ok{EntityUid("App::User", "alice"), read, EntityUid("App::Group", "g"), *context};
  EXPECT_TRUE(schema->ValidateRequest(ok).ok());
  Request wrong_principal = ok;
  wrong_principal.principal = EntityUid("App::Group", "g");
  Status s = schema->ValidateRequest(wrong_principal);
  EXPECT_EQ(s.reason(), "cedar.request_invalid");
  EXPECT_FALSE(schema->ParseContext(boost::json::parse(R"({"level": 1})"), read));
  EXPECT_FALSE(schema->ParseContext(boost::json::parse(R"({"ip": "10.1.2.3", "x": 1})"), read));
}

}  // namespace
}  // namespace mandate::cedar
