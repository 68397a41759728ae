#include "src/mandate/internal/decode.h"

#include <algorithm>
#include <set>

namespace mandate::internal {
namespace {

constexpr uint32_t kMaxBudget = 65535;

std::string In(std::string_view kind, std::string_view name) {
  return std::string(kind) + " `" + std::string(name) + "`";
}

void DecodeAgent(const YAML::Node& node, Decoder& d, std::vector<AgentMatcher>* out) {
  Decoder::Members m;
  if (!d.Map(node, "agent", {"spiffe_id", "spiffe_prefix", "oidc"}, &m)) return;
  if (m.size() != 1) {
    d.Error(node, "mandate.invalid_agent",
            "agent: give exactly one of `spiffe_id`, `spiffe_prefix` or `oidc`");
    return;
  }
  AgentMatcher agent;
  const auto& [key, value] = m[0];
  if (key == "oidc") {
    Decoder::Members o;
    if (!d.Map(value, "agent: oidc", {"issuer", "subject"}, &o)) return;
    d.Require(value, o, "agent: oidc", {"issuer", "subject"});
    for (const auto& [k, v] : o) {
      d.String(v, "agent: oidc: " + k, k == "issuer" ? &agent.oidc_issuer : &agent.oidc_subject);
    }
    if (agent.oidc_issuer.empty() || agent.oidc_subject.empty()) return;
  } else {
    std::string* target = key == "spiffe_id" ? &agent.spiffe_id : &agent.spiffe_prefix;
    if (!d.String(value, "agent: " + key, target)) return;
    if (target->rfind("spiffe://", 0) != 0 || target->size() <= 9) {
      d.Error(value, "mandate.invalid_spiffe_id",
              "agent: " + key + ": `" + *target + "` is not a spiffe id",
              "spiffe ids look like `spiffe://trust-domain/path`");
      return;
    }
  }
  out->push_back(std::move(agent));
}

void DecodeAgents(const YAML::Node& node, Decoder& d, std::string_view what,
                  std::vector<AgentMatcher>* out) {
  if (!node.IsSequence()) {
    d.Error(node, "mandate.type", std::string(what) + ": expected a list of agent identities");
    return;
  }
  for (const auto& item : node) DecodeAgent(item, d, out);
}

void DecodeSystem(const YAML::Node& node, Decoder& d, std::vector<System>* out) {
  Decoder::Members m;
  if (!d.Map(node, "system", {"name", "kind", "audience", "upstream", "credential", "description"},
             &m))
    return;
  d.Require(node, m, "system", {"name", "kind", "audience"});
  System system;
  system.where = d.Span(node);
  for (const auto& [k, v] : m) {
    if (k == "name") d.Identifier(v, "system: name", &system.name);
  }
  const std::string what = In("system", system.name);
  for (const auto& [k, v] : m) {
    int choice = 0;
    if (k == "kind" && d.Choice(v, what + ": kind", {"http", "mcp"}, &choice)) {
      system.kind = static_cast<SystemKind>(choice);
    } else if (k == "audience") {
      d.String(v, what + ": audience", &system.audience);
    } else if (k == "upstream") {
      d.String(v, what + ": upstream", &system.upstream);
    } else if (k == "description") {
      d.String(v, what + ": description", &system.description);
    } else if (k == "credential") {
      Decoder::Members c;
      if (!d.Map(v, what + ": credential", {"secret", "inject", "header"}, &c)) continue;
      d.Require(v, c, what + ": credential", {"secret"});
      CredentialRef ref;
      for (const auto& [ck, cv] : c) {
        if (ck == "secret") d.String(cv, what + ": credential: secret", &ref.secret);
        if (ck == "header") d.String(cv, what + ": credential: header", &ref.header);
        if (ck == "inject" &&
            d.Choice(cv, what + ": credential: inject", {"bearer", "header", "basic"}, &choice)) {
          ref.inject = static_cast<CredentialInjection>(choice);
        }
      }
      if ((ref.inject == CredentialInjection::kHeader) == ref.header.empty()) {
        d.Error(v, "mandate.invalid_credential",
                what + ": credential: `header` is required with `inject: header` and only then");
      }
      system.credential = std::move(ref);
    }
  }
  out->push_back(std::move(system));
}

// `name: type` or `name: {type, required, description}`.
void DecodeFields(const YAML::Node& node, Decoder& d, const std::string& what,
                  std::vector<TypedField>* out) {
  Decoder::Members m;
  if (!d.NamedMap(node, what, &m, /*identifiers=*/true)) return;
  for (const auto& [name, spec] : m) {
    TypedField field;
    field.name = name;
    field.where = d.Span(spec);
    const std::string field_what = what + ": `" + name + "`";
    YAML::Node type_node = spec;
    if (spec.IsMap()) {
      Decoder::Members f;
      d.Map(spec, field_what, {"type", "required", "description"}, &f);
      d.Require(spec, f, field_what, {"type"});
      type_node = YAML::Node();
      for (const auto& [k, v] : f) {
        if (k == "type") type_node = v;
        if (k == "required") d.Bool(v, field_what + ": required", &field.required);
        if (k == "description") d.String(v, field_what + ": description", &field.description);
      }
      if (!type_node.IsDefined() || type_node.IsNull()) continue;
    }
    int choice = 0;
    if (!d.Choice(type_node, field_what + ": type",
                  {"string", "long", "bool", "set<string>", "set<long>"}, &choice))
      continue;
    field.type = static_cast<ValueType>(choice);
    out->push_back(std::move(field));
  }
}

void DecodeStep(const YAML::Node& node, Decoder& d, std::vector<Step>* out) {
  Decoder::Members m;
  if (!d.Map(node, "step",
             {"id", "system", "actions", "resources", "args", "reads", "writes", "guard",
              "max_calls", "approval", "credential_ttl", "delegable", "description"},
             &m))
    return;
  d.Require(node, m, "step", {"id", "system", "actions"});
  Step step;
  step.where = d.Span(node);
  for (const auto& [k, v] : m) {
    if (k == "id") d.Identifier(v, "step: id", &step.id);
  }
  const std::string what = In("step", step.id);
  for (const auto& [k, v] : m) {
    if (k == "system") {
      d.String(v, what + ": system", &step.system);
    } else if (k == "actions") {
      d.StringList(v, what + ": actions", &step.actions);
    } else if (k == "resources") {
      d.StringList(v, what + ": resources", &step.resources);
    } else if (k == "args") {
      DecodeFields(v, d, what + ": args", &step.args);
    } else if (k == "reads") {
      d.StringList(v, what + ": reads", &step.reads, &Decoder::Label);
    } else if (k == "writes") {
      d.StringList(v, what + ": writes", &step.writes, &Decoder::Label);
    } else if (k == "guard") {
      step.guard_where = d.Span(v);
      d.String(v, what + ": guard", &step.guard);
    } else if (k == "max_calls") {
      uint32_t budget = 0;
      if (d.Unsigned(v, what + ": max_calls", kMaxBudget, &budget)) step.max_calls = budget;
    } else if (k == "approval") {
      int choice = 0;
      if (d.Choice(v, what + ": approval", {"none", "required"}, &choice)) {
        step.approval_required = choice == 1;
      }
    } else if (k == "credential_ttl") {
      int64_t ttl = 0;
      if (d.Duration(v, what + ": credential_ttl", &ttl)) step.credential_ttl_seconds = ttl;
    } else if (k == "delegable") {
      d.Bool(v, what + ": delegable", &step.delegable);
    } else if (k == "description") {
      d.String(v, what + ": description", &step.description);
    }
  }
  out->push_back(std::move(step));
}

void DecodeTransitions(const YAML::Node& node, Decoder& d, const std::string& what,
                       std::vector<Transition>* out) {
  if (!node.IsSequence()) {
    d.Error(node, "mandate.type", what + ": expected a list of steps");
    return;
  }
  for (const auto& item : node) {
    Transition t;
    t.where = d.Span(item);
    if (item.IsScalar()) {
      d.String(item, what, &t.to);
    } else {
      Decoder::Members m;
      if (!d.Map(item, what, {"step", "when"}, &m)) continue;
      d.Require(item, m, what, {"step"});
      for (const auto& [k, v] : m) {
        if (k == "step") d.String(v, what + ": step", &t.to);
        if (k == "when") {
          t.where = d.Span(v);
          d.String(v, what + ": when", &t.when);
        }
      }
    }
    if (!t.to.empty()) out->push_back(std::move(t));
  }
}

void DecodeOrder(const YAML::Node& node, Decoder& d, Order* order) {
  Decoder::Members m;
  order->where = d.Span(node);
  if (!d.Map(node, "order", {"start", "next", "requires", "loops", "final"}, &m)) return;
  for (const auto& [k, v] : m) {
    if (k == "start") {
      d.StringList(v, "order: start", &order->start);
    } else if (k == "final") {
      d.StringList(v, "order: final", &order->final_steps);
    } else if (k == "next") {
      order->sequenced = true;
      Decoder::Members from;
      if (!d.NamedMap(v, "order: next", &from)) continue;
      for (const auto& [step, to] : from) {
        DecodeTransitions(to, d, "order: next: `" + step + "`", &order->next[step]);
      }
    } else if (k == "requires") {
      Decoder::Members reqs;
      if (!d.NamedMap(v, "order: requires", &reqs)) continue;
      for (const auto& [step, list] : reqs) {
        d.StringList(list, "order: requires: `" + step + "`", &order->prerequisites[step]);
      }
    } else if (k == "loops") {
      if (!v.IsSequence()) {
        d.Error(v, "mandate.type", "order: loops: expected a list");
        continue;
      }
      for (const auto& item : v) {
        Decoder::Members l;
        if (!d.Map(item, "order: loop", {"head", "max_iterations"}, &l)) continue;
        d.Require(item, l, "order: loop", {"head", "max_iterations"});
        Loop loop;
        loop.where = d.Span(item);
        for (const auto& [lk, lv] : l) {
          if (lk == "head") d.String(lv, "order: loop: head", &loop.head);
          if (lk == "max_iterations") {
            d.Unsigned(lv, "order: loop: max_iterations", kMaxBudget, &loop.max_iterations);
          }
        }
        if (!loop.head.empty()) order->loops.push_back(std::move(loop));
      }
    }
  }
}

void DecodeLimits(const YAML::Node& node, Decoder& d, Limits* limits) {
  Decoder::Members m;
  if (!d.Map(node, "limits", {"deadline", "idle_timeout", "max_calls", "step_credential_ttl"}, &m))
    return;
  for (const auto& [k, v] : m) {
    int64_t seconds = 0;
    if (k == "deadline" && d.Duration(v, "limits: deadline", &seconds)) {
      limits->deadline_seconds = seconds;
    } else if (k == "idle_timeout" && d.Duration(v, "limits: idle_timeout", &seconds)) {
      limits->idle_timeout_seconds = seconds;
    } else if (k == "step_credential_ttl" &&
               d.Duration(v, "limits: step_credential_ttl", &seconds)) {
      limits->step_credential_ttl_seconds = seconds;
    } else if (k == "max_calls") {
      uint32_t budget = 0;
      if (d.Unsigned(v, "limits: max_calls", 1'000'000, &budget)) limits->max_calls = budget;
    }
  }
}

void DecodePolicies(const YAML::Node& node, Decoder& d, std::vector<Policy>* out) {
  if (!node.IsSequence()) {
    d.Error(node, "mandate.type", "policies: expected a list");
    return;
  }
  std::set<std::string> ids;
  for (const auto& item : node) {
    Decoder::Members m;
    if (!d.Map(item, "policy", {"id", "cedar", "description"}, &m)) continue;
    d.Require(item, m, "policy", {"id", "cedar"});
    Policy policy;
    policy.where = d.Span(item);
    for (const auto& [k, v] : m) {
      if (k == "id") {
        d.String(v, "policy: id", &policy.id);
        if (!policy.id.empty() && !ids.insert(policy.id).second) {
          d.Error(v, "mandate.duplicate_policy", "policy `" + policy.id + "` defined twice");
        }
      }
      if (k == "cedar") {
        policy.cedar_where = d.Span(v);
        d.String(v, "policy: cedar", &policy.cedar);
      }
      if (k == "description") d.String(v, "policy: description", &policy.description);
    }
    out->push_back(std::move(policy));
  }
}

void DecodePlanning(const YAML::Node& node, Decoder& d, Planning* planning) {
  Decoder::Members m;
  if (!d.Map(node, "planning", {"role", "executors", "executor_mandates"}, &m)) return;
  for (const auto& [k, v] : m) {
    int choice = 0;
    if (k == "role" && d.Choice(v, "planning: role", {"agent", "planner", "executor"}, &choice)) {
      planning->role = static_cast<PlanningRole>(choice);
    }
    if (k == "executors") DecodeAgents(v, d, "planning: executors", &planning->executors);
    if (k == "executor_mandates") {
      d.StringList(v, "planning: executor_mandates", &planning->executor_mandates);
    }
  }
}

template <typename Fn>
void ForEachItem(const YAML::Node& node, Decoder& d, std::string_view what, Fn fn) {
  if (!node.IsSequence()) {
    d.Error(node, "mandate.type", std::string(what) + ": expected a list");
    return;
  }
  for (const auto& item : node) fn(item);
}

}  // namespace

void DecodeMandate(const YAML::Node& root, Decoder& d, Mandate* mandate) {
  Decoder::Members m;
  mandate->where = d.Span(root);
  if (!d.Map(root, "mandate",
             {"name", "version", "owner", "description", "agents", "systems", "inputs", "steps",
              "order", "limits", "policies", "on_deviation", "mode", "planning"},
             &m))
    return;
  d.Require(root, m, "mandate", {"name", "version", "owner", "systems", "steps"});
  for (const auto& [k, v] : m) {
    int choice = 0;
    if (k == "name") {
      d.String(v, "name", &mandate->name);
    } else if (k == "version") {
      d.String(v, "version", &mandate->version);
    } else if (k == "owner") {
      d.String(v, "owner", &mandate->owner);
    } else if (k == "description") {
      d.String(v, "description", &mandate->description);
    } else if (k == "agents") {
      DecodeAgents(v, d, "agents", &mandate->agents);
    } else if (k == "systems") {
      ForEachItem(v, d, "systems",
                  [&](const YAML::Node& n) { DecodeSystem(n, d, &mandate->systems); });
    } else if (k == "inputs") {
      DecodeFields(v, d, "inputs", &mandate->inputs);
    } else if (k == "steps") {
      ForEachItem(v, d, "steps", [&](const YAML::Node& n) { DecodeStep(n, d, &mandate->steps); });
    } else if (k == "order") {
      DecodeOrder(v, d, &mandate->order);
    } else if (k == "limits") {
      DecodeLimits(v, d, &mandate->limits);
    } else if (k == "policies") {
      DecodePolicies(v, d, &mandate->policies);
    } else if (k == "on_deviation" &&
               d.Choice(v, "on_deviation", {"revoke", "deny", "escalate"}, &choice)) {
      mandate->on_deviation = static_cast<OnDeviation>(choice);
    } else if (k == "mode" && d.Choice(v, "mode", {"enforce", "shadow"}, &choice)) {
      mandate->mode = static_cast<Mode>(choice);
    } else if (k == "planning") {
      DecodePlanning(v, d, &mandate->planning);
    }
  }
}

}  // namespace mandate::internal
