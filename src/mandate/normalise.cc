// The normalised JSON form of a mandate and its digest.

#include <boost/json.hpp>

#include "src/json/json.h"
#include "src/mandate/mandate.h"
#include "src/util/hex.h"
#include "src/util/sha256.h"

namespace mandate {
namespace {

namespace bj = boost::json;

bj::object Fields(const std::vector<TypedField>& fields) {
  bj::object o;
  for (const TypedField& f : fields) {
    bj::object spec{{"type", ValueTypeName(f.type)}, {"required", f.required}};
    if (!f.description.empty()) spec["description"] = f.description;
    o[f.name] = std::move(spec);
  }
  return o;
}

bj::array Agents(const std::vector<AgentMatcher>& agents) {
  bj::array a;
  for (const AgentMatcher& m : agents) {
    if (!m.spiffe_id.empty()) a.push_back(bj::object{{"spiffe_id", m.spiffe_id}});
    if (!m.spiffe_prefix.empty()) a.push_back(bj::object{{"spiffe_prefix", m.spiffe_prefix}});
    if (!m.oidc_issuer.empty()) {
      a.push_back(
          bj::object{{"oidc", bj::object{{"issuer", m.oidc_issuer}, {"subject", m.oidc_subject}}}});
    }
  }
  return a;
}

constexpr const char* kInject[] = {"bearer", "header", "basic"};
constexpr const char* kDeviation[] = {"revoke", "deny", "escalate"};
constexpr const char* kRole[] = {"agent", "planner", "executor"};

bj::object StepJson(const mandate::Step& s) {
  bj::object o{{"id", s.id},
               {"system", s.system},
               {"actions", json::StringArray(s.actions)},
               {"resources", json::StringArray(s.resources)},
               {"args", Fields(s.args)},
               {"reads", json::StringArray(s.reads)},
               {"writes", json::StringArray(s.writes)},
               {"guard", s.guard},
               {"approval", s.approval_required ? "required" : "none"},
               {"delegable", s.delegable}};
  if (s.max_calls) o["max_calls"] = *s.max_calls;
  if (s.credential_ttl_seconds) o["credential_ttl"] = *s.credential_ttl_seconds;
  if (!s.description.empty()) o["description"] = s.description;
  return o;
}

bj::object OrderJson(const mandate::Order& order) {
  bj::object o;
  if (order.sequenced) {
    o["start"] = json::StringArray(order.start);
    bj::object next;
    for (const auto& [from, transitions] : order.next) {
      bj::array a;
      for (const Transition& t : transitions) {
        bj::object item{{"step", t.to}};
        if (!t.when.empty()) item["when"] = t.when;
        a.push_back(std::move(item));
      }
      next[from] = std::move(a);
    }
    o["next"] = std::move(next);
  }
  bj::object prerequisites;
  for (const auto& [step, list] : order.prerequisites)
    prerequisites[step] = json::StringArray(list);
  o["requires"] = std::move(prerequisites);
  bj::array loops;
  for (const Loop& l : order.loops) {
    loops.push_back(bj::object{{"head", l.head}, {"max_iterations", l.max_iterations}});
  }
  o["loops"] = std::move(loops);
  o["final"] = json::StringArray(order.final_steps);
  return o;
}

}  // namespace

std::string ToNormalisedJson(const Mandate& m) {
  bj::object root;
  root["name"] = m.name;
  root["version"] = m.version;
  root["owner"] = m.owner;
  root["description"] = m.description;
  root["agents"] = Agents(m.agents);
  bj::array systems;
  for (const System& s : m.systems) {
    bj::object o{{"name", s.name},
                 {"kind", s.kind == SystemKind::kHttp ? "http" : "mcp"},
                 {"audience", s.audience},
                 {"upstream", s.upstream}};
    if (s.credential) {
      bj::object c{{"secret", s.credential->secret},
                   {"inject", kInject[static_cast<int>(s.credential->inject)]}};
      if (!s.credential->header.empty()) c["header"] = s.credential->header;
      o["credential"] = std::move(c);
    }
    if (!s.description.empty()) o["description"] = s.description;
    systems.push_back(std::move(o));
  }
  root["systems"] = std::move(systems);
  root["inputs"] = Fields(m.inputs);
  bj::array steps;
  for (const mandate::Step& s : m.steps) steps.push_back(StepJson(s));
  root["steps"] = std::move(steps);
  root["order"] = OrderJson(m.order);
  bj::object limits{{"step_credential_ttl", m.limits.step_credential_ttl_seconds}};
  if (m.limits.deadline_seconds) limits["deadline"] = *m.limits.deadline_seconds;
  if (m.limits.idle_timeout_seconds) limits["idle_timeout"] = *m.limits.idle_timeout_seconds;
  if (m.limits.max_calls) limits["max_calls"] = *m.limits.max_calls;
  root["limits"] = std::move(limits);
  bj::array policies;
  for (const Policy& p : m.policies) {
    bj::object o{{"id", p.id}, {"cedar", p.cedar}};
    if (!p.description.empty()) o["description"] = p.description;
    policies.push_back(std::move(o));
  }
  root["policies"] = std::move(policies);
  root["on_deviation"] = kDeviation[static_cast<int>(m.on_deviation)];
  root["mode"] = m.mode == Mode::kEnforce ? "enforce" : "shadow";
  root["planning"] =
      bj::object{{"role", kRole[static_cast<int>(m.planning.role)]},
                 {"executors", Agents(m.planning.executors)},
                 {"executor_mandates", json::StringArray(m.planning.executor_mandates)}};
  return bj::serialize(root);
}

namespace internal {

std::string Sha256Hex(std::string_view data) {
  const Sha256Digest digest = Sha256(data);
  std::string out;
  AppendHex(digest.data(), digest.size(), out);
  return out;
}

}  // namespace internal
}  // namespace mandate
