#include "src/cedar/internal/typecheck.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "src/cedar/internal/extensions.h"
#include "src/cedar/internal/typecheck_rules.h"

namespace mandate::cedar::internal {
namespace {

using Caps = std::set<std::string>;

// The answer for one expression: its type (null when none could be given), whether it
// typechecked, and the capabilities it grants when it evaluates to true.
struct Answer {
  TypePtr type;
  bool ok = true;
  Caps caps;
};

Answer Success(TypePtr type, Caps caps = {}) {
  return Answer{std::move(type), true, std::move(caps)};
}
Answer Fail(TypePtr type) { return Answer{std::move(type), false, {}}; }

// Sequences a continuation after `a`: a failed `a` makes the continuation's answer fail too.
template <typename F>
Answer Then(Answer a, F&& f) {
  if (a.ok) return f(a.type, std::move(a.caps));
  Answer r = f(a.type, Caps{});
  r.ok = false;
  r.caps.clear();
  return r;
}

Caps Union(const Caps& a, const Caps& b) {
  Caps out = a;
  out.insert(b.begin(), b.end());
  return out;
}

Caps Intersect(const Caps& a, const Caps& b) {
  Caps out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

bool Is(const TypePtr& t, Type::Kind kind) { return t && t->kind == kind; }

bool IsEntityKind(const TypePtr& t) {
  return t && (t->kind == Type::Kind::kEntity || t->kind == Type::Kind::kAction);
}

std::shared_ptr<Expr> MakeExpr(ExprKind kind, std::vector<ExprPtr> args) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->args = std::move(args);
  return e;
}

class Checker {
 public:
  Checker(const SchemaModel& schema, const RequestEnv& env, const std::string& policy_id,
          size_t max_depth, std::vector<ValidationIssue>* errors)
      : schema_(schema), env_(env), policy_id_(policy_id), max_depth_(max_depth), errors_(errors) {
    action_uid_ = env.action->uid;
  }

  Answer Expect(const Caps& prior, const Expr& e, const TypePtr& expected, size_t depth) {
    return ExpectOneOf(prior, e, {expected}, depth);
  }

  Answer ExpectOneOf(const Caps& prior, const Expr& e, std::initializer_list<TypePtr> expected,
                     size_t depth) {
    return Then(Check(prior, e, depth), [&](const TypePtr& t, Caps caps) {
      if (!t) return Fail(nullptr);
      for (const TypePtr& x : expected) {
        if (IsSubtype(*t, *x, /*permissive=*/true)) return Success(t, std::move(caps));
      }
      std::string names;
      for (const TypePtr& x : expected) names += (names.empty() ? "" : " or ") + TypeToString(*x);
      Error(e, "unexpected_type", "expected " + names + ", found " + TypeToString(*t));
      return Fail(nullptr);
    });
  }

  Answer Check(const Caps& prior, const Expr& e, size_t depth) {
    if (depth > max_depth_) {
      Error(e, "recursion_limit",
            "expression nesting exceeds the limit of " + std::to_string(max_depth_));
      return Fail(nullptr);
    }
    ++depth;
    switch (e.kind) {
      case ExprKind::kLiteral:
        return CheckLiteral(e.literal);
      case ExprKind::kVar:
        switch (e.var) {
          case Var::kPrincipal:
            return Success(Type::EntityOf(env_.principal_type));
          case Var::kAction:
            return Success(Type::ActionOf(action_uid_.type()));
          case Var::kResource:
            return Success(Type::EntityOf(env_.resource_type));
          case Var::kContext:
            return Success(env_.action->context);
        }
        return Fail(nullptr);
      case ExprKind::kSlot: {
        const auto& slot = e.slot == SlotId::kPrincipal ? env_.principal_slot : env_.resource_slot;
        return Success(slot ? Type::EntityOf(*slot) : Type::AnyEntity());
      }
      case ExprKind::kNot:
        return Then(Expect(prior, *e.args[0], Type::Bool(), depth), [](const TypePtr& t, Caps) {
          if (!t) return Fail(Type::Bool());
          if (t->kind == Type::Kind::kTrue) return Success(Type::False());
          if (t->kind == Type::Kind::kFalse) return Success(Type::True());
          return Success(Type::Bool());
        });
      case ExprKind::kNeg:
        return Then(Expect(prior, *e.args[0], Type::Long(), depth),
                    [](const TypePtr&, Caps) { return Success(Type::Long()); });
      case ExprKind::kIsEmpty:
        return Then(Expect(prior, *e.args[0], Type::AnySet(), depth),
                    [](const TypePtr&, Caps) { return Success(Type::Bool()); });
      case ExprKind::kLike:
        return Then(Expect(prior, *e.args[0], Type::String(), depth),
                    [](const TypePtr&, Caps) { return Success(Type::Bool()); });
      case ExprKind::kAnd:
        return CheckAnd(prior, *e.args[0], *e.args[1], depth);
      case ExprKind::kOr:
        return CheckOr(prior, *e.args[0], *e.args[1], depth);
      case ExprKind::kIf:
        return CheckIf(prior, e, depth);
      case ExprKind::kGetAttr:
        return CheckGetAttr(prior, e, depth);
      case ExprKind::kHasAttr:
        return CheckHasAttr(prior, e, depth);
      case ExprKind::kIs:
        return CheckIs(prior, e, depth);
      case ExprKind::kSet:
        return CheckSet(prior, e, depth);
      case ExprKind::kRecord:
        return CheckRecord(prior, e, depth);
      case ExprKind::kBinary:
        return CheckBinary(prior, e, depth);
      case ExprKind::kExtCall:
        return CheckExtCall(prior, e, depth);
    }
    return Fail(nullptr);
  }

