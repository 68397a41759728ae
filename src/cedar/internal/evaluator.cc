#include "src/cedar/internal/evaluator.h"

#include <algorithm>

#include "src/cedar/internal/expr_builder.h"
#include "src/cedar/internal/extensions.h"

namespace mandate::cedar::internal {
namespace {

tl::unexpected<EvalError> Fail(std::string message) {
  return tl::unexpected<EvalError>(EvalError{std::move(message)});
}

tl::unexpected<EvalError> TypeError(std::string_view expected, const Value& got) {
  return Fail("type error: expected " + std::string(expected) + ", got " +
              std::string(KindName(got)));
}

bool IsExt(const Value& v, ExtensionKind kind) {
  return v.is_extension() && v.as_extension().kind == kind;
}

bool SetContains(const Set& set, const Value& v) {
  return std::binary_search(set.begin(), set.end(), v,
                            [](const Value& a, const Value& b) { return Compare(a, b) < 0; });
}

#define TRY_EVAL(var, expr)                                      \
  auto var##_r = (expr);                                         \
  if (!var##_r) return Fail(std::move(var##_r.error().message)); \
  Value var = std::move(*var##_r)

}  // namespace

bool WildcardMatch(std::string_view text, const std::vector<PatternElem>& pattern) {
  if (pattern.empty()) return text.empty();
  size_t first = 0, last = pattern.size();
  // Anchored prefix.
  if (!pattern.front().wildcard) {
    const std::string& lit = pattern.front().literal;
    if (!text.starts_with(lit)) return false;
    text.remove_prefix(lit.size());
    first = 1;
    if (pattern.size() == 1) return text.empty();
  }
  // Anchored suffix.
  if (!pattern.back().wildcard && last > first) {
    const std::string& lit = pattern.back().literal;
    if (!text.ends_with(lit)) return false;
    text.remove_suffix(lit.size());
    --last;
  }
  // Middle: *lit*lit*...*, each literal matched leftmost (greedy is optimal for `*`-only).
  for (size_t i = first; i < last; ++i) {
    if (pattern[i].wildcard) continue;
    size_t at = text.find(pattern[i].literal);
    if (at == std::string_view::npos) return false;
    text.remove_prefix(at + pattern[i].literal.size());
  }
  return true;
}

const Value& Evaluator::VarValue(Var var) {
  switch (var) {
    case Var::kPrincipal:
      if (!principal_) principal_ = Value::Entity(request_.principal);
      return *principal_;
    case Var::kAction:
      if (!action_) action_ = Value::Entity(request_.action);
      return *action_;
    case Var::kResource:
      if (!resource_) resource_ = Value::Entity(request_.resource);
      return *resource_;
    case Var::kContext:
      return request_.context;
  }
  return request_.context;
}

tl::expected<bool, EvalError> Evaluator::EvalBool(const Expr& expr) {
  // Conditions are mostly `&&`, `||`, `!` and `like` over attributes: answered as bools here,
  // without a Value per step. Anything else (and every error) goes through Eval.
  switch (expr.kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      auto a = EvalBool(*expr.args[0]);
      if (!a || *a == (expr.kind == ExprKind::kOr)) return a;  // short-circuit, as Cedar does
      return EvalBool(*expr.args[1]);
    }
    case ExprKind::kNot: {
      auto b = EvalBool(*expr.args[0]);
      if (!b) return b;
      return !*b;
    }
    case ExprKind::kLike:
      if (const Value* v = Ref(*expr.args[0]); v != nullptr && v->is_string()) {
        return WildcardMatch(v->as_string(), expr.pattern);
      }
      break;
    default:
      break;
  }
  auto v = Eval(expr);
  if (!v) return tl::unexpected<EvalError>(std::move(v.error()));
  if (!v->is_bool()) return TypeError("bool", *v);
  return v->as_bool();
}

EvalResult Evaluator::Eval(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal;
    case ExprKind::kVar:
      return VarValue(e.var);
    case ExprKind::kSlot:
      return Fail("unlinked template slot");
    case ExprKind::kNot: {
      auto b = EvalBool(*e.args[0]);
      if (!b) return tl::unexpected<EvalError>(std::move(b.error()));
      return Value::Bool(!*b);
    }
    case ExprKind::kNeg: {
      TRY_EVAL(v, Eval(*e.args[0]));
      if (!v.is_long()) return TypeError("long", v);
      auto r = CheckedSub(0, v.as_long());
      if (!r) return Fail("integer overflow while attempting to negate `" + ValueToString(v) + "`");
      return Value::Long(*r);
    }
    case ExprKind::kAnd: {
      auto a = EvalBool(*e.args[0]);
      if (!a) return tl::unexpected<EvalError>(std::move(a.error()));
      if (!*a) return Value::Bool(false);
      auto b = EvalBool(*e.args[1]);
      if (!b) return tl::unexpected<EvalError>(std::move(b.error()));
      return Value::Bool(*b);
    }
    case ExprKind::kOr: {
      auto a = EvalBool(*e.args[0]);
      if (!a) return tl::unexpected<EvalError>(std::move(a.error()));
      if (*a) return Value::Bool(true);
      auto b = EvalBool(*e.args[1]);
      if (!b) return tl::unexpected<EvalError>(std::move(b.error()));
      return Value::Bool(*b);
    }
    case ExprKind::kIf: {
      auto c = EvalBool(*e.args[0]);
      if (!c) return tl::unexpected<EvalError>(std::move(c.error()));
      return Eval(*e.args[*c ? 1 : 2]);
    }
    case ExprKind::kBinary:
      return EvalBinary(e);
    case ExprKind::kGetAttr:
      return EvalGetAttr(e);
    case ExprKind::kHasAttr:
      return EvalHasAttr(e);
    case ExprKind::kLike: {
      TRY_EVAL(v, Eval(*e.args[0]));
      if (!v.is_string()) return TypeError("string", v);
      return Value::Bool(WildcardMatch(v.as_string(), e.pattern));
    }
    case ExprKind::kIs: {
      TRY_EVAL(v, Eval(*e.args[0]));
      if (!v.is_entity()) return TypeError("entity", v);
      if (v.as_entity().type() != e.name) return Value::Bool(false);
      if (e.args.size() < 2) return Value::Bool(true);
      TRY_EVAL(target, Eval(*e.args[1]));
      const EntityUid& uid = v.as_entity();
      if (target.is_entity()) return Value::Bool(InEntity(uid, target.as_entity()));
      if (!target.is_set()) return TypeError("entity or set", target);
      bool found = false;
      for (const Value& t : target.as_set()) {
        if (!t.is_entity()) return TypeError("entity", t);
        found = found || InEntity(uid, t.as_entity());
      }
      return Value::Bool(found);
    }
    case ExprKind::kIsEmpty: {
      TRY_EVAL(v, Eval(*e.args[0]));
      if (!v.is_set()) return TypeError("set", v);
      return Value::Bool(v.as_set().empty());
    }
    case ExprKind::kSet: {
      if (e.literal.is_set()) return e.literal;  // literals only: built once (MakeExpr)
      std::vector<Value> elems;
      elems.reserve(e.args.size());
      for (const ExprPtr& a : e.args) {
        TRY_EVAL(v, Eval(*a));
        elems.push_back(std::move(v));
      }
      return Value::SetOf(std::move(elems));
    }
    case ExprKind::kRecord: {
      Record fields;
      fields.reserve(e.args.size());
      for (size_t i = 0; i < e.args.size(); ++i) {
        TRY_EVAL(v, Eval(*e.args[i]));
        fields.emplace_back(e.names[i], std::move(v));
      }
      return Value::RecordOf(std::move(fields));
    }
    case ExprKind::kExtCall:
      return EvalExtCall(e);
  }
  return Fail("unknown expression");
}

const Value* Evaluator::Ref(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return &e.literal;
    case ExprKind::kSet:
      return e.literal.is_set() ? &e.literal : nullptr;
    case ExprKind::kVar:
      return e.var == Var::kContext ? &request_.context : nullptr;
    case ExprKind::kGetAttr: {
      const Expr& base = *e.args[0];
      if (base.kind == ExprKind::kVar && base.var != Var::kContext) {
        const EntityData* entity = entities_.Find(VarUid(base.var));
        return entity ? entity->attrs.Field(e.name) : nullptr;
      }
      const Value* v = Ref(base);
      if (!v) return nullptr;
      if (v->is_record()) return v->Field(e.name);
      if (v->is_entity()) {
        const EntityData* entity = entities_.Find(v->as_entity());
        return entity ? entity->attrs.Field(e.name) : nullptr;
      }
      return nullptr;
    }
    default:
      return nullptr;
  }
}

