// Cedar schemas inside src/cedar/: the unresolved form both syntaxes parse into (`RawSchema`,
// names as written) and the resolved form validation runs on (`SchemaModel`, every name fully
// qualified, common types inlined, hierarchies closed transitively).
// Thread-safety: plain data; a built SchemaModel is immutable and safe to share.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/typecheck_types.h"

namespace mandate::cedar {
struct SchemaLimits;
}

namespace mandate::cedar::internal {

// ---- Unresolved (as written) ----
struct RawType;
using RawTypePtr = std::shared_ptr<const RawType>;

struct RawAttribute {
  std::string name;
  RawTypePtr type;
  bool required = true;
};

struct RawType {
  enum class Kind : uint8_t {
    kName,       // a common type, an entity type or a builtin, resolved by name
    kEntity,     // JSON {"type":"Entity","name":N}
    kExtension,  // JSON {"type":"Extension","name":N}
    kCommon,     // JSON {"type":N}: a common type (or, since 4.x, an entity type or builtin)
    kBool,       // JSON "Boolean"
    kLong,       // JSON "Long"
    kString,     // JSON "String"
    kSet,
    kRecord,
  };
  Kind kind = Kind::kName;
  std::string name;
  RawTypePtr element;
  std::vector<RawAttribute> attributes;
  bool open = false;  // JSON "additionalAttributes": true
  SourceSpan span;
};

struct RawEntityType {
  std::string name;
  std::vector<std::string> member_of;
  RawTypePtr shape;  // null: no attributes
  RawTypePtr tags;   // null: no tags
  std::optional<std::vector<std::string>> enum_ids;
  SourceSpan span;
};

struct RawActionRef {
  std::optional<std::string> type;  // absent: the enclosing namespace's `Action`
  std::string id;
};

struct RawAction {
  std::string id;
  std::vector<RawActionRef> member_of;
  bool has_applies_to = false;
  std::vector<std::string> principal_types;
  std::vector<std::string> resource_types;
  RawTypePtr context;  // null: empty record
  SourceSpan span;
};

struct RawCommonType {
  std::string name;
  RawTypePtr type;
  SourceSpan span;
};

struct RawNamespace {
  std::string name;  // "" for the empty namespace
  std::vector<RawEntityType> entity_types;
  std::vector<RawAction> actions;
  std::vector<RawCommonType> common_types;
  SourceSpan span;
};

struct RawSchema {
  std::vector<RawNamespace> namespaces;
};

// ---- Resolved ----
struct EntityTypeDef {
  std::string name;
  std::set<std::string> parents;      // declared memberOfTypes, qualified
  std::set<std::string> descendants;  // types whose entities may be (transitively) in this one
  Attributes attributes;
  TypePtr tags;  // null: no tags
  std::optional<std::vector<std::string>> enum_ids;
};

struct ActionDef {
  EntityUid uid;
  std::vector<EntityUid> parents;   // declared memberOf
  std::set<EntityUid> ancestors;    // transitive
  std::set<EntityUid> descendants;  // transitive
  std::vector<std::string> principal_types;
  std::vector<std::string> resource_types;
  TypePtr context;  // a closed record
};

struct SchemaModel {
  std::map<std::string, EntityTypeDef> entity_types;
  std::map<EntityUid, ActionDef> actions;
  std::set<std::string> action_types;  // entity types of the declared actions

  const EntityTypeDef* FindEntityType(std::string_view name) const;
  const ActionDef* FindAction(const EntityUid& uid) const;
  // Entity types whose entities may be `in` an entity of `type` (itself included).
  std::set<std::string> EntityTypesIn(const std::string& type) const;
};

// "Action" or "NS::Action": the last path segment of an entity type is `Action`.
bool IsActionEntityType(std::string_view type);

// Parsers (schema_cedar_parser.cc, schema_json_parser.cc): syntax only; names stay as written.
Result<RawSchema> ParseCedarSchemaSyntax(std::string_view text, const SchemaLimits& limits,
                                         std::vector<Diagnostic>* diagnostics);
Result<RawSchema> ParseJsonSchemaSyntax(std::string_view text, const SchemaLimits& limits);

// Resolution (schema_resolve.cc): names, common types, hierarchies; every semantic error.
Result<SchemaModel> ResolveSchema(const RawSchema& raw);

}  // namespace mandate::cedar::internal