 private:
  void Error(const Expr& e, std::string code, std::string message) {
    errors_->push_back(ValidationIssue{policy_id_, std::move(code), std::move(message), e.span});
  }

  const std::string& Key(const Expr& e) {
    auto it = keys_.find(&e);
    if (it != keys_.end()) return it->second;
    return keys_.emplace(&e, ExprKey(e)).first->second;
  }
  std::string AttrCap(const Expr& e, const std::string& attr) {
    return "a" + Key(e) + "\x1f" + attr;
  }
  std::string TagCap(const Expr& e, const Expr& tag) { return "t" + Key(e) + "\x1f" + Key(tag); }

  Answer CheckLiteral(const Value& v) {
    switch (v.kind()) {
      case ValueKind::kBool:
        return Success(Type::Singleton(v.as_bool()));
      case ValueKind::kLong:
        return Success(Type::Long());
      case ValueKind::kString:
        return Success(Type::String());
      case ValueKind::kEntity: {
        TypePtr t = EntityLiteralType(schema_, v.as_entity());
        return t ? Success(t) : Fail(nullptr);
      }
      case ValueKind::kExtension:
        return Success(Type::Ext(v.as_extension().kind));
      case ValueKind::kSet:
      case ValueKind::kRecord:
        return Fail(nullptr);
    }
    return Fail(nullptr);
  }

  Answer CheckAnd(const Caps& prior, const Expr& left, const Expr& right, size_t depth) {
    return Then(Expect(prior, left, Type::Bool(), depth), [&](const TypePtr& tl, Caps cl) {
      if (Is(tl, Type::Kind::kFalse)) return Success(tl);
      return Then(Expect(Union(prior, cl), right, Type::Bool(), depth),
                  [&](const TypePtr& tr, Caps cr) {
                    if (!tl || !tr) return Fail(Type::Bool());
                    if (tr->kind == Type::Kind::kFalse) return Success(Type::False());
                    if (tr->kind == Type::Kind::kTrue) return Success(tl, Union(cl, cr));
                    if (tl->kind == Type::Kind::kTrue) return Success(tr, cr);
                    return Success(Type::Bool(), Union(cl, cr));
                  });
    });
  }

  Answer CheckOr(const Caps& prior, const Expr& left, const Expr& right, size_t depth) {
    return Then(Expect(prior, left, Type::Bool(), depth), [&](const TypePtr& tl, Caps cl) {
      if (Is(tl, Type::Kind::kTrue)) return Success(tl, cl);
      return Then(Expect(prior, right, Type::Bool(), depth), [&](const TypePtr& tr, Caps cr) {
        if (!tl || !tr) return Fail(Type::Bool());
        if (tr->kind == Type::Kind::kTrue) return Success(Type::True(), cr);
        if (tr->kind == Type::Kind::kFalse) return Success(tl, cl);
        if (tl->kind == Type::Kind::kFalse) return Success(tr, cr);
        return Success(Type::Bool(), Intersect(cr, cl));
      });
    });
  }

