#include "src/mandate/attenuation.h"

#include <algorithm>

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
  for (const std::string& label : child.labels) {
    if (!Contains(parent.labels, label)) {
      return Denied("delegation.new_label", "data label `" + label + "` is not held by the parent");
    }
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

}  // namespace mandate
