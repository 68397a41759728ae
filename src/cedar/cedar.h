// Cedar policy language (4.x): the public face of src/cedar/. Other folders include only this
// header (and src/cedar/schema.h for schemas). SHARED MODEL: the types below are what the
// schema/validation half of this folder builds on.
//
//   auto policies = cedar::ParsePolicies(text);             // or PolicySetFromEst(json)
//   auto authorizer = cedar::Authorizer::Build(*policies);   // immutable, indexed by scope
//   auto entities = cedar::EntitiesFromJson(entities_json);  // or Entities::Build(vector)
//   cedar::Request request{principal, action, resource,
//                          cedar::RecordBuilder().Add("step",
//                          cedar::Value::String("pay")).Build()};
//   cedar::Response r = authorizer->Authorize(request, *entities);
//
// Thread-safety: PolicySet is a plain container (not synchronized); Authorizer and Entities are
// immutable after Build and safe to use from many threads at once. No global state.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/cedar/internal/ast.h"
#include "src/cedar/internal/entities.h"
#include "src/cedar/internal/value.h"
#include "src/util/status.h"

namespace mandate::cedar {

// ---- Limits against hostile input (documented in docs/cedar.md) ----
struct Limits {
  size_t max_policy_text_bytes = 4 << 20;  // one policy set, text or JSON
  size_t max_depth = 512;                  // expression / JSON nesting
  size_t max_literal_bytes = 64 << 10;     // one string literal or pattern
  size_t max_set_elements = 65536;         // one set literal or JSON array
  size_t max_policies = 100000;
  size_t max_json_bytes = 16 << 20;  // one entities or context document
  size_t max_entities = 1000000;
};

// A parse error with its position (1-based; 0 when unknown).
struct Diagnostic {
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;  // lowercase, user input in backticks, says what was expected
};

// ---- Policies ----
// Static policies and templates in textual order, plus linked policies.
class PolicySet {
 public:
  const std::vector<Policy>& policies() const { return policies_; }    // static + linked
  const std::vector<Policy>& templates() const { return templates_; }  // have slots
  const Policy* FindPolicy(std::string_view id) const;
  const Policy* FindTemplate(std::string_view id) const;

  // Adds a static policy (no slots) or a template (has slots). Rejects a duplicate id.
  Status Add(Policy policy);
  // Links template `template_id` as policy `new_id`, filling ?principal / ?resource.
  // Rejects an unknown template, a duplicate id, a missing or an extra slot value.
  Status Link(std::string_view template_id, std::string new_id,
              const std::vector<std::pair<SlotId, EntityUid>>& values);

