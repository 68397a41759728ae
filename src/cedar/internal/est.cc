// EST: Cedar's JSON policy format, both ways.
#include <boost/json.hpp>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/expr_builder.h"

namespace mandate::cedar {
namespace {

namespace bj = boost::json;
using internal::MakeExpr;

tl::unexpected<Status> EstErr(std::string message) {
  return Err(StatusCode::kInvalidArgument, "cedar.est", std::move(message));
}

// ---- writer ----
bj::value ExprToEst(const Expr& e);

bj::object Binary(std::string_view op, const Expr& a, const Expr& b) {
  return bj::object{{op, bj::object{{"left", ExprToEst(a)}, {"right", ExprToEst(b)}}}};
}

bj::value ExprToEst(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return bj::object{{"Value", ValueToJson(e.literal)}};
    case ExprKind::kVar:
      return bj::object{{"Var", internal::VarName(e.var)}};
    case ExprKind::kSlot:
      return bj::object{{"Slot", e.slot == SlotId::kPrincipal ? "?principal" : "?resource"}};
    case ExprKind::kNot:
      return bj::object{{"!", bj::object{{"arg", ExprToEst(*e.args[0])}}}};
    case ExprKind::kNeg:
      return bj::object{{"neg", bj::object{{"arg", ExprToEst(*e.args[0])}}}};
    case ExprKind::kAnd:
      return Binary("&&", *e.args[0], *e.args[1]);
    case ExprKind::kOr:
      return Binary("||", *e.args[0], *e.args[1]);
    case ExprKind::kBinary:
      return Binary(internal::BinaryOpName(e.op), *e.args[0], *e.args[1]);
    case ExprKind::kIf:
      return bj::object{{"if-then-else", bj::object{{"if", ExprToEst(*e.args[0])},
                                                    {"then", ExprToEst(*e.args[1])},
                                                    {"else", ExprToEst(*e.args[2])}}}};
    case ExprKind::kGetAttr:
      return bj::object{{".", bj::object{{"left", ExprToEst(*e.args[0])}, {"attr", e.name}}}};
    case ExprKind::kHasAttr:
      return bj::object{{"has", bj::object{{"left", ExprToEst(*e.args[0])}, {"attr", e.name}}}};
    case ExprKind::kLike: {
      bj::array pattern;
      for (const PatternElem& p : e.pattern) {
        if (p.wildcard) {
          pattern.push_back("Wildcard");
        } else {
          pattern.push_back(bj::object{{"Literal", p.literal}});
        }
      }
      return bj::object{
          {"like", bj::object{{"left", ExprToEst(*e.args[0])}, {"pattern", std::move(pattern)}}}};
    }
    case ExprKind::kIs: {
      bj::object body{{"left", ExprToEst(*e.args[0])}, {"entity_type", e.name}};
      if (e.args.size() > 1) body["in"] = ExprToEst(*e.args[1]);
      return bj::object{{"is", std::move(body)}};
    }
    case ExprKind::kIsEmpty:
      return bj::object{{"isEmpty", bj::object{{"arg", ExprToEst(*e.args[0])}}}};
    case ExprKind::kSet: {
      bj::array a;
      for (const ExprPtr& x : e.args) a.push_back(ExprToEst(*x));
      return bj::object{{"Set", std::move(a)}};
    }
    case ExprKind::kRecord: {
      bj::object o;
      for (size_t i = 0; i < e.args.size(); ++i) o[e.names[i]] = ExprToEst(*e.args[i]);
      return bj::object{{"Record", std::move(o)}};
    }
    case ExprKind::kExtCall: {
      bj::array a;
      for (const ExprPtr& x : e.args) a.push_back(ExprToEst(*x));
      return bj::object{{internal::ExtFnName(e.fn), std::move(a)}};
    }
  }
  return nullptr;
}

bj::object ScopeToEst(const ScopeConstraint& s, bool principal) {
  auto target = [&](bj::object& o) {
    if (s.slot) {
      o["slot"] = principal ? "?principal" : "?resource";
    } else if (s.entity) {
      o["entity"] = EntityUidToJson(*s.entity);
    }
  };
  bj::object o;
  switch (s.op) {
    case ScopeConstraint::Op::kAll:
      o["op"] = "All";
      break;
    case ScopeConstraint::Op::kEq:
      o["op"] = "==";
      target(o);
      break;
    case ScopeConstraint::Op::kIn:
      o["op"] = "in";
      if (s.is_list) {
        bj::array a;
        for (const EntityUid& u : s.entities) a.push_back(EntityUidToJson(u));
        o["entities"] = std::move(a);
      } else {
        target(o);
      }
      break;
    case ScopeConstraint::Op::kIs:
      o["op"] = "is";
      o["entity_type"] = s.entity_type;
      break;
    case ScopeConstraint::Op::kIsIn: {
      o["op"] = "is";
      o["entity_type"] = s.entity_type;
      bj::object in;
      target(in);
      o["in"] = std::move(in);
      break;
    }
  }
  return o;
}

// ---- reader ----
class EstReader {
 public:
  explicit EstReader(const Limits& limits) : limits_(limits) {}