  Answer CheckIf(const Caps& prior, const Expr& e, size_t depth) {
    return Then(Expect(prior, *e.args[0], Type::Bool(), depth), [&](const TypePtr& tt, Caps ct) {
      if (Is(tt, Type::Kind::kTrue)) {
        return Then(Check(Union(prior, ct), *e.args[1], depth),
                    [&](const TypePtr& t, Caps c) { return Success(t, Union(c, ct)); });
      }
      if (Is(tt, Type::Kind::kFalse)) {
        return Then(Check(prior, *e.args[2], depth),
                    [&](const TypePtr& t, Caps c) { return Success(t, std::move(c)); });
      }
      Answer then_answer = Check(Union(prior, ct), *e.args[1], depth);
      if (then_answer.ok) then_answer.caps = Union(then_answer.caps, ct);
      Answer else_answer = Check(prior, *e.args[2], depth);
      return Then(std::move(then_answer), [&](const TypePtr& t1, Caps c1) {
        return Then(std::move(else_answer), [&](const TypePtr& t2, Caps c2) {
          TypePtr lub = LubOrError(e, {t1, t2});
          return lub ? Success(lub, Intersect(c2, c1)) : Fail(nullptr);
        });
      });
    });
  }

  // The least upper bound of `types`; null without an error when one is null; an
  // `incompatible_types` error when there is none.
  TypePtr LubOrError(const Expr& e, const std::vector<TypePtr>& types) {
    TypePtr lub = Type::Never();
    for (const TypePtr& t : types) {
      if (!t) return nullptr;
    }
    for (const TypePtr& t : types) {
      TypePtr next = LeastUpperBound(lub, t);
      if (!next) {
        std::string names;
        for (const TypePtr& x : types) names += (names.empty() ? "" : ", ") + TypeToString(*x);
        Error(e, "incompatible_types", "the types " + names + " are not compatible");
        return nullptr;
      }
      lub = next;
    }
    return lub;
  }

  Answer CheckGetAttr(const Caps& prior, const Expr& e, size_t depth) {
    const Expr& target = *e.args[0];
    return Then(ExpectOneOf(prior, target, {Type::AnyEntity(), Type::AnyRecord()}, depth),
                [&](const TypePtr& t, Caps) {
                  if (!t) return Fail(nullptr);
                  std::optional<AttributeType> at = LookupAttribute(schema_, *t, e.name);
                  if (at) {
                    if (at->required || prior.count(AttrCap(target, e.name)))
                      return Success(at->type);
                    Error(e, "unsafe_optional_attribute_access",
                          "attribute `" + e.name + "` of " + TypeToString(*t) +
                              " is optional: guard the access with `has`");
                    return Fail(at->type);
                  }
                  Error(e, "unsafe_attribute_access",
                        "attribute `" + e.name + "` is not declared for " + TypeToString(*t));
                  return Fail(nullptr);
                });
  }

  Answer CheckHasAttr(const Caps& prior, const Expr& e, size_t depth) {
    const Expr& target = *e.args[0];
    return Then(
        ExpectOneOf(prior, target, {Type::AnyEntity(), Type::AnyRecord()}, depth),
        [&](const TypePtr& t, Caps) {
          if (!t) return Fail(Type::Bool());
          std::optional<AttributeType> at = LookupAttribute(schema_, *t, e.name);
          if (!at) {
            return Success(MayHaveAttribute(schema_, *t, e.name) ? Type::Bool() : Type::False());
          }
          std::string cap = AttrCap(target, e.name);
          bool known = prior.count(cap) > 0 || (at->required && t->kind == Type::Kind::kRecord);
          return Success(known ? Type::True() : Type::Bool(), Caps{cap});
        });
  }

  Answer CheckIs(const Caps& prior, const Expr& e, size_t depth) {
    if (e.args.size() == 2) {
      // `x is T in y` is `x is T && x in y`.
      auto is = std::make_shared<Expr>(e);
      is->args = {e.args[0]};
      auto in = MakeExpr(ExprKind::kBinary, {e.args[0], e.args[1]});
      in->op = BinaryOp::kIn;
      auto both = MakeExpr(ExprKind::kAnd, {is, in});
      synthesized_.push_back(both);
      return Check(prior, *both, depth);
    }
    return Then(Expect(prior, *e.args[0], Type::AnyEntity(), depth), [&](const TypePtr& t, Caps) {
      if (IsEntityKind(t)) {
        if (!t->entity_types.count(e.name)) return Success(Type::False());
        if (t->entity_types.size() == 1) return Success(Type::True());
        return Success(Type::Bool());
      }
      if (Is(t, Type::Kind::kAnyEntity)) return Success(Type::Bool());
      return Fail(Type::Bool());
    });
  }