 private:
  std::vector<Policy> policies_;
  std::vector<Policy> templates_;
};

// Parses Cedar policy text. Ids are `policy0`, `policy1`, ... in textual order (templates
// share the counter). Collects every error it can; the Status (reason `cedar.parse`) message
// lists them as `line L, column C: message`, and `diagnostics` receives them one by one.
[[nodiscard]] Result<PolicySet> ParsePolicies(std::string_view text, const Limits& limits = {},
                                              std::vector<Diagnostic>* diagnostics = nullptr);
// Parses one policy or template (the id is given).
[[nodiscard]] Result<Policy> ParsePolicy(std::string_view text, std::string id,
                                         const Limits& limits = {});
// Parses one expression (for tests and tools).
[[nodiscard]] Result<ExprPtr> ParseExpression(std::string_view text, const Limits& limits = {});

// Pretty-printer for `mandate cedar format`: canonical layout, comments are not kept.
std::string FormatPolicy(const Policy& policy);
std::string FormatPolicySet(const PolicySet& policies);
std::string FormatExpr(const Expr& expr);

// EST: Cedar's JSON policy format, both ways. A policy set in JSON is
// {"staticPolicies":{id:policy}, "templates":{id:policy}, "templateLinks":[{"templateId",
// "newId","values":{"?principal":{"type","id"}}}]}.
boost::json::value PolicyToEst(const Policy& policy);
[[nodiscard]] Result<Policy> PolicyFromEst(const boost::json::value& est, std::string id,
                                           const Limits& limits = {});
boost::json::value PolicySetToEst(const PolicySet& policies);
[[nodiscard]] Result<PolicySet> PolicySetFromEst(const boost::json::value& est,
                                                 const Limits& limits = {});

// ---- Schema-directed typing of JSON (the hook the schema side implements) ----
// What a JSON value is expected to be. kAny accepts any JSON value with default typing
// (strings stay strings, `__entity`/`__extn` escapes honoured).
struct TypeHint {
  enum class Kind : uint8_t { kAny, kBool, kLong, kString, kEntity, kSet, kRecord, kExtension };
  struct Attribute {
    std::shared_ptr<const TypeHint> type;
    bool required = true;
  };
  Kind kind = Kind::kAny;
  std::string entity_type;                                    // kEntity (empty: any type)
  ExtensionKind extension = ExtensionKind::kDecimal;          // kExtension: a string converts
  std::shared_ptr<const TypeHint> element;                    // kSet
  std::vector<std::pair<std::string, Attribute>> attributes;  // kRecord
  bool open = false;  // kRecord: undeclared attributes allowed (typed as kAny)
};

// Implemented by the schema side; passed to EntitiesFromJson. All methods are const and must
// be safe to call from the parsing thread.
class EntitySchemaHook {
 public:
  virtual ~EntitySchemaHook() = default;
  // Type of the `attrs` record of this entity; an error if its type is not declared.
  virtual Result<const TypeHint*> AttributesHint(const EntityUid& uid) const = 0;
  // Type of every tag value of this entity; nullptr when the type has no tags declared.
  virtual Result<const TypeHint*> TagsHint(const EntityUid& uid) const = 0;
  // Last check of a parsed entity (e.g. its parents' types are allowed).
  virtual Status CheckEntity(const EntityData& entity) const = 0;
  // Entities the schema itself declares (action entities and their hierarchy).
  virtual std::vector<EntityData> DeclaredEntities() const = 0;
};

// ---- JSON formats (entities, values, requests) ----
// Value from JSON: bool, number (exact i64), string, array -> set, object -> record, with
// `{"__entity":{"type","id"}}` and `{"__extn":{"fn","arg"}}` escapes. `hint` may be null.
[[nodiscard]] Result<Value> ValueFromJson(const boost::json::value& json, const TypeHint* hint,
                                          const Limits& limits = {});
boost::json::value ValueToJson(const Value& value);
// `{"type","id"}` or `{"__entity":{"type","id"}}`.
[[nodiscard]] Result<EntityUid> EntityUidFromJson(const boost::json::value& json);
boost::json::value EntityUidToJson(const EntityUid& uid);
// Entities JSON: [{"uid", "attrs", "parents", "tags"?}]. With a hook, values are typed by the
// schema and the schema's own entities are added.
[[nodiscard]] Result<Entities> EntitiesFromJson(std::string_view text,
                                                const EntitySchemaHook* hook = nullptr,
                                                const Limits& limits = {});
[[nodiscard]] Result<Entities> EntitiesFromJsonValue(const boost::json::value& json,
                                                     const EntitySchemaHook* hook = nullptr,
                                                     const Limits& limits = {});
boost::json::value EntitiesToJson(const Entities& entities);
// Context JSON: an object; `hint` (a kRecord) may be null.
[[nodiscard]] Result<Value> ContextFromJson(std::string_view text, const TypeHint* hint = nullptr,
                                            const Limits& limits = {});

// ---- Authorization ----
struct Request {
  EntityUid principal;
  EntityUid action;
  EntityUid resource;
  Value context = Value::RecordOf({});  // must be a Record
};

enum class Decision : uint8_t { kAllow, kDeny };

struct PolicyError {
  std::string policy_id;
  std::string message;
};

struct Response {
  Decision decision = Decision::kDeny;
  std::vector<std::string> reasons;  // ids of the determining policies, in policy order
  std::vector<PolicyError> errors;   // policies skipped because evaluation raised an error
};

// An immutable, pre-built policy set indexed by scope constraints. Authorize is const and
// allocation-light; safe from many threads at once.
class Authorizer {
 public:
  // REQUIRES: `policies` holds only static and linked policies to evaluate (templates are
  // ignored). Copies what it needs; `policies` may be destroyed afterwards.
  [[nodiscard]] static Result<std::shared_ptr<const Authorizer>> Build(const PolicySet& policies);

  // Cedar semantics: allow iff some permit is satisfied and no forbid is; errors skip a policy.
  Response Authorize(const Request& request, const Entities& entities) const;
  // Evaluates one expression against a request (tools, tests). Errors come back as a Status
  // with reason `cedar.eval`.
  static Result<Value> Evaluate(const Expr& expr, const Request& request, const Entities& entities);

  size_t size() const;
  ~Authorizer();

 private:
  Authorizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mandate::cedar
