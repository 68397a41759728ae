// Schema queries and tables the typechecker and the validator share: types of entity literals,
// attribute lookup, the `in` relation between entity types and actions, tag types, extension
// function signatures, and a structural key for expressions (capabilities are keyed by it).
// Thread-safety: pure functions over immutable data.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/internal/ast.h"
#include "src/cedar/internal/schema_model.h"
#include "src/cedar/internal/typecheck_types.h"

namespace mandate::cedar::internal {

// Structural key of an expression (source positions ignored): equal keys, equal expressions.
std::string ExprKey(const Expr& e);

// Type of an entity literal: the declared entity type or action; null when not declared.
TypePtr EntityLiteralType(const SchemaModel& schema, const EntityUid& uid);

// The attribute's type on an entity or record type; nullopt when not known to exist.
std::optional<AttributeType> LookupAttribute(const SchemaModel& schema, const Type& type,
                                             const std::string& attr);
// True when a value of `type` might have `attr` (open records, unknown entities).
bool MayHaveAttribute(const SchemaModel& schema, const Type& type, const std::string& attr);

// Actions in `actions` and all their descendants; nullopt when one is not declared.
std::optional<std::set<EntityUid>> ActionsIn(const SchemaModel& schema,
                                             const std::vector<EntityUid>& actions);
// True when an entity of some type in `lhs` may be in an entity of some type in `rhs`.
bool MayBeDescendant(const SchemaModel& schema, const std::set<std::string>& lhs,
                     const std::set<std::string>& rhs);

// Declared tag types of the entity types in `type` (distinct).
std::vector<TypePtr> TagTypes(const SchemaModel& schema, const Type& type);

struct ExtensionSignature {
  std::string_view name;
  std::vector<TypePtr> args;
  TypePtr result;
  bool constructor = false;  // takes a literal string that must parse
};
const ExtensionSignature& SignatureOf(ExtFn fn);

}  // namespace mandate::cedar::internal
