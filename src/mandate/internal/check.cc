#include "src/mandate/internal/check.h"

#include <algorithm>
#include <set>

#include "src/mandate/internal/graph.h"
#include "src/mandate/internal/guard_refs.h"
#include "src/mandate/internal/pattern.h"

namespace mandate::internal {
namespace {

const std::set<std::string_view> kTaskAttributes = {"steps_done", "last_step", "calls",
                                                    "labels_read", "count"};
const std::set<std::string_view> kCallAttributes = {"system", "action", "resource"};
const std::set<std::string_view> kStepAttributes = {"id", "reads", "writes"};

bool HasField(const std::vector<TypedField>& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(), [&](const auto& f) { return f.name == name; });
}

bool ValidMandateName(std::string_view s) {
  if (s.empty() || s.size() > 128 ||
      !(std::islower(static_cast<unsigned char>(s[0])) ||
        std::isdigit(static_cast<unsigned char>(s[0]))))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool ValidVersion(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+';
  });
}

class Checker {
 public:
  Checker(const Mandate& m, std::string_view source, Decoder& d) : m_(m), source_(source), d_(d) {}

  void Run() {
    Metadata();
    Systems();
    Steps();
    if (!step_ok_) return;  // order checks need a consistent step table
    Order();
    Planning();
    if (!m_.limits.deadline_seconds) {
      d_.Warn(m_.where, "limits.missing_deadline", "mandate `" + m_.name + "` has no task deadline",
              "add `limits: {deadline: 15m}` so a stuck task is revoked by itself");
    }
  }

 private:
  void Metadata() {
    if (!m_.name.empty() && !ValidMandateName(m_.name)) {
      d_.Error(m_.where, "mandate.invalid_name",
               "name: `" + m_.name + "` is not a valid mandate name",
               "lowercase letters, digits, `-`, `_` and `.`");
    }
    if (!m_.version.empty() && !ValidVersion(m_.version)) {
      d_.Error(m_.where, "mandate.invalid_version",
               "version: `" + m_.version + "` is not a valid version");
    }
    if (m_.agents.empty() && m_.planning.role != PlanningRole::kExecutor) {
      d_.Warn(m_.where, "mandate.no_agents",
              "mandate `" + m_.name + "` names no agents: no one can run it");
    }
  }

  void Systems() {
    std::set<std::string> names;
    for (const System& s : m_.systems) {
      if (!s.name.empty() && !names.insert(s.name).second) {
        d_.Error(s.where, "mandate.duplicate_system", "system `" + s.name + "` defined twice");
      }
    }
  }

  void Guard(const std::string& guard, const SourceSpan& where, const Step& step,
             const std::string& what) {
    if (guard.empty()) return;
    for (const ContextRef& ref : FindContextRefs(guard)) {
      const SourceSpan at = SpanInScalar(where, source_, guard, ref.offset);
      const std::string path =
          "`context." + ref.part + (ref.name.empty() ? "" : "." + ref.name) + "`";
      if (ref.part == "args") {
        if (!ref.name.empty() && !HasField(step.args, ref.name)) {
          d_.Error(at, "guard.unknown_argument",
                   what + ": unknown argument `" + ref.name + "` in " + path,
                   "declare it under the step's `args` with a type");
        }
      } else if (ref.part == "inputs") {
        if (!ref.name.empty() && !HasField(m_.inputs, ref.name)) {
          d_.Error(at, "guard.unknown_input",
                   what + ": unknown task input `" + ref.name + "` in " + path,
                   "declare it under `inputs` with a type");
        }
      } else if (ref.part == "task") {
        if (ref.name.rfind("count.", 0) == 0) {
          if (m_.StepIndex(ref.name.substr(6)) < 0) {
            d_.Error(at, "guard.unknown_step",
                     what + ": unknown step `" + ref.name.substr(6) + "` in " + path);
          }
        } else if (!ref.name.empty() && !kTaskAttributes.count(ref.name)) {
          d_.Error(at, "guard.unknown_task_attribute",
                   what + ": unknown task attribute `" + ref.name + "` in " + path,
                   "task state has steps_done, last_step, calls, labels_read and count");
        }
      } else if (ref.part == "call" || ref.part == "step") {
        const auto& known = ref.part == "call" ? kCallAttributes : kStepAttributes;
        if (!ref.name.empty() && !known.count(ref.name)) {
          d_.Error(at, "guard.unknown_attribute", what + ": unknown attribute " + path);
        }
      } else if (ref.part != "now") {
        d_.Error(at, "guard.unknown_context",
                 what + ": unknown context attribute `" + ref.part + "`",
                 "guards see context.args, inputs, task, call, step and now");
      }
    }
  }