EvalResult Evaluator::EvalGetAttr(const Expr& e) {
  if (const Value* ref = Ref(e)) return *ref;
  TRY_EVAL(v, Eval(*e.args[0]));
  if (v.is_entity()) {
    const EntityData* entity = entities_.Find(v.as_entity());
    if (!entity) return Fail("entity `" + v.as_entity().ToString() + "` does not exist");
    const Value* field = entity->attrs.Field(e.name);
    if (!field) {
      return Fail("`" + v.as_entity().ToString() + "` does not have the attribute `" + e.name +
                  "`");
    }
    return *field;
  }
  if (v.is_record()) {
    const Value* field = v.Field(e.name);
    if (!field) return Fail("record does not have the attribute `" + e.name + "`");
    return *field;
  }
  return TypeError("entity or record", v);
}

EvalResult Evaluator::EvalHasAttr(const Expr& e) {
  const Expr& base = *e.args[0];
  if (base.kind == ExprKind::kVar && base.var != Var::kContext) {
    const EntityData* entity = entities_.Find(VarUid(base.var));
    return Value::Bool(entity && entity->attrs.Field(e.name) != nullptr);
  }
  if (const Value* ref = Ref(base); ref && ref->is_record()) {
    return Value::Bool(ref->Field(e.name) != nullptr);
  }
  TRY_EVAL(v, Eval(base));
  if (v.is_entity()) {
    const EntityData* entity = entities_.Find(v.as_entity());
    return Value::Bool(entity && entity->attrs.Field(e.name) != nullptr);
  }
  if (v.is_record()) return Value::Bool(v.Field(e.name) != nullptr);
  return TypeError("entity or record", v);
}