  Result<ExprPtr> ReadExpr(const bj::value& j, size_t depth) {
    if (depth > limits_.max_depth) return EstErr("expression nesting exceeds the limit");
    if (!j.is_object() || j.get_object().size() != 1) {
      return EstErr("an expression must be an object with exactly one member");
    }
    const auto& only = *j.get_object().begin();
    const bj::value& body = only.value();  // not a structured binding: lambdas capture it
    std::string key(only.key());
    Expr e;
    auto read_args = [&](const bj::value& arr) -> Status {
      if (!arr.is_array()) return InvalidArgument("cedar.est", "`" + key + "` takes an array");
      if (arr.get_array().size() > limits_.max_set_elements) {
        return InvalidArgument("cedar.est", "`" + key + "` has too many elements");
      }
      for (const bj::value& a : arr.get_array()) {
        auto x = ReadExpr(a, depth + 1);
        if (!x) return x.error();
        e.args.push_back(*x);
      }
      return Status();
    };
    auto member = [&](std::string_view name) -> const bj::value* {
      return body.is_object() ? body.get_object().if_contains(name) : nullptr;
    };
    auto sub = [&](std::string_view name) -> Status {
      const bj::value* v = member(name);
      if (!v)
        return InvalidArgument("cedar.est", "`" + key + "` needs `" + std::string(name) + "`");
      auto x = ReadExpr(*v, depth + 1);
      if (!x) return x.error();
      e.args.push_back(*x);
      return Status();
    };
    auto string_member = [&](std::string_view name, std::string* out) -> Status {
      const bj::value* v = member(name);
      if (!v || !v->is_string()) {
        return InvalidArgument("cedar.est",
                               "`" + key + "` needs the string `" + std::string(name) + "`");
      }
      *out = std::string(v->get_string());
      return Status();
    };
#define EST_TRY(expr)                                                  \
  do {                                                                 \
    Status est_status_ = (expr);                                       \
    if (!est_status_.ok()) return tl::unexpected<Status>(est_status_); \
  } while (0)
    if (key == "Value") {
      auto v = ValueFromJson(body, nullptr, limits_);
      if (!v) return tl::unexpected<Status>(v.error());
      return internal::MakeLiteral(*std::move(v));
    }
    if (key == "Var") {
      auto var = body.is_string() ? internal::VarFromName(body.get_string()) : std::nullopt;
      if (!var) return EstErr("unknown variable in `Var`");
      return internal::MakeVar(*var);
    }
    if (key == "Slot") {
      if (!body.is_string() ||
          (body.get_string() != "?principal" && body.get_string() != "?resource")) {
        return EstErr("unknown slot");
      }
      return EstErr("template slots may appear only in the policy scope");
    }
    if (key == "!" || key == "neg" || key == "isEmpty") {
      e.kind = key == "!" ? ExprKind::kNot : key == "neg" ? ExprKind::kNeg : ExprKind::kIsEmpty;
      EST_TRY(sub("arg"));
      return MakeExpr(std::move(e));
    }
    if (key == "&&" || key == "||") {
      e.kind = key == "&&" ? ExprKind::kAnd : ExprKind::kOr;
      EST_TRY(sub("left"));
      EST_TRY(sub("right"));
      return MakeExpr(std::move(e));
    }
    for (BinaryOp op : {BinaryOp::kEq, BinaryOp::kNotEq, BinaryOp::kLess, BinaryOp::kLessEq,
                        BinaryOp::kGreater, BinaryOp::kGreaterEq, BinaryOp::kIn, BinaryOp::kAdd,
                        BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kContains, BinaryOp::kContainsAll,
                        BinaryOp::kContainsAny, BinaryOp::kGetTag, BinaryOp::kHasTag}) {
      if (key == internal::BinaryOpName(op)) {
        e.kind = ExprKind::kBinary;
        e.op = op;
        EST_TRY(sub("left"));
        EST_TRY(sub("right"));
        return MakeExpr(std::move(e));
      }
    }
    if (key == "." || key == "has") {
      e.kind = key == "." ? ExprKind::kGetAttr : ExprKind::kHasAttr;
      EST_TRY(sub("left"));
      EST_TRY(string_member("attr", &e.name));
      return MakeExpr(std::move(e));
    }
    if (key == "like") {
      e.kind = ExprKind::kLike;
      EST_TRY(sub("left"));
      const bj::value* p = member("pattern");
      if (!p || !p->is_array()) return EstErr("`like` needs the array `pattern`");
      for (const bj::value& elem : p->get_array()) {
        if (elem.is_string() && elem.get_string() == "Wildcard") {
          if (e.pattern.empty() || !e.pattern.back().wildcard) e.pattern.push_back({true, {}});
        } else if (elem.is_object() && elem.get_object().size() == 1 &&
                   elem.get_object().contains("Literal") &&
                   elem.get_object().at("Literal").is_string()) {
          std::string lit(elem.get_object().at("Literal").get_string());
          if (!e.pattern.empty() && !e.pattern.back().wildcard) {
            e.pattern.back().literal += lit;
          } else if (!lit.empty()) {
            e.pattern.push_back({false, std::move(lit)});
          }
        } else {
          return EstErr("a pattern element is `\"Wildcard\"` or `{\"Literal\": string}`");
        }
      }
      return MakeExpr(std::move(e));
    }
    if (key == "is") {
      e.kind = ExprKind::kIs;
      EST_TRY(sub("left"));
      EST_TRY(string_member("entity_type", &e.name));
      if (member("in")) EST_TRY(sub("in"));
      return MakeExpr(std::move(e));
    }
    if (key == "if-then-else") {
      e.kind = ExprKind::kIf;
      EST_TRY(sub("if"));
      EST_TRY(sub("then"));
      EST_TRY(sub("else"));
      return MakeExpr(std::move(e));
    }
    if (key == "Set") {
      e.kind = ExprKind::kSet;
      EST_TRY(read_args(body));
      return MakeExpr(std::move(e));
    }
    if (key == "Record") {
      e.kind = ExprKind::kRecord;
      if (!body.is_object()) return EstErr("`Record` takes an object");
      for (const auto& m : body.get_object()) {
        auto x = ReadExpr(m.value(), depth + 1);
        if (!x) return x;
        e.names.emplace_back(m.key());
        e.args.push_back(*x);
      }
      return MakeExpr(std::move(e));
    }
    if (auto fn = internal::ExtFnFromName(key)) {
      e.kind = ExprKind::kExtCall;
      e.fn = *fn;
      e.name = key;
      EST_TRY(read_args(body));
      if (!internal::ExtFnIsConstructor(*fn) && e.args.empty()) {
        return EstErr("method `" + key + "` needs its receiver as the first argument");
      }
      return MakeExpr(std::move(e));
    }
#undef EST_TRY
    return EstErr("unknown expression `" + key + "`");
  }

