#include "src/cedar/internal/typecheck_types.h"

#include <utility>

namespace mandate::cedar::internal {
namespace {

TypePtr Make(Type::Kind kind) {
  auto t = std::make_shared<Type>();
  t->kind = kind;
  return t;
}

bool AttributesSubtype(const Attributes& a, const Attributes& b, bool permissive) {
  for (const auto& [key, bt] : b) {
    auto it = a.find(key);
    if (it == a.end()) return false;
    const AttributeType& at = it->second;
    bool qualifier = permissive ? (at.required || !bt.required) : at.required == bt.required;
    if (!qualifier || !IsSubtype(*at.type, *bt.type, permissive)) return false;
  }
  return true;
}

bool SameKeys(const Attributes& a, const Attributes& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
  }
  return true;
}

}  // namespace

TypePtr Type::Never() {
  static const TypePtr t = Make(Kind::kNever);
  return t;
}
TypePtr Type::True() {
  static const TypePtr t = Make(Kind::kTrue);
  return t;
}
TypePtr Type::False() {
  static const TypePtr t = Make(Kind::kFalse);
  return t;
}
TypePtr Type::Bool() {
  static const TypePtr t = Make(Kind::kBool);
  return t;
}
TypePtr Type::Long() {
  static const TypePtr t = Make(Kind::kLong);
  return t;
}
TypePtr Type::String() {
  static const TypePtr t = Make(Kind::kString);
  return t;
}
TypePtr Type::SetOf(TypePtr element) {
  auto t = std::make_shared<Type>();
  t->kind = Kind::kSet;
  t->element = std::move(element);
  return t;
}
TypePtr Type::AnySet() {
  static const TypePtr t = Make(Kind::kSet);
  return t;
}
TypePtr Type::RecordOf(Attributes attributes, bool open) {
  auto t = std::make_shared<Type>();
  t->kind = Kind::kRecord;
  t->attributes = std::move(attributes);
  t->open = open;
  return t;
}
TypePtr Type::AnyRecord() {
  static const TypePtr t = RecordOf({}, true);
  return t;
}
TypePtr Type::EntityOf(std::string entity_type) { return EntityLub({std::move(entity_type)}); }
TypePtr Type::EntityLub(std::set<std::string> entity_types) {
  auto t = std::make_shared<Type>();
  t->kind = Kind::kEntity;
  t->entity_types = std::move(entity_types);
  return t;
}
TypePtr Type::AnyEntity() {
  static const TypePtr t = Make(Kind::kAnyEntity);
  return t;
}
TypePtr Type::ActionOf(std::string action_type) {
  auto t = std::make_shared<Type>();
  t->kind = Kind::kAction;
  t->entity_types = {std::move(action_type)};
  return t;
}
TypePtr Type::Ext(ExtensionKind kind) {
  auto t = std::make_shared<Type>();
  t->kind = Kind::kExtension;
  t->extension = kind;
  return t;
}

bool TypeEquals(const Type& a, const Type& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Type::Kind::kSet:
      if (!a.element || !b.element) return !a.element && !b.element;
      return TypeEquals(*a.element, *b.element);
    case Type::Kind::kRecord:
      if (a.open != b.open || !SameKeys(a.attributes, b.attributes)) return false;
      for (const auto& [key, at] : a.attributes) {
        const AttributeType& bt = b.attributes.at(key);
        if (at.required != bt.required || !TypeEquals(*at.type, *bt.type)) return false;
      }
      return true;
    case Type::Kind::kEntity:
    case Type::Kind::kAction:
      return a.entity_types == b.entity_types;
    case Type::Kind::kExtension:
      return a.extension == b.extension;
    default:
      return true;
  }
}

