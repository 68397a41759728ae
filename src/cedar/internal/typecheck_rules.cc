#include "src/cedar/internal/typecheck_rules.h"

#include <map>

namespace mandate::cedar::internal {
namespace {

void AppendKey(const Expr& e, std::string* out) {
  out->push_back('(');
  out->append(std::to_string(static_cast<int>(e.kind)));
  out->push_back(' ');
  switch (e.kind) {
    case ExprKind::kLiteral:
      out->append(std::to_string(static_cast<int>(e.literal.kind())));
      out->append(ValueToString(e.literal));
      break;
    case ExprKind::kVar:
      out->append(std::to_string(static_cast<int>(e.var)));
      break;
    case ExprKind::kSlot:
      out->append(std::to_string(static_cast<int>(e.slot)));
      break;
    case ExprKind::kBinary:
      out->append(std::to_string(static_cast<int>(e.op)));
      break;
    case ExprKind::kExtCall:
      out->append(std::to_string(static_cast<int>(e.fn)));
      break;
    case ExprKind::kGetAttr:
    case ExprKind::kHasAttr:
    case ExprKind::kIs:
      out->append(QuoteString(e.name));
      break;
    case ExprKind::kRecord:
      for (const auto& n : e.names) out->append(QuoteString(n));
      break;
    case ExprKind::kLike:
      for (const auto& p : e.pattern) out->append(p.wildcard ? "*" : QuoteString(p.literal));
      break;
    default:
      break;
  }
  for (const ExprPtr& arg : e.args) AppendKey(*arg, out);
  out->push_back(')');
}

Attributes AttributesOf(const SchemaModel& schema, const std::string& type) {
  const EntityTypeDef* def = schema.FindEntityType(type);
  return def ? def->attributes : Attributes{};
}

}  // namespace

std::string ExprKey(const Expr& e) {
  std::string out;
  AppendKey(e, &out);
  return out;
}

TypePtr EntityLiteralType(const SchemaModel& schema, const EntityUid& uid) {
  if (IsActionEntityType(uid.type())) {
    return schema.FindAction(uid) ? Type::ActionOf(uid.type()) : nullptr;
  }
  return schema.FindEntityType(uid.type()) ? Type::EntityOf(uid.type()) : nullptr;
}

std::optional<AttributeType> LookupAttribute(const SchemaModel& schema, const Type& type,
                                             const std::string& attr) {
  if (type.kind == Type::Kind::kRecord) {
    auto it = type.attributes.find(attr);
    if (it == type.attributes.end()) return std::nullopt;
    return it->second;
  }
  if (type.kind != Type::Kind::kEntity) return std::nullopt;
  std::optional<AttributeType> out;
  for (const auto& name : type.entity_types) {
    Attributes attrs = AttributesOf(schema, name);
    auto it = attrs.find(attr);
    if (it == attrs.end()) return std::nullopt;
    if (!out) {
      out = it->second;
      continue;
    }
    TypePtr lub = LeastUpperBound(out->type, it->second.type);
    if (!lub) return std::nullopt;
    out = AttributeType{lub, out->required && it->second.required};
  }
  return out;
}

bool MayHaveAttribute(const SchemaModel& schema, const Type& type, const std::string& attr) {
  switch (type.kind) {
    case Type::Kind::kNever:
    case Type::Kind::kAnyEntity:
      return true;
    case Type::Kind::kRecord:
      return type.open || type.attributes.count(attr) > 0;
    case Type::Kind::kEntity:
      for (const auto& name : type.entity_types) {
        const EntityTypeDef* def = schema.FindEntityType(name);
        if (!def || def->attributes.count(attr)) return true;
      }
      return false;
    default:
      return false;
  }
}

std::optional<std::set<EntityUid>> ActionsIn(const SchemaModel& schema,
                                             const std::vector<EntityUid>& actions) {
  std::set<EntityUid> out;
  for (const auto& uid : actions) {
    const ActionDef* def = schema.FindAction(uid);
    if (!def) return std::nullopt;
    out.insert(uid);
    out.insert(def->descendants.begin(), def->descendants.end());
  }
  return out;
}

bool MayBeDescendant(const SchemaModel& schema, const std::set<std::string>& lhs,
                     const std::set<std::string>& rhs) {
  for (const auto& r : rhs) {
    std::set<std::string> in = schema.EntityTypesIn(r);
    for (const auto& l : lhs) {
      if (in.count(l)) return true;
      for (const auto& [uid, def] : schema.actions) {
        if (uid.type() != r) continue;
        for (const auto& d : def.descendants) {
          if (d.type() == l) return true;
        }
      }
    }
  }
  return false;
}

std::vector<TypePtr> TagTypes(const SchemaModel& schema, const Type& type) {
  std::vector<TypePtr> out;
  auto add = [&](const TypePtr& t) {
    if (!t) return;
    for (const TypePtr& x : out) {
      if (TypeEquals(*x, *t)) return;
    }
    out.push_back(t);
  };
  if (type.kind == Type::Kind::kEntity) {
    for (const auto& name : type.entity_types) {
      if (const EntityTypeDef* def = schema.FindEntityType(name)) add(def->tags);
    }
  } else if (type.kind == Type::Kind::kAnyEntity) {
    for (const auto& [name, def] : schema.entity_types) add(def.tags);
  }
  return out;
}

const ExtensionSignature& SignatureOf(ExtFn fn) {
  static const std::map<ExtFn, ExtensionSignature> kSignatures = [] {
    TypePtr ip = Type::Ext(ExtensionKind::kIpAddr), dec = Type::Ext(ExtensionKind::kDecimal);
    TypePtr dt = Type::Ext(ExtensionKind::kDatetime), dur = Type::Ext(ExtensionKind::kDuration);
    TypePtr b = Type::Bool(), l = Type::Long(), s = Type::String();
    std::map<ExtFn, ExtensionSignature> m;
    m[ExtFn::kIp] = {"ip", {s}, ip, true};
    m[ExtFn::kIsIpv4] = {"isIpv4", {ip}, b, false};
    m[ExtFn::kIsIpv6] = {"isIpv6", {ip}, b, false};
    m[ExtFn::kIsLoopback] = {"isLoopback", {ip}, b, false};
    m[ExtFn::kIsMulticast] = {"isMulticast", {ip}, b, false};
    m[ExtFn::kIsInRange] = {"isInRange", {ip, ip}, b, false};
    m[ExtFn::kDecimal] = {"decimal", {s}, dec, true};
    m[ExtFn::kLessThan] = {"lessThan", {dec, dec}, b, false};
    m[ExtFn::kLessThanOrEqual] = {"lessThanOrEqual", {dec, dec}, b, false};
    m[ExtFn::kGreaterThan] = {"greaterThan", {dec, dec}, b, false};
    m[ExtFn::kGreaterThanOrEqual] = {"greaterThanOrEqual", {dec, dec}, b, false};
    m[ExtFn::kDatetime] = {"datetime", {s}, dt, true};
    m[ExtFn::kDuration] = {"duration", {s}, dur, true};
    m[ExtFn::kOffset] = {"offset", {dt, dur}, dt, false};
    m[ExtFn::kDurationSince] = {"durationSince", {dt, dt}, dur, false};
    m[ExtFn::kToDate] = {"toDate", {dt}, dt, false};
    m[ExtFn::kToTime] = {"toTime", {dt}, dur, false};
    m[ExtFn::kToDays] = {"toDays", {dur}, l, false};
    m[ExtFn::kToHours] = {"toHours", {dur}, l, false};
    m[ExtFn::kToMinutes] = {"toMinutes", {dur}, l, false};
    m[ExtFn::kToSeconds] = {"toSeconds", {dur}, l, false};
    m[ExtFn::kToMilliseconds] = {"toMilliseconds", {dur}, l, false};
    return m;
  }();
  return kSignatures.at(fn);
}

}  // namespace mandate::cedar::internal