  Result<ScopeConstraint> ReadScope(const bj::value* j, std::string_view var) {
    ScopeConstraint s;
    if (!j || !j->is_object()) return EstErr("`" + std::string(var) + "` must be an object");
    const bj::object& o = j->get_object();
    const bj::value* op = o.if_contains("op");
    if (!op || !op->is_string()) return EstErr("`" + std::string(var) + "` needs `op`");
    std::string_view opname = op->get_string();
    auto target = [&](const bj::object& from, ScopeConstraint& c) -> Status {
      if (const bj::value* slot = from.if_contains("slot")) {
        std::string_view want = var == "principal" ? "?principal" : "?resource";
        if (var == "action" || !slot->is_string() || slot->get_string() != want) {
          return InvalidArgument("cedar.est", "invalid slot in the " + std::string(var) + " scope");
        }
        c.slot = var == "principal" ? SlotId::kPrincipal : SlotId::kResource;
        return Status();
      }
      const bj::value* entity = from.if_contains("entity");
      if (!entity) return InvalidArgument("cedar.est", "scope needs `entity` or `slot`");
      auto uid = EntityUidFromJson(*entity);
      if (!uid) return uid.error();
      c.entity = *uid;
      return Status();
    };
    if (opname == "All") return s;
    if (opname == "==" || opname == "in") {
      s.op = opname == "==" ? ScopeConstraint::Op::kEq : ScopeConstraint::Op::kIn;
      if (opname == "in" && var == "action" && o.contains("entities")) {
        const bj::value& list = o.at("entities");
        if (!list.is_array()) return EstErr("`entities` must be an array");
        s.is_list = true;
        for (const bj::value& u : list.get_array()) {
          auto uid = EntityUidFromJson(u);
          if (!uid) return tl::unexpected<Status>(uid.error());
          s.entities.push_back(*uid);
        }
        return s;
      }
      Status st = target(o, s);
      if (!st.ok()) return tl::unexpected<Status>(st);
      return s;
    }
    if (opname == "is" && var != "action") {
      const bj::value* type = o.if_contains("entity_type");
      if (!type || !type->is_string()) return EstErr("`is` needs `entity_type`");
      s.op = ScopeConstraint::Op::kIs;
      s.entity_type = std::string(type->get_string());
      if (const bj::value* in = o.if_contains("in")) {
        if (!in->is_object()) return EstErr("`in` must be an object");
        s.op = ScopeConstraint::Op::kIsIn;
        Status st = target(in->get_object(), s);
        if (!st.ok()) return tl::unexpected<Status>(st);
      }
      return s;
    }
    return EstErr("unknown scope operator `" + std::string(opname) + "`");
  }