EvalResult Evaluator::EvalBinary(const Expr& e) {
  // Operands are read in place when they are literals or attribute chains; otherwise
  // evaluated into local storage. Left before right, as Cedar does.
  Value a_store, b_store;
  const Value* ap = Ref(*e.args[0]);
  if (!ap) {
    auto r = Eval(*e.args[0]);
    if (!r) return tl::unexpected<EvalError>(std::move(r.error()));
    a_store = *std::move(r);
    ap = &a_store;
  }
  const Value* bp = Ref(*e.args[1]);
  if (!bp) {
    auto r = Eval(*e.args[1]);
    if (!r) return tl::unexpected<EvalError>(std::move(r.error()));
    b_store = *std::move(r);
    bp = &b_store;
  }
  const Value& a = *ap;
  const Value& b = *bp;
  switch (e.op) {
    case BinaryOp::kEq:
      return Value::Bool(a == b);
    case BinaryOp::kNotEq:
      return Value::Bool(a != b);
    case BinaryOp::kLess:
    case BinaryOp::kLessEq:
    case BinaryOp::kGreater:
    case BinaryOp::kGreaterEq: {
      int64_t x, y;
      if (a.is_long()) {
        if (!b.is_long()) return TypeError("long", b);
        x = a.as_long();
        y = b.as_long();
      } else if (IsExt(a, ExtensionKind::kDatetime) || IsExt(a, ExtensionKind::kDuration)) {
        if (!IsExt(b, a.as_extension().kind)) return TypeError(KindName(a), b);
        x = a.as_extension().number;
        y = b.as_extension().number;
      } else {
        return TypeError("one of [long, datetime, duration]", a);
      }
      bool r = e.op == BinaryOp::kLess      ? x < y
               : e.op == BinaryOp::kLessEq  ? x <= y
               : e.op == BinaryOp::kGreater ? x > y
                                            : x >= y;
      return Value::Bool(r);
    }
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul: {
      if (!a.is_long()) return TypeError("long", a);
      if (!b.is_long()) return TypeError("long", b);
      auto r = e.op == BinaryOp::kAdd   ? CheckedAdd(a.as_long(), b.as_long())
               : e.op == BinaryOp::kSub ? CheckedSub(a.as_long(), b.as_long())
                                        : CheckedMul(a.as_long(), b.as_long());
      if (!r) {
        return Fail("integer overflow while attempting to " +
                    std::string(e.op == BinaryOp::kAdd   ? "add"
                                : e.op == BinaryOp::kSub ? "subtract"
                                                         : "multiply") +
                    " the values `" + ValueToString(a) + "` and `" + ValueToString(b) + "`");
      }
      return Value::Long(*r);
    }
    case BinaryOp::kIn: {
      if (!a.is_entity()) return TypeError("entity", a);
      const EntityUid& uid = a.as_entity();
      if (b.is_entity()) return Value::Bool(InEntity(uid, b.as_entity()));
      if (!b.is_set()) return TypeError("entity or set", b);
      bool found = false;
      for (const Value& t : b.as_set()) {
        if (!t.is_entity()) return TypeError("entity", t);
        found = found || InEntity(uid, t.as_entity());
      }
      return Value::Bool(found);
    }
    case BinaryOp::kContains:
      if (!a.is_set()) return TypeError("set", a);
      return Value::Bool(SetContains(a.as_set(), b));
    case BinaryOp::kContainsAll:
    case BinaryOp::kContainsAny: {
      if (!a.is_set()) return TypeError("set", a);
      if (!b.is_set()) return TypeError("set", b);
      bool all = e.op == BinaryOp::kContainsAll;
      for (const Value& v : b.as_set()) {
        bool has = SetContains(a.as_set(), v);
        if (all && !has) return Value::Bool(false);
        if (!all && has) return Value::Bool(true);
      }
      return Value::Bool(all);
    }
    case BinaryOp::kGetTag:
    case BinaryOp::kHasTag: {
      if (!a.is_entity()) return TypeError("entity", a);
      if (!b.is_string()) return TypeError("string", b);
      const EntityData* entity = entities_.Find(a.as_entity());
      if (e.op == BinaryOp::kHasTag) {
        return Value::Bool(entity && entity->tags.Field(b.as_string()) != nullptr);
      }
      if (!entity) return Fail("entity `" + a.as_entity().ToString() + "` does not exist");
      const Value* tag = entity->tags.Field(b.as_string());
      if (!tag) {
        return Fail("`" + a.as_entity().ToString() + "` does not have the tag `" + b.as_string() +
                    "`");
      }
      return *tag;
    }
  }
  return Fail("unknown operator");
}