  void Steps() {
    if (m_.steps.size() > static_cast<size_t>(kMaxSteps)) {
      d_.Error(m_.steps[kMaxSteps].where, "mandate.too_many_steps",
               "a mandate has at most " + std::to_string(kMaxSteps) + " steps",
               "split the task into delegated sub-tasks");
      step_ok_ = false;
    }
    if (m_.Labels().size() > static_cast<size_t>(kMaxLabels)) {
      d_.Error(m_.where, "mandate.too_many_labels",
               "a mandate uses at most " + std::to_string(kMaxLabels) + " data labels");
    }
    std::set<std::string> ids;
    for (const Step& step : m_.steps) {
      const std::string what = "step `" + step.id + "`";
      if (step.id.empty()) {
        step_ok_ = false;
        continue;
      }
      if (!ids.insert(step.id).second) {
        d_.Error(step.where, "mandate.duplicate_step", "step `" + step.id + "` defined twice");
        step_ok_ = false;
      }
      if (!step.system.empty() && m_.SystemIndex(step.system) < 0) {
        d_.Error(step.where, "mandate.unknown_system",
                 what + ": unknown system `" + step.system + "`");
      }
      if (step.actions.empty()) {
        d_.Error(step.where, "mandate.missing_key",
                 what + ": `actions` must name at least one action");
      }
      if (step.resources.empty()) {
        d_.Warn(step.where, "step.wildcard_resource",
                what + ": no `resources`: any resource of the system matches",
                "name the resources, e.g. `invoices/{invoice_id}`");
      }
      for (const std::string& text : step.resources) {
        ResourcePattern pattern;
        std::string error;
        if (!CompilePattern(text, m_.inputs, &pattern, &error)) {
          d_.Error(step.where, "mandate.invalid_resource",
                   what + ": resource `" + text + "`: " + error);
        } else if (pattern.wildcards > 0) {
          d_.Warn(step.where, "step.wildcard_resource", what + ": wildcard resource `" + text + "`",
                  "bind it to a task input, e.g. `folders/{folder}/*`");
        }
      }
      Guard(step.guard, step.guard_where, step, what + ": guard");
    }
  }

  int StepRef(const std::string& id, const SourceSpan& where, const std::string& what) {
    const int index = m_.StepIndex(id);
    if (index < 0) {
      d_.Error(where, "order.unknown_step", what + ": unknown step `" + id + "`");
    }
    return index;
  }