  Result<Policy> ReadPolicy(const bj::value& j, std::string id) {
    if (!j.is_object()) return EstErr("a policy must be an object");
    const bj::object& o = j.get_object();
    Policy p;
    p.id = std::move(id);
    const bj::value* effect = o.if_contains("effect");
    if (!effect || !effect->is_string() ||
        (effect->get_string() != "permit" && effect->get_string() != "forbid")) {
      return EstErr("`effect` must be `permit` or `forbid`");
    }
    p.effect = effect->get_string() == "permit" ? Effect::kPermit : Effect::kForbid;
    auto principal = ReadScope(o.if_contains("principal"), "principal");
    if (!principal) return tl::unexpected<Status>(principal.error());
    auto action = ReadScope(o.if_contains("action"), "action");
    if (!action) return tl::unexpected<Status>(action.error());
    auto resource = ReadScope(o.if_contains("resource"), "resource");
    if (!resource) return tl::unexpected<Status>(resource.error());
    p.principal = *principal;
    p.action = *action;
    p.resource = *resource;
    if (const bj::value* conds = o.if_contains("conditions")) {
      if (!conds->is_array()) return EstErr("`conditions` must be an array");
      for (const bj::value& c : conds->get_array()) {
        const bj::value* kind = c.is_object() ? c.get_object().if_contains("kind") : nullptr;
        const bj::value* body = c.is_object() ? c.get_object().if_contains("body") : nullptr;
        if (!kind || !body || !kind->is_string() ||
            (kind->get_string() != "when" && kind->get_string() != "unless")) {
          return EstErr("a condition needs `kind` (`when` or `unless`) and `body`");
        }
        auto e = ReadExpr(*body, 1);
        if (!e) return tl::unexpected<Status>(e.error());
        p.conditions.push_back(Condition{kind->get_string() == "when", *e});
      }
    }
    if (const bj::value* ann = o.if_contains("annotations")) {
      if (!ann->is_object()) return EstErr("`annotations` must be an object");
      for (const auto& m : ann->get_object()) {
        if (!m.value().is_string() && !m.value().is_null()) {
          return EstErr("annotation values must be strings");
        }
        p.annotations.emplace_back(
            std::string(m.key()), m.value().is_string() ? std::string(m.value().get_string()) : "");
      }
    }
    for (const auto& m : o) {
      std::string_view k = m.key();
      if (k != "effect" && k != "principal" && k != "action" && k != "resource" &&
          k != "conditions" && k != "annotations") {
        return EstErr("unknown policy member `" + std::string(k) + "`");
      }
    }
    return p;
  }

 private:
  const Limits& limits_;
};

}  // namespace