EvalResult Evaluator::EvalExtCall(const Expr& e) {
  std::vector<Value> args;
  args.reserve(e.args.size());
  for (const ExprPtr& a : e.args) {
    TRY_EVAL(v, Eval(*a));
    args.push_back(std::move(v));
  }
  return CallExtFn(e.fn, args);
}

EvalResult CallExtFn(ExtFn fn, const std::vector<Value>& args) {
  std::string_view name = ExtFnName(fn);
  size_t want = 1;
  switch (fn) {
    case ExtFn::kIsInRange:
    case ExtFn::kLessThan:
    case ExtFn::kLessThanOrEqual:
    case ExtFn::kGreaterThan:
    case ExtFn::kGreaterThanOrEqual:
    case ExtFn::kOffset:
    case ExtFn::kDurationSince:
      want = 2;
      break;
    default:
      want = 1;
  }
  if (args.size() != want) {
    return Fail("wrong number of arguments to `" + std::string(name) + "`: expected " +
                std::to_string(want) + ", got " + std::to_string(args.size()));
  }
  auto ext_arg = [&](size_t i, ExtensionKind kind) -> const Extension* {
    return IsExt(args[i], kind) ? &args[i].as_extension() : nullptr;
  };
  auto kind_name = [](ExtensionKind k) -> std::string_view {
    return k == ExtensionKind::kIpAddr     ? "ipaddr"
           : k == ExtensionKind::kDecimal  ? "decimal"
           : k == ExtensionKind::kDatetime ? "datetime"
                                           : "duration";
  };
  auto require = [&](size_t i, ExtensionKind kind) -> tl::expected<const Extension*, EvalError> {
    if (const Extension* x = ext_arg(i, kind)) return x;
    return TypeError(kind_name(kind), args[i]);
  };
#define REQUIRE(var, i, kind)                                    \
  auto var##_r = require(i, kind);                               \
  if (!var##_r) return Fail(std::move(var##_r.error().message)); \
  const Extension& var = **var##_r

  switch (fn) {
    case ExtFn::kIp:
    case ExtFn::kDecimal:
    case ExtFn::kDatetime:
    case ExtFn::kDuration: {
      if (!args[0].is_string()) return TypeError("string", args[0]);
      auto ext = ParseExtension(name, args[0].as_string());
      if (!ext) {
        return Fail("error while evaluating `" + std::string(name) +
                    "` extension function: " + ext.error().message());
      }
      return Value::Ext(*ext);
    }
    case ExtFn::kIsIpv4: {
      REQUIRE(x, 0, ExtensionKind::kIpAddr);
      return Value::Bool(!x.ip.v6);
    }
    case ExtFn::kIsIpv6: {
      REQUIRE(x, 0, ExtensionKind::kIpAddr);
      return Value::Bool(x.ip.v6);
    }
    case ExtFn::kIsLoopback: {
      REQUIRE(x, 0, ExtensionKind::kIpAddr);
      return Value::Bool(IpIsLoopback(x.ip));
    }
    case ExtFn::kIsMulticast: {
      REQUIRE(x, 0, ExtensionKind::kIpAddr);
      return Value::Bool(IpIsMulticast(x.ip));
    }
    case ExtFn::kIsInRange: {
      REQUIRE(x, 0, ExtensionKind::kIpAddr);
      REQUIRE(y, 1, ExtensionKind::kIpAddr);
      return Value::Bool(IpInRange(x.ip, y.ip));
    }
    case ExtFn::kLessThan:
    case ExtFn::kLessThanOrEqual:
    case ExtFn::kGreaterThan:
    case ExtFn::kGreaterThanOrEqual: {
      REQUIRE(x, 0, ExtensionKind::kDecimal);
      REQUIRE(y, 1, ExtensionKind::kDecimal);
      int64_t a = x.number, b = y.number;
      bool r = fn == ExtFn::kLessThan          ? a < b
               : fn == ExtFn::kLessThanOrEqual ? a <= b
               : fn == ExtFn::kGreaterThan     ? a > b
                                               : a >= b;
      return Value::Bool(r);
    }
    case ExtFn::kOffset: {
      REQUIRE(x, 0, ExtensionKind::kDatetime);
      REQUIRE(y, 1, ExtensionKind::kDuration);
      auto r = CheckedAdd(x.number, y.number);
      if (!r) return Fail("overflow when applying `offset` to a datetime");
      Extension out{ExtensionKind::kDatetime, *r, {}};
      return Value::Ext(out);
    }
    case ExtFn::kDurationSince: {
      REQUIRE(x, 0, ExtensionKind::kDatetime);
      REQUIRE(y, 1, ExtensionKind::kDatetime);
      auto r = CheckedSub(x.number, y.number);
      if (!r) return Fail("overflow when computing `durationSince`");
      Extension out{ExtensionKind::kDuration, *r, {}};
      return Value::Ext(out);
    }
    case ExtFn::kToDate: {
      REQUIRE(x, 0, ExtensionKind::kDatetime);
      auto r = DatetimeToDate(x.number);
      if (!r) return Fail("overflow when computing `toDate`");
      Extension out{ExtensionKind::kDatetime, *r, {}};
      return Value::Ext(out);
    }
    case ExtFn::kToTime: {
      REQUIRE(x, 0, ExtensionKind::kDatetime);
      Extension out{ExtensionKind::kDuration, DatetimeToTime(x.number), {}};
      return Value::Ext(out);
    }
    case ExtFn::kToDays:
    case ExtFn::kToHours:
    case ExtFn::kToMinutes:
    case ExtFn::kToSeconds:
    case ExtFn::kToMilliseconds: {
      REQUIRE(x, 0, ExtensionKind::kDuration);
      int64_t unit = fn == ExtFn::kToDays      ? 86400000
                     : fn == ExtFn::kToHours   ? 3600000
                     : fn == ExtFn::kToMinutes ? 60000
                     : fn == ExtFn::kToSeconds ? 1000
                                               : 1;
      return Value::Long(x.number / unit);
    }
  }
#undef REQUIRE
  return Fail("unknown extension function");
}

bool Evaluator::ScopeMatches(const Policy& p) const {
  auto matches = [this](const ScopeConstraint& s, const EntityUid& uid) {
    switch (s.op) {
      case ScopeConstraint::Op::kAll:
        return true;
      case ScopeConstraint::Op::kEq:
        return s.entity && uid == *s.entity;
      case ScopeConstraint::Op::kIn:
        if (s.is_list) {
          for (const EntityUid& t : s.entities) {
            if (InEntity(uid, t)) return true;
          }
          return false;
        }
        return s.entity && InEntity(uid, *s.entity);
      case ScopeConstraint::Op::kIs:
        return uid.type() == s.entity_type;
      case ScopeConstraint::Op::kIsIn:
        return uid.type() == s.entity_type && s.entity && InEntity(uid, *s.entity);
    }
    return false;
  };
  return matches(p.principal, request_.principal) && matches(p.action, request_.action) &&
         matches(p.resource, request_.resource);
}

tl::expected<bool, EvalError> Evaluator::Satisfied(const Policy& p) {
  if (!ScopeMatches(p)) return false;
  for (const Condition& c : p.conditions) {
    auto b = EvalBool(*c.body);
    if (!b) return b;
    if (*b != c.is_when) return false;
  }
  return true;
}

}  // namespace mandate::cedar::internal