  Answer CheckSet(const Caps& prior, const Expr& e, size_t depth) {
    std::vector<TypePtr> types;
    bool all_ok = true;
    for (const ExprPtr& element : e.args) {
      Answer a = Check(prior, *element, depth);
      all_ok = all_ok && a.ok;
      types.push_back(a.type);
    }
    if (e.args.empty()) {
      Error(e, "empty_set_forbidden", "empty set literals are forbidden in policies");
      return Fail(nullptr);
    }
    TypePtr lub = LubOrError(e, types);
    if (!lub) return Fail(nullptr);
    return all_ok ? Success(Type::SetOf(lub)) : Fail(Type::SetOf(lub));
  }

  Answer CheckRecord(const Caps& prior, const Expr& e, size_t depth) {
    Attributes attributes;
    bool all_ok = true, all_typed = true;
    for (size_t i = 0; i < e.args.size(); ++i) {
      Answer a = Check(prior, *e.args[i], depth);
      all_ok = all_ok && a.ok;
      if (!a.type) {
        all_typed = false;
        continue;
      }
      attributes[e.names[i]] = AttributeType{a.type, true};
    }
    if (!all_typed) return Fail(nullptr);
    TypePtr t = Type::RecordOf(std::move(attributes));
    return all_ok ? Success(t) : Fail(t);
  }

  Answer CheckBinary(const Caps& prior, const Expr& e, size_t depth);
  Answer CheckEquality(const Caps& prior, const Expr& e, size_t depth);
  Answer CheckComparison(const Caps& prior, const Expr& e, size_t depth);
  Answer CheckIn(const Caps& prior, const Expr& e, size_t depth);
  Answer CheckTag(const Caps& prior, const Expr& e, size_t depth);
  Answer CheckExtCall(const Caps& prior, const Expr& e, size_t depth);

  // The literal entity UID an expression denotes (`action` is the environment's action).
  std::optional<EntityUid> EuidOf(const Expr& e) const {
    if (e.kind == ExprKind::kVar && e.var == Var::kAction) return action_uid_;
    if (e.kind == ExprKind::kLiteral && e.literal.is_entity()) return e.literal.as_entity();
    return std::nullopt;
  }
  std::optional<Value> LiteralOf(const Expr& e) const {
    if (e.kind == ExprKind::kVar && e.var == Var::kAction) return Value::Entity(action_uid_);
    if (e.kind == ExprKind::kLiteral) return e.literal;
    return std::nullopt;
  }

