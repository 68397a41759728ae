#include "src/mandate/attenuation.h"

#include <algorithm>
#include <boost/json.hpp>

#include "src/json/json.h"
#include "src/mandate/internal/pattern.h"

namespace mandate {
namespace {

Status Denied(std::string reason, std::string message) {
  return PermissionDenied(std::move(reason), "delegation: " + message);
}

bool Compile(const std::string& text, internal::ResourcePattern* out) {
  std::string error;
  return internal::CompilePattern(text, {}, out, &error) && !out->has_inputs;
}

// An action glob as a pattern whose `*` may span anything.
internal::ResourcePattern ActionPattern(const std::string& action) {
  internal::ResourcePattern p;
  p.source = action;
  std::string literal;
  for (char c : action) {
    if (c != '*') {
      literal += c;
      continue;
    }
    if (!literal.empty()) p.tokens.push_back({internal::PatternToken::kLiteral, literal, -1});
    literal.clear();
    p.tokens.push_back({internal::PatternToken::kGlobStar, "", -1});
  }
  if (!literal.empty()) p.tokens.push_back({internal::PatternToken::kLiteral, literal, -1});
  return p;
}

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

Status CheckStep(const GrantedStep& parent, const GrantedStep& child) {
  const std::string what = "step `" + child.id + "`";
  if (!parent.delegable) return Denied("delegation.not_delegable", what + " is not delegable");
  if (child.system != parent.system) {
    return Denied("delegation.extra_system", what + ": system `" + child.system +
                                                 "` is not the parent's `" + parent.system + "`");
  }
  for (const std::string& action : child.actions) {
    const bool covered =
        std::any_of(parent.actions.begin(), parent.actions.end(), [&](const auto& p) {
          return internal::PatternContains(ActionPattern(p), ActionPattern(action));
        });
    if (!covered)
      return Denied("delegation.extra_action", what + ": action `" + action + "` is not held");
  }
  if (!parent.resources.empty()) {
    if (child.resources.empty()) {
      return Denied("delegation.wider_resource",
                    what + ": any resource is wider than the parent's");
    }
    std::vector<internal::ResourcePattern> held;
    for (const std::string& text : parent.resources) {
      internal::ResourcePattern pattern;
      if (Compile(text, &pattern)) held.push_back(std::move(pattern));  // invalid: holds nothing
    }
    for (const std::string& text : child.resources) {
      internal::ResourcePattern asked;
      if (!Compile(text, &asked)) {
        return Denied("delegation.invalid_grant", what + ": resource `" + text + "` is invalid");
      }
      if (!std::any_of(held.begin(), held.end(),
                       [&](const auto& p) { return internal::PatternContains(p, asked); })) {
        return Denied("delegation.wider_resource",
                      what + ": resource `" + text + "` is not within the parent's");
      }
    }
  }
  if (parent.calls && (!child.calls || *child.calls > *parent.calls)) {
    return Denied("delegation.larger_budget",
                  what + ": asks for " +
                      (child.calls ? std::to_string(*child.calls) : "unlimited") +
                      " calls, the parent has " + std::to_string(*parent.calls) + " left");
  }
  return {};
}

}  // namespace

Status CheckAttenuation(const Grant& parent, const Grant& child) {
  if (!parent.may_delegate)
    return Denied("delegation.not_delegable", "the parent task may not delegate");
  if (parent.deadline_micros != 0 &&
      (child.deadline_micros == 0 || child.deadline_micros > parent.deadline_micros)) {
    return Denied("delegation.later_deadline", "the child's deadline is later than the parent's");
  }
  if (parent.total_calls && (!child.total_calls || *child.total_calls > *parent.total_calls)) {
    return Denied("delegation.larger_budget",
                  "the child asks for " +
                      (child.total_calls ? std::to_string(*child.total_calls) : "unlimited") +
                      " calls in total, the parent has " + std::to_string(*parent.total_calls) +
                      " left");
  }
  for (const GrantedStep& step : child.steps) {
    auto held = std::find_if(parent.steps.begin(), parent.steps.end(),
                             [&](const GrantedStep& p) { return p.id == step.id; });
    if (held == parent.steps.end()) {
      const bool system_held =
          std::any_of(parent.steps.begin(), parent.steps.end(),
                      [&](const GrantedStep& p) { return p.system == step.system; });
      if (!system_held) {
        return Denied("delegation.extra_system",
                      "step `" + step.id + "`: system `" + step.system + "` is not held");
      }
      return Denied("delegation.extra_step", "step `" + step.id + "` is not held by the parent");
    }
    if (Status status = CheckStep(*held, step); !status.ok()) return status;
  }
  // Labels last: a step the parent does not hold explains itself better than its labels.
  for (const std::string& label : child.labels) {
    if (!Contains(parent.labels, label)) {
      return Denied("delegation.new_label", "data label `" + label + "` is not held by the parent");
    }
  }
  return {};
}

Grant CurrentGrant(const Chain& chain, const TaskProgress& progress, const TaskInputs& inputs,
                   int64_t deadline_micros) {
  const Mandate& m = chain.mandate();
  Grant grant;
  grant.labels = chain.labels();
  grant.deadline_micros = deadline_micros;
  grant.may_delegate = m.planning.role != PlanningRole::kExecutor;
  if (m.limits.max_calls) {
    grant.total_calls =
        *m.limits.max_calls > progress.calls ? *m.limits.max_calls - progress.calls : 0;
  }
  for (size_t i = 0; i < m.steps.size(); ++i) {
    const Step& step = m.steps[i];
    GrantedStep held{step.id, step.system, step.actions, {}, {}, step.delegable};
    if (step.max_calls) {
      held.calls = *step.max_calls > progress.counts[i] ? *step.max_calls - progress.counts[i] : 0;
    }
    for (const std::string& text : step.resources) {
      internal::ResourcePattern pattern;
      std::string error;
      if (!internal::CompilePattern(text, m.inputs, &pattern, &error)) continue;
      for (const auto& resolved : internal::ResolvePattern(pattern, inputs.values)) {
        std::string rendered;
        bool expressible = true;
        for (const auto& token : resolved.tokens) {
          if (token.kind == internal::PatternToken::kLiteral) {
            expressible = expressible && token.text.find_first_of("*{}") == std::string::npos;
            rendered += token.text;
          } else {
            rendered += token.kind == internal::PatternToken::kStar ? "*" : "**";
          }
        }
        if (expressible) held.resources.push_back(std::move(rendered));
      }
    }
    if (!step.resources.empty() && held.resources.empty()) {
      held.resources.push_back("\x01");  // nothing expressible is held: matches no child request
    }
    grant.steps.push_back(std::move(held));
  }
  return grant;
}

Grant RemainingGrant(const Grant& grant, const Chain& chain, const TaskProgress& progress) {
  Grant now = grant;
  if (now.total_calls) {
    now.total_calls = *now.total_calls > progress.calls ? *now.total_calls - progress.calls : 0;
  }
  const Mandate& m = chain.mandate();
  for (GrantedStep& step : now.steps) {
    const int index = m.StepIndex(step.id);
    if (!step.calls || index < 0) continue;
    const uint32_t used = progress.counts[index];
    step.calls = *step.calls > used ? *step.calls - used : 0;
  }
  return now;
}

Status CheckCallWithinGrant(const Grant& grant, const Chain& chain, int step,
                            std::string_view action, std::string_view resource,
                            const TaskProgress& after) {
  const Step& s = chain.mandate().steps[step];
  auto held = std::find_if(grant.steps.begin(), grant.steps.end(),
                           [&](const GrantedStep& g) { return g.id == s.id; });
  if (held == grant.steps.end()) {
    return Denied("delegation.step_not_granted", "step `" + s.id + "` was not handed to this task");
  }
  const bool action_held = std::any_of(held->actions.begin(), held->actions.end(), [&](auto& a) {
    return internal::MatchPattern(ActionPattern(a), action, {});
  });
  if (!action_held) {
    return Denied("delegation.action_not_granted",
                  "step `" + s.id + "`: action `" + std::string(action) + "` was not handed on");
  }
  if (!held->resources.empty()) {
    const bool resource_held =
        std::any_of(held->resources.begin(), held->resources.end(), [&](const std::string& r) {
          internal::ResourcePattern pattern;
          return Compile(r, &pattern) && internal::MatchPattern(pattern, resource, {});
        });
    if (!resource_held) {
      return Denied("delegation.resource_not_granted", "step `" + s.id + "`: resource `" +
                                                           std::string(resource) +
                                                           "` is outside what was handed on");
    }
  }
  for (const auto* labels : {&s.reads, &s.writes}) {
    for (const std::string& label : *labels) {
      if (!Contains(grant.labels, label)) {
        return Denied("delegation.label_not_granted",
                      "step `" + s.id + "` touches data label `" + label + "`, not handed on");
      }
    }
  }
  if ((held->calls && after.counts[step] > *held->calls) ||
      (grant.total_calls && after.calls > *grant.total_calls)) {
    return Denied("delegation.budget_exhausted",
                  "step `" + s.id + "`: the calls handed to this task are used up");
  }
  return {};
}

namespace {

bool ReadStrings(const boost::json::object& o, std::string_view key,
                 std::vector<std::string>* out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_array() || v->as_array().size() > 256) return false;
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) return false;
    out->emplace_back(e.as_string());
  }
  return true;
}

