// Strict-mode policy validation (Cedar's `Validator::validate`): the per-policy passes over
// entity types, enumerated ids, action ids and action application, then the typechecker in
// every request environment the schema defines.
#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "src/cedar/internal/schema_model.h"
#include "src/cedar/internal/typecheck.h"
#include "src/cedar/internal/typecheck_rules.h"
#include "src/cedar/schema.h"

namespace mandate::cedar {
namespace internal {
namespace {

std::shared_ptr<Expr> Node(ExprKind kind, std::vector<ExprPtr> args = {}) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->args = std::move(args);
  return e;
}
ExprPtr Literal(Value v) {
  auto e = Node(ExprKind::kLiteral);
  e->literal = std::move(v);
  return e;
}
ExprPtr VarExpr(Var v) {
  auto e = Node(ExprKind::kVar);
  e->var = v;
  return e;
}
ExprPtr Binary(BinaryOp op, ExprPtr a, ExprPtr b) {
  auto e = Node(ExprKind::kBinary, {std::move(a), std::move(b)});
  e->op = op;
  return e;
}
ExprPtr And(ExprPtr a, ExprPtr b) { return Node(ExprKind::kAnd, {std::move(a), std::move(b)}); }

ExprPtr EntityRef(const ScopeConstraint& c) {
  if (c.slot) {
    auto e = Node(ExprKind::kSlot);
    e->slot = *c.slot;
    return e;
  }
  return Literal(Value::Entity(*c.entity));
}

// The scope constraint of principal or resource as an expression.
ExprPtr ScopeExpr(const ScopeConstraint& c, Var var) {
  switch (c.op) {
    case ScopeConstraint::Op::kAll:
      return Literal(Value::Bool(true));
    case ScopeConstraint::Op::kEq:
      return Binary(BinaryOp::kEq, VarExpr(var), EntityRef(c));
    case ScopeConstraint::Op::kIn:
      if (c.is_list) {
        auto set = Node(ExprKind::kSet);
        for (const auto& uid : c.entities) set->args.push_back(Literal(Value::Entity(uid)));
        return Binary(BinaryOp::kIn, VarExpr(var), set);
      }
      return Binary(BinaryOp::kIn, VarExpr(var), EntityRef(c));
    case ScopeConstraint::Op::kIs:
    case ScopeConstraint::Op::kIsIn: {
      auto is = Node(ExprKind::kIs, {VarExpr(var)});
      is->name = c.entity_type;
      if (c.op == ScopeConstraint::Op::kIs) return is;
      return And(is, Binary(BinaryOp::kIn, VarExpr(var), EntityRef(c)));
    }
  }
  return Literal(Value::Bool(true));
}

// The policy's whole condition: principal && (action && (resource && body)).
ExprPtr PolicyCondition(const Policy& p) {
  ExprPtr body;
  for (const Condition& c : p.conditions) {
    ExprPtr part = c.is_when ? c.body : Node(ExprKind::kNot, {c.body});
    body = body ? And(body, part) : part;
  }
  if (!body) body = Literal(Value::Bool(true));
  return And(
      ScopeExpr(p.principal, Var::kPrincipal),
      And(ScopeExpr(p.action, Var::kAction), And(ScopeExpr(p.resource, Var::kResource), body)));
}

void CollectExpr(const Expr& e, std::vector<EntityUid>* uids, std::set<std::string>* types) {
  if (e.kind == ExprKind::kLiteral && e.literal.is_entity()) uids->push_back(e.literal.as_entity());
  if (e.kind == ExprKind::kIs) types->insert(e.name);
  for (const ExprPtr& arg : e.args) CollectExpr(*arg, uids, types);
}

void CollectScope(const ScopeConstraint& c, std::vector<EntityUid>* uids,
                  std::set<std::string>* types) {
  if (c.entity) uids->push_back(*c.entity);
  for (const auto& uid : c.entities) uids->push_back(uid);
  if (c.op == ScopeConstraint::Op::kIs || c.op == ScopeConstraint::Op::kIsIn) {
    types->insert(c.entity_type);
  }
}

bool IsKnownEntityType(const SchemaModel& schema, const std::string& type) {
  return IsActionEntityType(type) || schema.FindEntityType(type) != nullptr;
}

class PolicyValidator {
 public:
  explicit PolicyValidator(const SchemaModel& schema) : schema_(schema) {
    for (const auto& [uid, action] : schema.actions) {
      for (const auto& p : action.principal_types) {
        for (const auto& r : action.resource_types)
          envs_.push_back(RequestEnv{p, &action, r, {}, {}});
      }
    }
  }