bj::value PolicyToEst(const Policy& p) {
  bj::object o;
  o["effect"] = p.effect == Effect::kPermit ? "permit" : "forbid";
  o["principal"] = ScopeToEst(p.principal, true);
  o["action"] = ScopeToEst(p.action, false);
  o["resource"] = ScopeToEst(p.resource, false);
  bj::array conds;
  for (const Condition& c : p.conditions) {
    conds.push_back(
        bj::object{{"kind", c.is_when ? "when" : "unless"}, {"body", ExprToEst(*c.body)}});
  }
  o["conditions"] = std::move(conds);
  if (!p.annotations.empty()) {
    bj::object ann;
    for (const auto& [k, v] : p.annotations) ann[k] = v;
    o["annotations"] = std::move(ann);
  }
  return o;
}

Result<Policy> PolicyFromEst(const bj::value& est, std::string id, const Limits& limits) {
  EstReader reader(limits);
  return reader.ReadPolicy(est, std::move(id));
}

bj::value PolicySetToEst(const PolicySet& policies) {
  bj::object statics, templates;
  bj::array links;
  for (const Policy& p : policies.policies()) {
    if (!p.template_id) {
      statics[p.id] = PolicyToEst(p);
      continue;
    }
    const Policy* t = policies.FindTemplate(*p.template_id);
    bj::object values;
    if (t && t->principal.slot && p.principal.entity) {
      values["?principal"] = EntityUidToJson(*p.principal.entity);
    }
    if (t && t->resource.slot && p.resource.entity) {
      values["?resource"] = EntityUidToJson(*p.resource.entity);
    }
    links.push_back(
        bj::object{{"templateId", *p.template_id}, {"newId", p.id}, {"values", values}});
  }
  for (const Policy& t : policies.templates()) templates[t.id] = PolicyToEst(t);
  return bj::object{{"staticPolicies", std::move(statics)},
                    {"templates", std::move(templates)},
                    {"templateLinks", std::move(links)}};
}

Result<PolicySet> PolicySetFromEst(const bj::value& est, const Limits& limits) {
  if (!est.is_object()) return EstErr("a policy set must be an object");
  const bj::object& o = est.get_object();
  PolicySet set;
  for (const char* section : {"staticPolicies", "templates"}) {
    const bj::value* v = o.if_contains(section);
    if (!v) continue;
    if (!v->is_object()) return EstErr("`" + std::string(section) + "` must be an object");
    for (const auto& m : v->get_object()) {
      auto p = PolicyFromEst(m.value(), std::string(m.key()), limits);
      if (!p)
        return tl::unexpected<Status>(
            p.error().WithContext("policy `" + std::string(m.key()) + "`"));
      bool is_template = p->is_template();
      if (is_template != (std::string_view(section) == "templates")) {
        return EstErr(
            "policy `" + std::string(m.key()) +
            (is_template ? "` has slots but is not a template" : "` is a template without slots"));
      }
      Status s = set.Add(*std::move(p));
      if (!s.ok()) return tl::unexpected<Status>(s);
    }
  }
  if (const bj::value* links = o.if_contains("templateLinks")) {
    if (!links->is_array()) return EstErr("`templateLinks` must be an array");
    for (const bj::value& l : links->get_array()) {
      const bj::object* lo = l.if_object();
      const bj::value* tid = lo ? lo->if_contains("templateId") : nullptr;
      const bj::value* nid = lo ? lo->if_contains("newId") : nullptr;
      const bj::value* values = lo ? lo->if_contains("values") : nullptr;
      if (!tid || !nid || !values || !tid->is_string() || !nid->is_string() ||
          !values->is_object()) {
        return EstErr("a template link needs `templateId`, `newId` and `values`");
      }
      std::vector<std::pair<SlotId, EntityUid>> slots;
      for (const auto& m : values->get_object()) {
        auto uid = EntityUidFromJson(m.value());
        if (!uid) return tl::unexpected<Status>(uid.error());
        if (m.key() == "?principal") {
          slots.emplace_back(SlotId::kPrincipal, *uid);
        } else if (m.key() == "?resource") {
          slots.emplace_back(SlotId::kResource, *uid);
        } else {
          return EstErr("unknown slot `" + std::string(m.key()) + "`");
        }
      }
      Status s = set.Link(tid->get_string(), std::string(nid->get_string()), slots);
      if (!s.ok()) return tl::unexpected<Status>(s);
    }
  }
  return set;
}

}  // namespace mandate::cedar