bool ReadCount(const boost::json::object& o, std::string_view key, std::optional<uint32_t>* out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v->as_int64());
  return true;
}

}  // namespace

boost::json::value GrantToJson(const Grant& grant) {
  boost::json::array steps;
  for (const GrantedStep& s : grant.steps) {
    boost::json::object step{{"id", s.id},
                             {"system", s.system},
                             {"actions", json::StringArray(s.actions)},
                             {"resources", json::StringArray(s.resources)},
                             {"delegable", s.delegable}};
    // As int64: a uint32_t would become a JSON uint64 that GrantFromJson does not read.
    step["calls"] = s.calls ? boost::json::value(int64_t{*s.calls}) : boost::json::value(nullptr);
    steps.push_back(std::move(step));
  }
  boost::json::object o{{"steps", std::move(steps)},
                        {"labels", json::StringArray(grant.labels)},
                        {"deadline_us", grant.deadline_micros},
                        {"may_delegate", grant.may_delegate}};
  o["total_calls"] = grant.total_calls ? boost::json::value(int64_t{*grant.total_calls})
                                       : boost::json::value(nullptr);
  return o;
}

Result<Grant> GrantFromJson(const boost::json::value& json) {
  auto invalid = [] {
    return Err(InvalidArgument("delegation.invalid_grant", "delegation: malformed grant"));
  };
  const auto* o = json.if_object();
  if (o == nullptr) return invalid();
  Grant g;
  const auto* steps = o->if_contains("steps");
  const auto* deadline = o->if_contains("deadline_us");
  const auto* may = o->if_contains("may_delegate");
  if (steps == nullptr || !steps->is_array() || steps->as_array().size() > kMaxChainSteps ||
      deadline == nullptr || !deadline->is_int64() || may == nullptr || !may->is_bool() ||
      !ReadStrings(*o, "labels", &g.labels) || !ReadCount(*o, "total_calls", &g.total_calls)) {
    return invalid();
  }
  g.deadline_micros = deadline->as_int64();
  g.may_delegate = may->as_bool();
  for (const auto& v : steps->as_array()) {
    const auto* s = v.if_object();
    if (s == nullptr) return invalid();
    GrantedStep step;
    const auto* id = s->if_contains("id");
    const auto* system = s->if_contains("system");
    const auto* delegable = s->if_contains("delegable");
    if (id == nullptr || !id->is_string() || system == nullptr || !system->is_string() ||
        delegable == nullptr || !delegable->is_bool() ||
        !ReadStrings(*s, "actions", &step.actions) ||
        !ReadStrings(*s, "resources", &step.resources) || !ReadCount(*s, "calls", &step.calls)) {
      return invalid();
    }
    step.id = std::string(id->as_string());
    step.system = std::string(system->as_string());
    step.delegable = delegable->as_bool();
    g.steps.push_back(std::move(step));
  }
  return g;
}

}  // namespace mandate