  void Validate(const Policy& p, ValidationResult* out) {
    std::vector<EntityUid> uids;
    std::set<std::string> types;
    for (const ScopeConstraint* c : {&p.principal, &p.action, &p.resource}) {
      CollectScope(*c, &uids, &types);
    }
    for (const Condition& c : p.conditions) CollectExpr(*c.body, &uids, &types);
    for (const auto& uid : uids) types.insert(uid.type());
    for (const auto& type : types) {
      if (!IsKnownEntityType(schema_, type)) {
        Add(out, p, "unrecognized_entity_type",
            "entity type `" + type + "` is not declared in the schema");
      }
    }
    for (const auto& uid : uids) {
      if (IsActionEntityType(uid.type())) {
        if (!schema_.FindAction(uid)) {
          Add(out, p, "unrecognized_action_id",
              "action `" + uid.ToString() + "` is not declared in the schema");
        }
        continue;
      }
      const EntityTypeDef* def = schema_.FindEntityType(uid.type());
      if (def && def->enum_ids &&
          std::find(def->enum_ids->begin(), def->enum_ids->end(), uid.id()) ==
              def->enum_ids->end()) {
        Add(out, p, "invalid_enum_entity",
            "`" + uid.ToString() + "` is not one of the enumerated ids of `" + uid.type() + "`");
      }
    }
    if (!ActionApplies(p)) {
      Add(out, p, "invalid_action_application",
          "no action in the policy's scope applies to the principal and resource types it allows");
    }
    Typecheck(p, out);
  }

  // For a policy linked from a template: the linked entities' types exist and the action
  // still applies.
  void ValidateLink(const Policy& p, ValidationResult* out) {
    for (const ScopeConstraint* c : {&p.principal, &p.resource}) {
      if (c->entity && !IsKnownEntityType(schema_, c->entity->type())) {
        Add(out, p, "unrecognized_entity_type",
            "entity type `" + c->entity->type() + "` is not declared in the schema");
      }
    }
    if (!ActionApplies(p)) {
      Add(out, p, "invalid_action_application",
          "no action in the policy's scope applies to the principal and resource types it allows");
    }
  }

 private:
  void Add(ValidationResult* out, const Policy& p, std::string code, std::string message) {
    out->errors.push_back(ValidationIssue{p.id, std::move(code), std::move(message), p.span});
  }

  std::set<std::string> AllEntityTypes() const {
    std::set<std::string> out;
    for (const auto& [name, def] : schema_.entity_types) out.insert(name);
    return out;
  }

  std::set<std::string> TypesSatisfying(const ScopeConstraint& c) const {
    using Op = ScopeConstraint::Op;
    switch (c.op) {
      case Op::kAll:
        return AllEntityTypes();
      case Op::kEq:
        return c.slot ? AllEntityTypes() : std::set<std::string>{c.entity->type()};
      case Op::kIn:
        return c.slot ? AllEntityTypes() : schema_.EntityTypesIn(c.entity->type());
      case Op::kIs:
        return schema_.FindEntityType(c.entity_type) ? std::set<std::string>{c.entity_type}
                                                     : std::set<std::string>{};
      case Op::kIsIn:
        if (c.slot) {
          return schema_.FindEntityType(c.entity_type) ? std::set<std::string>{c.entity_type}
                                                       : std::set<std::string>{};
        }
        return schema_.EntityTypesIn(c.entity->type()).count(c.entity_type)
                   ? std::set<std::string>{c.entity_type}
                   : std::set<std::string>{};
    }
    return {};
  }

