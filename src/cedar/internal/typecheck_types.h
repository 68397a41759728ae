// The validator's type lattice (Cedar's strict-mode typechecker types).
//
// Never <: everything; True, False <: Bool; entity types form least upper bounds (sets of entity
// type names) below AnyEntity; action entities have their own kind; records are open or closed.
// Schema types (attributes, context, tags) use the same structure with closed records.
// Thread-safety: immutable values shared through shared_ptr; safe to share between threads.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "src/cedar/internal/value.h"

namespace mandate::cedar::internal {

struct Type;
using TypePtr = std::shared_ptr<const Type>;

struct AttributeType {
  TypePtr type;
  bool required = true;
};
using Attributes = std::map<std::string, AttributeType>;

struct Type {
  enum class Kind : uint8_t {
    kNever,
    kTrue,
    kFalse,
    kBool,
    kLong,
    kString,
    kSet,        // element (null: any set, only as an expectation)
    kRecord,     // attributes, open
    kEntity,     // entity_types: a non-empty least upper bound
    kAnyEntity,  // any entity (only as an expectation, or a slot of unknown type)
    kAction,     // an action entity of type entity_types' single member
    kExtension,  // extension
  };
  Kind kind = Kind::kNever;
  TypePtr element;
  Attributes attributes;
  bool open = false;
  std::set<std::string> entity_types;
  ExtensionKind extension = ExtensionKind::kDecimal;

  static TypePtr Never();
  static TypePtr True();
  static TypePtr False();
  static TypePtr Singleton(bool b) { return b ? True() : False(); }
  static TypePtr Bool();
  static TypePtr Long();
  static TypePtr String();
  static TypePtr SetOf(TypePtr element);
  static TypePtr AnySet();
  static TypePtr RecordOf(Attributes attributes, bool open = false);
  static TypePtr AnyRecord();
  static TypePtr EntityOf(std::string entity_type);
  static TypePtr EntityLub(std::set<std::string> entity_types);
  static TypePtr AnyEntity();
  static TypePtr ActionOf(std::string action_type);
  static TypePtr Ext(ExtensionKind kind);

  bool is_boolean() const {
    return kind == Kind::kTrue || kind == Kind::kFalse || kind == Kind::kBool;
  }
};

// Structural equality.
bool TypeEquals(const Type& a, const Type& b);

// Strict-mode subtyping (`permissive` selects Cedar's permissive rules, which the typechecker
// uses when it only asks "is this some entity / some record / some set").
bool IsSubtype(const Type& a, const Type& b, bool permissive);

// Least upper bound in strict mode; null when there is none (an `incompatible types` error).
TypePtr LeastUpperBound(const TypePtr& a, const TypePtr& b);

// True when no value inhabits both types (only decided for entity types, as Cedar does).
bool AreDisjoint(const Type& a, const Type& b);

// "Long", "Set<String>", "{a: Long, b?: Bool}", "User", for messages.
std::string TypeToString(const Type& type);

// "ipaddr", "decimal", "datetime", "duration".
std::string_view ExtensionName(ExtensionKind kind);

}  // namespace mandate::cedar::internal