bool IsSubtype(const Type& a, const Type& b, bool permissive) {
  using K = Type::Kind;
  if (a.kind == K::kNever) return true;
  switch (b.kind) {
    case K::kBool:
      return a.is_boolean();
    case K::kTrue:
    case K::kFalse:
    case K::kLong:
    case K::kString:
      return a.kind == b.kind;
    case K::kSet:
      if (a.kind != K::kSet) return false;
      if (!b.element) return true;
      if (!a.element) return false;
      return IsSubtype(*a.element, *b.element, permissive);
    case K::kRecord:
      if (a.kind != K::kRecord) return false;
      if (a.open && !b.open) return false;
      if (b.open && permissive && AttributesSubtype(a.attributes, b.attributes, permissive)) {
        return true;
      }
      return SameKeys(a.attributes, b.attributes) &&
             AttributesSubtype(a.attributes, b.attributes, permissive);
    case K::kAction:
      return a.kind == K::kAction && a.entity_types == b.entity_types;
    case K::kEntity:
      if (a.kind != K::kEntity) return false;
      if (!permissive) return a.entity_types == b.entity_types;
      for (const auto& t : a.entity_types) {
        if (!b.entity_types.count(t)) return false;
      }
      return true;
    case K::kAnyEntity:
      if (a.kind == K::kAnyEntity) return true;
      return permissive && (a.kind == K::kEntity || a.kind == K::kAction);
    case K::kExtension:
      return a.kind == K::kExtension && a.extension == b.extension;
    case K::kNever:
      return false;
  }
  return false;
}

TypePtr LeastUpperBound(const TypePtr& a, const TypePtr& b) {
  using K = Type::Kind;
  if (IsSubtype(*a, *b, false)) return b;
  if (IsSubtype(*b, *a, false)) return a;
  if (a->is_boolean() && b->is_boolean()) return Type::Bool();
  if (a->kind == K::kSet && b->kind == K::kSet) {
    if (!a->element || !b->element) return Type::AnySet();
    TypePtr element = LeastUpperBound(a->element, b->element);
    return element ? Type::SetOf(element) : nullptr;
  }
  if (a->kind == K::kRecord && b->kind == K::kRecord) {
    if (!SameKeys(a->attributes, b->attributes)) return nullptr;
    Attributes attributes;
    for (const auto& [key, at] : a->attributes) {
      const AttributeType& bt = b->attributes.at(key);
      if (at.required != bt.required) return nullptr;
      TypePtr lub = LeastUpperBound(at.type, bt.type);
      if (!lub) return nullptr;
      attributes[key] = AttributeType{lub, at.required};
    }
    return Type::RecordOf(std::move(attributes), a->open || b->open);
  }
  if (a->kind == K::kAnyEntity && b->kind == K::kAnyEntity) return Type::AnyEntity();
  return nullptr;
}

bool AreDisjoint(const Type& a, const Type& b) {
  using K = Type::Kind;
  auto entityish = [](const Type& t) { return t.kind == K::kEntity || t.kind == K::kAction; };
  if (!entityish(a) || !entityish(b)) return false;
  for (const auto& t : a.entity_types) {
    if (b.entity_types.count(t)) return false;
  }
  return true;
}

std::string_view ExtensionName(ExtensionKind kind) {
  switch (kind) {
    case ExtensionKind::kIpAddr:
      return "ipaddr";
    case ExtensionKind::kDecimal:
      return "decimal";
    case ExtensionKind::kDatetime:
      return "datetime";
    case ExtensionKind::kDuration:
      return "duration";
  }
  return "extension";
}

std::string TypeToString(const Type& type) {
  using K = Type::Kind;
  switch (type.kind) {
    case K::kNever:
      return "Never";
    case K::kTrue:
      return "True";
    case K::kFalse:
      return "False";
    case K::kBool:
      return "Bool";
    case K::kLong:
      return "Long";
    case K::kString:
      return "String";
    case K::kSet:
      return type.element ? "Set<" + TypeToString(*type.element) + ">" : "Set";
    case K::kRecord: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, at] : type.attributes) {
        out += first ? "" : ", ";
        first = false;
        out += key + (at.required ? ": " : "?: ") + TypeToString(*at.type);
      }
      return out + "}";
    }
    case K::kEntity:
    case K::kAction: {
      std::string out;
      for (const auto& t : type.entity_types) out += (out.empty() ? "" : " | ") + t;
      return out;
    }
    case K::kAnyEntity:
      return "entity";
    case K::kExtension:
      return std::string(ExtensionName(type.extension));
  }
  return "?";
}

}  // namespace mandate::cedar::internal