  std::vector<const ActionDef*> ActionsSatisfying(const ScopeConstraint& c) const {
    std::vector<const ActionDef*> out;
    if (c.op == ScopeConstraint::Op::kAll) {
      for (const auto& [uid, def] : schema_.actions) out.push_back(&def);
    } else if (c.op == ScopeConstraint::Op::kEq) {
      if (const ActionDef* def = schema_.FindAction(*c.entity)) out.push_back(def);
    } else {
      std::vector<EntityUid> roots = c.is_list ? c.entities : std::vector<EntityUid>{*c.entity};
      if (auto in = ActionsIn(schema_, roots)) {
        for (const auto& uid : *in) out.push_back(schema_.FindAction(uid));
      }
    }
    return out;
  }

  bool ActionApplies(const Policy& p) const {
    std::set<std::string> principals = TypesSatisfying(p.principal);
    std::set<std::string> resources = TypesSatisfying(p.resource);
    for (const ActionDef* action : ActionsSatisfying(p.action)) {
      bool principal = std::any_of(action->principal_types.begin(), action->principal_types.end(),
                                   [&](const std::string& t) { return principals.count(t) > 0; });
      bool resource = std::any_of(action->resource_types.begin(), action->resource_types.end(),
                                  [&](const std::string& t) { return resources.count(t) > 0; });
      if (principal && resource) return true;
    }
    return false;
  }

  // Entity types a template slot may be linked to in `env` (Cedar's possible_slot_links).
  std::vector<std::optional<std::string>> SlotLinks(const ScopeConstraint& c,
                                                    const std::string& var_type) const {
    if (!c.slot) return {std::nullopt};
    std::vector<std::optional<std::string>> out;
    if (c.op == ScopeConstraint::Op::kEq) return {var_type};
    if (c.op == ScopeConstraint::Op::kIn || c.op == ScopeConstraint::Op::kIsIn) {
      for (const auto& [name, def] : schema_.entity_types) {
        if (def.descendants.count(var_type)) out.push_back(name);
      }
      out.push_back(var_type);
      return out;
    }
    for (const auto& [name, def] : schema_.entity_types) out.push_back(name);
    return out;
  }

  void Typecheck(const Policy& p, ValidationResult* out) {
    ExprPtr condition = PolicyCondition(p);
    bool all_false = true;
    std::set<std::string> seen;
    for (const RequestEnv& base : envs_) {
      for (const auto& ps : SlotLinks(p.principal, base.principal_type)) {
        for (const auto& rs : SlotLinks(p.resource, base.resource_type)) {
          RequestEnv env = base;
          env.principal_slot = ps;
          env.resource_slot = rs;
          EnvCheck check = TypecheckCondition(schema_, env, p.id, *condition);
          if (check.outcome != EnvCheck::Outcome::kIrrelevant) all_false = false;
          for (auto& e : check.errors) {
            std::string key = e.code + "\x1f" + e.message + "\x1f" + std::to_string(e.span.offset);
            if (seen.insert(key).second) out->errors.push_back(std::move(e));
          }
          if (check.outcome == EnvCheck::Outcome::kFail && check.errors.empty() &&
              seen.insert("fail").second) {
            // Failed without a message of its own: an undeclared entity or action literal,
            // already reported by the passes above.
            all_false = false;
          }
        }
      }
    }
    if (all_false) {
      out->warnings.push_back(ValidationIssue{p.id, "impossible_policy",
                                              "policy is impossible: its condition is false "
                                              "in every request environment",
                                              p.span});
    }
  }

  const SchemaModel& schema_;
  std::vector<RequestEnv> envs_;
};

}  // namespace
}  // namespace internal

ValidationResult ValidatePolicies(const Schema& schema, const PolicySet& policies) {
  ValidationResult result;
  internal::PolicyValidator validator(schema.model());
  for (const Policy& t : policies.templates()) validator.Validate(t, &result);
  for (const Policy& p : policies.policies()) {
    if (p.template_id) {
      validator.ValidateLink(p, &result);
    } else {
      validator.Validate(p, &result);
    }
  }
  return result;
}

}  // namespace mandate::cedar