  const SchemaModel& schema_;
  const RequestEnv& env_;
  const std::string& policy_id_;
  size_t max_depth_;
  std::vector<ValidationIssue>* errors_;
  EntityUid action_uid_;
  std::unordered_map<const Expr*, std::string> keys_;
  std::vector<ExprPtr> synthesized_;  // keeps synthesized nodes alive (their keys are cached)
};

Answer Checker::CheckBinary(const Caps& prior, const Expr& e, size_t depth) {
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  switch (e.op) {
    case BinaryOp::kEq:
      return CheckEquality(prior, e, depth);
    case BinaryOp::kNotEq:
      return Then(CheckEquality(prior, e, depth), [](const TypePtr& t, Caps) {
        if (!t) return Fail(Type::Bool());
        if (t->kind == Type::Kind::kTrue) return Success(Type::False());
        if (t->kind == Type::Kind::kFalse) return Success(Type::True());
        return Success(Type::Bool());
      });
    case BinaryOp::kLess:
    case BinaryOp::kLessEq:
    case BinaryOp::kGreater:
    case BinaryOp::kGreaterEq:
      return CheckComparison(prior, e, depth);
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
      return Then(Expect(prior, a, Type::Long(), depth), [&](const TypePtr&, Caps) {
        return Then(Expect(prior, b, Type::Long(), depth),
                    [](const TypePtr&, Caps) { return Success(Type::Long()); });
      });
    case BinaryOp::kIn:
      return CheckIn(prior, e, depth);
    case BinaryOp::kContains:
      return Then(Expect(prior, a, Type::AnySet(), depth), [&](const TypePtr& ts, Caps) {
        return Then(Check(prior, b, depth), [&](const TypePtr& te, Caps) {
          TypePtr element = Is(ts, Type::Kind::kSet) ? ts->element : nullptr;
          if (element && te && !LeastUpperBound(element, te)) {
            Error(e, "incompatible_types",
                  "`contains` on a set of " + TypeToString(*element) + " with an element of type " +
                      TypeToString(*te));
            return Fail(Type::Bool());
          }
          return Success(Type::Bool());
        });
      });
    case BinaryOp::kContainsAll:
    case BinaryOp::kContainsAny:
      return Then(Expect(prior, a, Type::AnySet(), depth), [&](const TypePtr& t1, Caps) {
        return Then(Expect(prior, b, Type::AnySet(), depth), [&](const TypePtr& t2, Caps) {
          if (t1 && t2 && !LeastUpperBound(t1, t2)) {
            Error(e, "incompatible_types",
                  "sets of " + TypeToString(*t1) + " and " + TypeToString(*t2) +
                      " are not compatible");
            return Fail(Type::Bool());
          }
          return Success(Type::Bool());
        });
      });
    case BinaryOp::kGetTag:
    case BinaryOp::kHasTag:
      return CheckTag(prior, e, depth);
  }
  return Fail(nullptr);
}

Answer Checker::CheckEquality(const Caps& prior, const Expr& e, size_t depth) {
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  Answer lhs = Check(prior, a, depth);
  Answer rhs = Check(prior, b, depth);
  return Then(std::move(lhs), [&](const TypePtr& tl, Caps) {
    return Then(std::move(rhs), [&](const TypePtr& tr, Caps) {
      TypePtr eq = Type::Bool();
      if (tl && tr && AreDisjoint(*tl, *tr)) {
        eq = Type::False();
      } else {
        auto la = LiteralOf(a), lb = LiteralOf(b);
        if (la && lb) eq = Type::Singleton(*la == *lb);
      }
      if (eq->kind != Type::Kind::kBool) return Success(eq);
      if (tl && tr && !LeastUpperBound(tl, tr)) {
        Error(e, "incompatible_types",
              "`==` between " + TypeToString(*tl) + " and " + TypeToString(*tr) +
                  ", which are not compatible");
        return Fail(eq);
      }
      return Success(eq);
    });
  });
}

Answer Checker::CheckComparison(const Caps& prior, const Expr& e, size_t depth) {
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  return Then(Check(prior, a, depth), [&](const TypePtr& t1, Caps) {
    return Then(Check(prior, b, depth), [&](const TypePtr& t2, Caps) {
      if (!t1 || !t2) return Fail(Type::Bool());
      auto valid = [](const Type& t) {
        return t.kind == Type::Kind::kLong ||
               (t.kind == Type::Kind::kExtension && (t.extension == ExtensionKind::kDatetime ||
                                                     t.extension == ExtensionKind::kDuration));
      };
      auto mismatch = [&](const Expr& where, const Type& found) {
        Error(where, "unexpected_type",
              "comparison expects Long, datetime or duration operands of one type, found " +
                  TypeToString(found));
        return Fail(Type::Bool());
      };
      bool never1 = t1->kind == Type::Kind::kNever, never2 = t2->kind == Type::Kind::kNever;
      if (never1 && never2) return Fail(Type::Bool());
      if (never1) return valid(*t2) ? Success(Type::Bool()) : mismatch(b, *t2);
      if (never2) return valid(*t1) ? Success(Type::Bool()) : mismatch(a, *t1);
      if (TypeEquals(*t1, *t2) && valid(*t1)) return Success(Type::Bool());
      if (t1->kind == Type::Kind::kLong) return mismatch(b, *t2);
      if (t2->kind == Type::Kind::kLong) return mismatch(a, *t1);
      if (valid(*t1)) return mismatch(b, *t2);
      if (valid(*t2)) return mismatch(a, *t1);
      mismatch(a, *t1);
      return mismatch(b, *t2);
    });
  });
}

Answer Checker::CheckIn(const Caps& prior, const Expr& e, size_t depth) {
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  Answer lhs = Expect(prior, a, Type::AnyEntity(), depth);
  Answer rhs = ExpectOneOf(prior, b, {Type::SetOf(Type::AnyEntity()), Type::AnyEntity()}, depth);
  bool both_ok = lhs.ok && rhs.ok;
  return Then(std::move(lhs), [&](const TypePtr& tl, Caps) {
    return Then(std::move(rhs), [&](const TypePtr& tr, Caps) {
      if (!both_ok) return Fail(Type::Bool());
      std::optional<EntityUid> left = EuidOf(a);
      std::optional<std::vector<EntityUid>> right;
      if (auto one = EuidOf(b)) {
        right = std::vector<EntityUid>{*one};
      } else if (b.kind == ExprKind::kSet) {
        right.emplace();
        for (const ExprPtr& element : b.args) {
          auto uid = EuidOf(*element);
          if (!uid) {
            right.reset();
            break;
          }
          right->push_back(*uid);
        }
      }
      if (left && right && IsActionEntityType(left->type())) {
        std::vector<EntityUid> actions;
        for (const auto& uid : *right) {
          if (IsActionEntityType(uid.type())) actions.push_back(uid);
        }
        if (actions.empty()) return Success(Type::False());
        auto in = ActionsIn(schema_, actions);
        if (!in) return Fail(Type::Bool());
        return Success(Type::Singleton(in->count(*left) > 0));
      }
      const std::set<std::string>* lhs_types = IsEntityKind(tl) ? &tl->entity_types : nullptr;
      const std::set<std::string>* rhs_types = nullptr;
      if (IsEntityKind(tr)) {
        rhs_types = &tr->entity_types;
      } else if (Is(tr, Type::Kind::kSet) && IsEntityKind(tr->element)) {
        rhs_types = &tr->element->entity_types;
      }
      if (lhs_types && rhs_types && !MayBeDescendant(schema_, *lhs_types, *rhs_types)) {
        return Success(Type::False());
      }
      return Success(Type::Bool());
    });
  });
}

Answer Checker::CheckTag(const Caps& prior, const Expr& e, size_t depth) {
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  return Then(Expect(prior, a, Type::AnyEntity(), depth), [&](const TypePtr& te, Caps) {
    return Then(Expect(prior, b, Type::String(), depth), [&](const TypePtr&, Caps) {
      if (!te) return Fail(nullptr);
      std::string cap = TagCap(a, b);
      std::vector<TypePtr> tags = TagTypes(schema_, *te);
      if (e.op == BinaryOp::kHasTag) {
        TypePtr t = tags.empty() ? Type::False() : prior.count(cap) ? Type::True() : Type::Bool();
        return Success(t, Caps{cap});
      }
      if (!prior.count(cap)) {
        Error(e, "unsafe_tag_access",
              "tag access on " + TypeToString(*te) + " must be guarded by `hasTag`");
        return Fail(nullptr);
      }
      if (tags.empty()) {
        Error(e, "no_tags_allowed", TypeToString(*te) + " has no tags");
        return Fail(nullptr);
      }
      TypePtr lub = LubOrError(e, tags);
      return lub ? Success(lub) : Fail(nullptr);
    });
  });
}

Answer Checker::CheckExtCall(const Caps& prior, const Expr& e, size_t depth) {
  const ExtensionSignature& sig = SignatureOf(e.fn);
  bool failed = false;
  if (e.args.size() != sig.args.size()) {
    Error(e, "wrong_number_args",
          "`" + std::string(sig.name) + "` takes " + std::to_string(sig.args.size()) +
              " arguments, found " + std::to_string(e.args.size()));
    failed = true;
  }
  if (sig.constructor) {
    bool all_literal = true;
    for (const ExprPtr& arg : e.args) {
      if (arg->kind != ExprKind::kLiteral) {
        all_literal = false;
      } else if (arg->literal.is_string()) {
        auto parsed = ParseExtension(sig.name, arg->literal.as_string());
        if (!parsed) {
          Error(e, "function_argument_validation", parsed.error().message());
          failed = true;
        }
      }
    }
    if (!all_literal) {
      Error(e, "non_lit_ext_constructor",
            "extension constructor `" + std::string(sig.name) + "` needs a literal argument");
      failed = true;
    }
  }
  if (failed) {
    for (const ExprPtr& arg : e.args) Check(prior, *arg, depth);
    return Fail(sig.result);
  }
  bool all_ok = true;
  for (size_t i = 0; i < e.args.size(); ++i) {
    all_ok = Expect(prior, *e.args[i], sig.args[i], depth).ok && all_ok;
  }
  return all_ok ? Success(sig.result) : Fail(sig.result);
}

}  // namespace

EnvCheck TypecheckCondition(const SchemaModel& schema, const RequestEnv& env,
                            const std::string& policy_id, const Expr& condition, size_t max_depth) {
  EnvCheck result;
  Checker checker(schema, env, policy_id, max_depth, &result.errors);
  Answer answer = checker.Expect({}, condition, Type::Bool(), 0);
  if (answer.type && answer.type->kind == Type::Kind::kFalse) {
    result.outcome = EnvCheck::Outcome::kIrrelevant;
  } else {
    result.outcome = answer.ok ? EnvCheck::Outcome::kSuccess : EnvCheck::Outcome::kFail;
  }
  return result;
}

}  // namespace mandate::cedar::internal
