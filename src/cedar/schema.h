// Cedar schemas and validation: the public face of the schema half of src/cedar/.
//
//   auto schema = cedar::Schema::Parse(text);                      // Cedar or JSON syntax
//   auto entities = cedar::EntitiesFromJson(json, &(*schema)->entity_hook());
//   auto context = (*schema)->ParseContext(context_json, action);  // strings -> ipaddr, ...
//   MANDATE_RETURN_IF_ERROR((*schema)->ValidateRequest(request));
//   cedar::ValidationResult v = cedar::ValidatePolicies(**schema, policies);  // strict mode
//
// Thread-safety: a Schema is immutable after parsing; every method is const and safe to call
// from many threads at once. ValidatePolicies is a pure function.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/util/status.h"

namespace mandate::cedar {

namespace internal {
struct RawSchema;
struct SchemaModel;
class SchemaEntityHook;
}  // namespace internal

// Limits against hostile schemas (documented in docs/cedar-validation.md).
struct SchemaLimits {
  size_t max_bytes = 4 << 20;           // one schema document
  size_t max_depth = 64;                // type nesting (sets, records)
  size_t max_tokens = 1 << 20;          // Cedar syntax tokens
  size_t max_literal_bytes = 64 << 10;  // one string literal or name
  size_t max_declarations = 100000;     // entity types + actions + common types
};

class Schema {
 public:
  // Cedar schema syntax (`.cedarschema`). Errors (reason `cedar.schema`) carry `line L,
  // column C`; `diagnostics` receives them too.
  [[nodiscard]] static Result<std::shared_ptr<const Schema>> ParseCedar(
      std::string_view text, const SchemaLimits& limits = {},
      std::vector<Diagnostic>* diagnostics = nullptr);
  // JSON schema syntax.
  [[nodiscard]] static Result<std::shared_ptr<const Schema>> ParseJson(
      std::string_view text, const SchemaLimits& limits = {});
  // JSON when the text starts (after whitespace) with `{`, else Cedar syntax.
  [[nodiscard]] static Result<std::shared_ptr<const Schema>> Parse(std::string_view text,
                                                                   const SchemaLimits& limits = {});

  // Schema-directed typing of entities: pass to EntitiesFromJson. Entities must conform
  // (declared type, attributes, parents, tags, enumerated ids); the schema's action entities
  // and action hierarchy are added.
  const EntitySchemaHook& entity_hook() const;
  // Context of a request for `action`, typed by the action's declared context.
  [[nodiscard]] Result<Value> ParseContext(const boost::json::value& json, const EntityUid& action,
                                           const Limits& limits = {}) const;
  // The request conforms: declared action, principal and resource types it applies to, known
  // enumerated ids, context of the declared type. Reason `cedar.request_invalid`.
  Status ValidateRequest(const Request& request) const;

  const internal::SchemaModel& model() const { return *model_; }
  ~Schema();

 private:
  Schema();
  static Result<std::shared_ptr<const Schema>> FromRaw(Result<internal::RawSchema> raw,
                                                       const SchemaLimits& limits);
  std::unique_ptr<internal::SchemaModel> model_;
  std::unique_ptr<internal::SchemaEntityHook> hook_;
};

// One finding of the validator.
struct ValidationIssue {
  std::string policy_id;
  std::string code;     // e.g. `unexpected_type`, `unsafe_attribute_access`, `impossible_policy`
  std::string message;  // lowercase, user input in backticks
  SourceSpan span;
};

struct ValidationResult {
  std::vector<ValidationIssue> errors;
  std::vector<ValidationIssue> warnings;
  bool passed() const { return errors.empty(); }
};

// Strict-mode validation of every static policy, template and linked policy, as Cedar's
// validator does it: entity types and action ids exist, the action scope applies to some
// principal/resource types, and every condition typechecks in every request environment.
ValidationResult ValidatePolicies(const Schema& schema, const PolicySet& policies);

// ---- Conformance suite (`mandate cedar conformance`) ----
// Runs every test under ROOT/tests and ROOT/corpus-tests laid out as Cedar's integration
// tests (see ../shared/conformance/cedar/README.md): per request, decision + reason set + error
// set; per test, strict validation against `shouldValidate`. Each schema, policy set and
// entity file is parsed once.
struct ConformanceMismatch {
  std::string test;    // test file, relative to ROOT
  std::string what;    // request description, or `validation`
  std::string detail;  // expected versus actual
};
struct ConformanceReport {
  size_t requests_total = 0, requests_matched = 0;
  size_t validation_total = 0, validation_matched = 0;
  std::vector<ConformanceMismatch> mismatches;
};
[[nodiscard]] Result<ConformanceReport> RunConformance(const std::string& root);

}  // namespace mandate::cedar
