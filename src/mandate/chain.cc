#include "src/mandate/chain.h"

#include <algorithm>
#include <limits>

#include "src/mandate/internal/graph.h"
#include "src/mandate/internal/pattern.h"

namespace mandate {
namespace {

using internal::Bit;
using internal::StepMask;

static_assert(kMaxChainSteps == internal::kMaxSteps && kMaxChainLoops == internal::kMaxLoops &&
              kMaxChainLabels == internal::kMaxLabels);

constexpr uint32_t kUnlimited = std::numeric_limits<uint32_t>::max();

// `*` matches any run of characters; everything else literally. Bounded; fails closed.
bool GlobMatch(std::string_view glob, std::string_view s, int* budget) {
  if (--*budget < 0) return false;
  if (glob.empty()) return s.empty();
  if (glob[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (GlobMatch(glob.substr(1), s.substr(i), budget)) return true;
      if (*budget < 0) return false;
    }
    return false;
  }
  return !s.empty() && s[0] == glob[0] && GlobMatch(glob.substr(1), s.substr(1), budget);
}

}  // namespace

struct Chain::Compiled {
  struct StepCode {
    int system = -1;
    std::vector<std::string> actions;  // exact names and `*` globs
    std::vector<bool> action_is_glob;
    std::vector<internal::ResourcePattern> resources;  // empty: any resource
    uint32_t budget = kUnlimited;
    StepMask prerequisites = 0;
    uint32_t reads = 0;  // label mask
    int loop = -1;       // the loop this step heads
  };
  std::vector<StepCode> steps;
  bool sequenced = false;
  StepMask start = 0;
  StepMask final_steps = 0;  // 0: any step may be last
  internal::Adjacency next{};
  std::array<StepMask, kMaxChainLoops> loop_cycle{};  // steps on a cycle through the head
  std::array<uint32_t, kMaxChainLoops> loop_max{};
  uint32_t total_budget = kUnlimited;
  bool planner = false;
};

std::string_view ChainReason(ChainVerdict verdict) {
  switch (verdict) {
    case ChainVerdict::kAllowed:
      return "";
    case ChainVerdict::kOutOfOrder:
      return "chain.out_of_order";
    case ChainVerdict::kMissingPrerequisite:
      return "chain.missing_prerequisite";
    case ChainVerdict::kBudgetExhausted:
      return "chain.budget_exhausted";
    case ChainVerdict::kLoopBound:
      return "chain.loop_bound";
    case ChainVerdict::kPlannerOnly:
      return "chain.planner_may_only_delegate";
  }
  return "chain.invalid";
}

std::string_view ChainMatch::reason() const {
  if (!no_step_reason.empty()) return no_step_reason;
  if (count == 0) return "chain.unknown_action";
  return ChainReason(candidates[0].verdict);
}

Chain::Chain(std::shared_ptr<const Mandate> mandate) : mandate_(std::move(mandate)) {
  const Mandate& m = *mandate_;
  labels_ = m.Labels();
  auto c = std::make_shared<Compiled>();
  const int n = static_cast<int>(m.steps.size());
  auto label_mask = [&](const std::vector<std::string>& names) {
    uint32_t mask = 0;
    for (const auto& name : names) {
      auto it = std::lower_bound(labels_.begin(), labels_.end(), name);
      if (it != labels_.end() && *it == name) mask |= uint32_t{1} << (it - labels_.begin());
    }
    return mask;
  };
  for (const Step& step : m.steps) {
    Compiled::StepCode code;
    code.system = m.SystemIndex(step.system);
    for (const auto& action : step.actions) {
      code.actions.push_back(action);
      code.action_is_glob.push_back(action.find('*') != std::string::npos);
    }
    for (const auto& text : step.resources) {
      internal::ResourcePattern pattern;
      std::string error;
      if (internal::CompilePattern(text, m.inputs, &pattern, &error)) {
        code.resources.push_back(std::move(pattern));
      }
    }
    if (!step.resources.empty() && code.resources.empty()) {
      // Unreachable for loaded mandates; an empty pattern list would mean "any", so fail closed
      // with a pattern that matches nothing.
      code.resources.push_back({"", {{internal::PatternToken::kInput, "", -1}}, 0, true});
    }
    if (step.max_calls) code.budget = *step.max_calls;
    code.reads = label_mask(step.reads);
    c->steps.push_back(std::move(code));
  }
  c->sequenced = m.order.sequenced;
  for (const auto& [from, transitions] : m.order.next) {
    const int f = m.StepIndex(from);
    for (const Transition& t : transitions) {
      const int to = m.StepIndex(t.to);
      if (f >= 0 && to >= 0) c->next[f] |= Bit(to);
    }
  }
  const StepMask all = n >= kMaxChainSteps ? ~StepMask{0} : Bit(n) - 1;
  if (!c->sequenced) {
    for (int i = 0; i < n; ++i) c->next[i] = all;
    c->start = all;
  } else if (!m.order.start.empty()) {
    for (const auto& id : m.order.start) {
      if (int s = m.StepIndex(id); s >= 0) c->start |= Bit(s);
    }
  } else {
    StepMask targets = 0;
    for (int i = 0; i < n; ++i) targets |= c->next[i];
    c->start = all & ~targets;
  }
  for (const auto& id : m.order.final_steps) {
    if (int s = m.StepIndex(id); s >= 0) c->final_steps |= Bit(s);
  }
  for (const auto& [step, list] : m.order.prerequisites) {
    const int s = m.StepIndex(step);
    for (const auto& id : list) {
      if (int r = m.StepIndex(id); s >= 0 && r >= 0) c->steps[s].prerequisites |= Bit(r);
    }
  }
  const internal::Adjacency reach = internal::Closure(c->next, n);
  for (size_t l = 0; l < m.order.loops.size() && l < static_cast<size_t>(kMaxChainLoops); ++l) {
    const int h = m.StepIndex(m.order.loops[l].head);
    if (h < 0) continue;
    c->steps[h].loop = static_cast<int>(l);
    c->loop_max[l] = m.order.loops[l].max_iterations;
    for (int u = 0; u < n; ++u) {
      if ((reach[h] & Bit(u)) && (reach[u] & Bit(h))) c->loop_cycle[l] |= Bit(u);
    }
  }
  if (m.limits.max_calls) c->total_budget = *m.limits.max_calls;
  c->planner = m.planning.role == PlanningRole::kPlanner;
  compiled_ = std::move(c);
}

ChainVerdict Chain::Check(const TaskProgress& p, int step, TaskProgress* after) const {
  const Compiled& c = *compiled_;
  const Compiled::StepCode& code = c.steps[step];
  if (c.planner) return ChainVerdict::kPlannerOnly;
  if (p.calls >= c.total_budget) return ChainVerdict::kBudgetExhausted;
  const StepMask allowed_next = p.last_step < 0 ? c.start : c.next[p.last_step];
  if (!(allowed_next & Bit(step))) return ChainVerdict::kOutOfOrder;
  if (code.prerequisites & ~p.steps_done) return ChainVerdict::kMissingPrerequisite;
  if (p.counts[step] >= code.budget) return ChainVerdict::kBudgetExhausted;
  uint16_t iteration = 0;
  if (code.loop >= 0) {
    const bool back_edge = p.last_step >= 0 && (c.loop_cycle[code.loop] & Bit(p.last_step));
    iteration = back_edge ? p.loop_iterations[code.loop] + 1 : 1;
    if (iteration > c.loop_max[code.loop]) return ChainVerdict::kLoopBound;
  }
  if (after) {
    *after = p;
    after->calls = p.calls + 1;
    after->steps_done |= Bit(step);
    after->labels_read |= code.reads;
    after->last_step = static_cast<int8_t>(step);
    if (after->counts[step] != std::numeric_limits<uint16_t>::max()) ++after->counts[step];
    if (code.loop >= 0) after->loop_iterations[code.loop] = iteration;
  }
  return ChainVerdict::kAllowed;
}

ChainMatch Chain::Match(const TaskProgress& progress, const ChainCall& call,
                        const TaskInputs& inputs) const {
  const Compiled& c = *compiled_;
  ChainMatch match;
  const int system = mandate_->SystemIndex(call.system);
  if (system < 0) {
    match.no_step_reason = "chain.unknown_system";
    return match;
  }
  bool action_known = false;
  std::array<int, ChainMatch::kMaxCandidates> wildcards{};
  for (size_t i = 0; i < c.steps.size() && match.count < ChainMatch::kMaxCandidates; ++i) {
    const Compiled::StepCode& code = c.steps[i];
    if (code.system != system) continue;
    bool action_ok = false;
    for (size_t a = 0; a < code.actions.size() && !action_ok; ++a) {
      int budget = 4096;
      action_ok = code.action_is_glob[a] ? GlobMatch(code.actions[a], call.action, &budget)
                                         : code.actions[a] == call.action;
    }
    if (!action_ok) continue;
    action_known = true;
    int specificity_cost = code.resources.empty() ? 1000 : -1;
    for (const auto& pattern : code.resources) {
      if (internal::MatchPattern(pattern, call.resource, inputs.values)) {
        specificity_cost = pattern.wildcards;
        break;
      }
    }
    if (specificity_cost < 0) continue;
    CandidateStep& candidate = match.candidates[match.count];
    candidate.step = static_cast<uint8_t>(i);
    candidate.verdict = Check(progress, static_cast<int>(i), &candidate.after);
    wildcards[match.count] = specificity_cost;
    ++match.count;
  }
  if (match.count == 0) {
    match.no_step_reason = action_known ? "chain.resource_mismatch" : "chain.unknown_action";
    return match;
  }
  // Allowed first, then the most specific resource pattern, then declaration order (stable).
  for (int i = 1; i < match.count; ++i) {
    for (int j = i; j > 0; --j) {
      const auto& a = match.candidates[j - 1];
      const auto& b = match.candidates[j];
      const bool a_ok = a.verdict == ChainVerdict::kAllowed,
                 b_ok = b.verdict == ChainVerdict::kAllowed;
      const bool swap = (b_ok && !a_ok) || (a_ok == b_ok && wildcards[j] < wildcards[j - 1]);
      if (!swap) break;
      std::swap(match.candidates[j - 1], match.candidates[j]);
      std::swap(wildcards[j - 1], wildcards[j]);
    }
  }
  return match;
}

bool Chain::MayComplete(const TaskProgress& progress) const {
  const StepMask final_steps = compiled_->final_steps;
  if (final_steps == 0) return true;
  return progress.last_step >= 0 && (final_steps & Bit(progress.last_step));
}

std::vector<std::string> Chain::StepNames(uint32_t mask) const {
  std::vector<std::string> names;
  for (size_t i = 0; i < mandate_->steps.size(); ++i) {
    if (mask & Bit(static_cast<int>(i))) names.push_back(mandate_->steps[i].id);
  }
  return names;
}

std::vector<std::string> Chain::LabelNames(uint32_t mask) const {
  std::vector<std::string> names;
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (mask & (uint32_t{1} << i)) names.push_back(labels_[i]);
  }
  return names;
}