  void Order() {
    const mandate::Order& o = m_.order;
    const int n = static_cast<int>(m_.steps.size());
    Adjacency next{};
    for (const auto& [from, transitions] : o.next) {
      const int f = StepRef(from, o.where, "order: next");
      for (const Transition& t : transitions) {
        const int to = StepRef(t.to, t.where, "order: next: `" + from + "`");
        if (f < 0 || to < 0) continue;
        next[f] |= Bit(to);
        Guard(t.when, t.where, m_.steps[to], "order: next: `" + from + "` -> `" + t.to + "`: when");
      }
    }
    StepMask start = 0;
    for (const std::string& id : o.start) {
      if (int s = StepRef(id, o.where, "order: start"); s >= 0) start |= Bit(s);
    }
    for (const std::string& id : o.final_steps) StepRef(id, o.where, "order: final");
    Adjacency prerequisites{};
    for (const auto& [step, list] : o.prerequisites) {
      const int s = StepRef(step, o.where, "order: requires");
      for (const std::string& id : list) {
        const int r = StepRef(id, o.where, "order: requires: `" + step + "`");
        if (s >= 0 && r >= 0) prerequisites[s] |= Bit(r);
      }
    }
    const StepMask all = n == kMaxSteps ? ~StepMask{0} : Bit(n) - 1;
    if (!o.sequenced) {
      for (int i = 0; i < n; ++i) next[i] = all;
      if (!o.start.empty()) {
        d_.Error(o.where, "order.start_without_next", "order: `start` needs `next` transitions");
      }
      start = all;
    } else if (o.start.empty()) {
      StepMask targets = 0;
      for (int i = 0; i < n; ++i) targets |= next[i];
      start = all & ~targets;
      if (start == 0) {
        d_.Error(o.where, "order.no_start",
                 "order: every step follows another one: say which come first",
                 "add `start: [step]`");
      }
    }
    // Loops.
    const Adjacency reach = Closure(next, n);
    if (o.loops.size() > static_cast<size_t>(kMaxLoops)) {
      d_.Error(o.loops[kMaxLoops].where, "order.too_many_loops",
               "order: at most " + std::to_string(kMaxLoops) + " loops");
    }
    std::set<std::string> heads;
    Adjacency bounded = next;
    for (const Loop& loop : o.loops) {
      const int h = StepRef(loop.head, loop.where, "order: loop");
      if (h < 0) continue;
      if (!heads.insert(loop.head).second) {
        d_.Error(loop.where, "order.duplicate_loop",
                 "order: two loops with head `" + loop.head + "`");
      }
      if (!(reach[h] & Bit(h))) {
        d_.Error(loop.where, "order.loop_without_cycle",
                 "order: loop head `" + loop.head + "` is on no cycle of `next`");
        continue;
      }
      if (loop.max_iterations == 0) {
        d_.Error(loop.where, "order.invalid_loop",
                 "order: loop `" + loop.head + "`: max_iterations must be at least 1");
      }
      for (int u = 0; u < n; ++u) {
        if ((reach[h] & Bit(u)) && (reach[u] & Bit(h))) bounded[u] &= ~Bit(h);  // back edges
      }
    }
    // Unreachable steps: by transitions from the start, and by satisfiable prerequisites.
    StepMask satisfiable = 0;
    for (bool changed = true; changed;) {
      changed = false;
      for (int i = 0; i < n; ++i) {
        if (!(satisfiable & Bit(i)) && (prerequisites[i] & ~satisfiable) == 0) {
          satisfiable |= Bit(i);
          changed = true;
        }
      }
    }
    const StepMask reachable = ReachableFrom(next, n, start) & satisfiable;
    for (int i = 0; i < n; ++i) {
      if (!(reachable & Bit(i))) {
        d_.Warn(m_.steps[i].where, "order.unreachable_step",
                "step `" + m_.steps[i].id + "` can never be called",
                (satisfiable & Bit(i)) ? "no transition leads to it from a start step"
                                       : "its prerequisites can never all be done");
      }
    }
    // Unbounded loops: a cycle left after removing budgeted steps and bounded back edges.
    if (m_.limits.max_calls) return;
    for (int i = 0; i < n; ++i) {
      if (m_.steps[i].max_calls) {
        bounded[i] = 0;
        for (int u = 0; u < n; ++u) bounded[u] &= ~Bit(i);
      }
    }
    const Adjacency left = Closure(bounded, n);
    for (int i = 0; i < n; ++i) {
      if ((left[i] & Bit(i)) && (reachable & Bit(i))) {
        d_.Warn(
            o.sequenced ? o.where : m_.steps[i].where, "order.unbounded_loop",
            "step `" + m_.steps[i].id + "` can repeat without bound",
            "give it `max_calls`, declare a loop with `max_iterations`, or set `limits.max_calls`");
        break;
      }
    }
  }

  void Planning() {
    if (m_.planning.role != PlanningRole::kPlanner) {
      if (!m_.planning.executors.empty() && m_.planning.role == PlanningRole::kExecutor) {
        d_.Error(m_.where, "planning.executor_delegates",
                 "planning: an executor may not name executors");
      }
      return;
    }
    for (const Step& step : m_.steps) {
      if (!step.delegable) {
        d_.Error(step.where, "planning.planner_step_not_delegable",
                 "step `" + step.id +
                     "`: a planner may only delegate, so every step must be `delegable: true`");
      }
    }
  }

  const Mandate& m_;
  std::string_view source_;
  Decoder& d_;
  bool step_ok_ = true;
};

}  // namespace

void CheckMandate(const Mandate& mandate, std::string_view source, Decoder& decoder) {
  Checker(mandate, source, decoder).Run();
}

}  // namespace mandate::internal