std::string Chain::Describe(const ChainMatch& match, const TaskProgress& progress,
                            const ChainCall& call) const {
  const std::string what = "call `" + std::string(call.action) + "` on `" +
                           std::string(call.system) + "` resource `" + std::string(call.resource) +
                           "`";
  const Mandate& m = *mandate_;
  if (match.no_step_reason == "chain.unknown_system") return what + ": unknown system";
  if (match.no_step_reason == "chain.unknown_action") return what + ": no step allows this action";
  if (match.no_step_reason == "chain.resource_mismatch") {
    return what + ": no step allows this resource";
  }
  if (match.allowed())
    return what + ": allowed as step `" + m.steps[match.candidates[0].step].id + "`";
  const CandidateStep& first = match.candidates[0];
  const Step& step = m.steps[first.step];
  const std::string last =
      progress.last_step < 0 ? "the start" : "step `" + m.steps[progress.last_step].id + "`";
  switch (first.verdict) {
    case ChainVerdict::kOutOfOrder:
      return what + ": step `" + step.id + "` may not follow " + last;
    case ChainVerdict::kMissingPrerequisite: {
      std::string missing;
      for (const auto& name :
           StepNames(compiled_->steps[first.step].prerequisites & ~progress.steps_done)) {
        missing += (missing.empty() ? "`" : ", `") + name + "`";
      }
      return what + ": step `" + step.id + "` requires " + missing + " first";
    }
    case ChainVerdict::kBudgetExhausted:
      if (progress.calls >= compiled_->total_budget) {
        return what + ": the task's budget of " + std::to_string(compiled_->total_budget) +
               " calls is used up";
      }
      return what + ": step `" + step.id + "` budget of " +
             std::to_string(compiled_->steps[first.step].budget) + " calls is used up";
    case ChainVerdict::kLoopBound:
      return what + ": loop at step `" + step.id + "` ran its " +
             std::to_string(compiled_->loop_max[compiled_->steps[first.step].loop]) + " iterations";
    case ChainVerdict::kPlannerOnly:
      return what + ": mandate `" + m.name + "` is a planner: it may only delegate steps";
    case ChainVerdict::kAllowed:
      break;
  }
  return what;
}

}  // namespace mandate
