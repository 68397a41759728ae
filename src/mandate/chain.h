// The chain automaton: which step of a mandate a tool call would be, and whether the mandate's
// order, prerequisites, budgets and loop bounds allow it now.
//
// A live task is a `TaskProgress` (a fixed 96-byte value: counters indexed by step number, bit
// sets of steps done and labels read, loop counters). `Chain::Match` is a pure function of
// (progress, call, inputs): it returns the steps the call could be, most preferred first, each
// with its verdict and the progress that results if the call is allowed as that step; when no
// candidate is allowed the call is a deviation with a stable reason (`chain.out_of_order`, ...).
// No I/O, no allocation on the decision path; Cedar guards and policies are evaluated by the
// caller (see cedar_gen.h), this only decides the chain.
//
// Thread-safety: a Chain is immutable after construction and safe to share between threads.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/mandate/mandate.h"
#include "src/util/status.h"

namespace mandate {

inline constexpr int kMaxChainSteps = 32;   // steps per mandate (the loader enforces it)
inline constexpr int kMaxChainLoops = 4;    // declared loops per mandate
inline constexpr int kMaxChainLabels = 32;  // distinct data labels per mandate

// The compact state of one task. INVARIANT (progress_size): sizeof(TaskProgress) <= 96.
struct TaskProgress {
  uint32_t calls = 0;        // calls allowed so far, all steps together
  uint32_t steps_done = 0;   // bit i: step i was called at least once
  uint32_t labels_read = 0;  // bit j: label j of Chain::labels() was read
  int8_t last_step = -1;     // the step of the last allowed call; -1 before the first
  std::array<uint16_t, kMaxChainSteps> counts{};           // calls per step (saturating)
  std::array<uint16_t, kMaxChainLoops> loop_iterations{};  // current iteration of each loop
  friend bool operator==(const TaskProgress&, const TaskProgress&) = default;
};
static_assert(sizeof(TaskProgress) <= 96, "progress must stay small: it is kept per live task");

// What the order says about one candidate step.
enum class ChainVerdict : uint8_t {
  kAllowed,
  kOutOfOrder,           // chain.out_of_order: no transition from the last step leads here
  kMissingPrerequisite,  // chain.missing_prerequisite: a `requires` step was not done yet
  kBudgetExhausted,      // chain.budget_exhausted: the step's or the task's call budget is used up
  kLoopBound,            // chain.loop_bound: the loop headed by this step ran max_iterations
  kPlannerOnly,          // chain.planner_may_only_delegate: a planner task calls no tools
};
std::string_view ChainReason(ChainVerdict verdict);

// A tool call as the enforcement point sees it.
struct ChainCall {
  std::string_view system;
  std::string_view action;    // HTTP method (or `METHOD route`) / MCP tool name
  std::string_view resource;  // HTTP path / the MCP tool's target
};

// The values of the task inputs, bound once when the task starts (index = input index in the
// mandate; one value for scalars, several for sets, none for an omitted optional input).
struct TaskInputs {
  std::vector<std::vector<std::string>> values;
};

// Checks and binds task inputs (a JSON object) against the mandate's declared inputs. Errors:
// task.unknown_input, task.missing_input, task.invalid_input (wrong type).
[[nodiscard]] Result<TaskInputs> BindTaskInputs(const Mandate& mandate,
                                                const boost::json::object& inputs);

struct CandidateStep {
  uint8_t step = 0;  // index into mandate().steps
  ChainVerdict verdict = ChainVerdict::kAllowed;
  TaskProgress after;  // the progress if the call is allowed as this step (kAllowed only)
};

struct ChainMatch {
  static constexpr int kMaxCandidates = 8;
  std::array<CandidateStep, kMaxCandidates> candidates;  // allowed first, then most specific
  uint8_t count = 0;
  // Set when the call matches no step at all: chain.unknown_system, chain.unknown_action or
  // chain.resource_mismatch. Empty otherwise.
  std::string_view no_step_reason;

  bool allowed() const { return count > 0 && candidates[0].verdict == ChainVerdict::kAllowed; }
  // The stable reason of a deviation (empty when allowed): the match failure, or the verdict of
  // the most preferred candidate.
  std::string_view reason() const;
};

class Chain {
 public:
  // REQUIRES: `mandate` came from the loader without errors (references resolved, at most
  // kMaxChainSteps steps, kMaxChainLoops loops, kMaxChainLabels labels).
  explicit Chain(std::shared_ptr<const Mandate> mandate);

  // The decision: pure, allocation-free.
  ChainMatch Match(const TaskProgress& progress, const ChainCall& call,
                   const TaskInputs& inputs) const;
  // The verdict for calling step `step` now, and the progress after it when allowed.
  ChainVerdict Check(const TaskProgress& progress, int step, TaskProgress* after) const;
  // True when the task may complete now (its last step is a `final` step, or none are declared).
  bool MayComplete(const TaskProgress& progress) const;
  // A lowercase sentence for a deviation, naming the call, the last step and what was expected.
  std::string Describe(const ChainMatch& match, const TaskProgress& progress,
                       const ChainCall& call) const;

  const Mandate& mandate() const { return *mandate_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Names of the steps / labels set in a mask of `progress` (for Cedar context and audit).
  std::vector<std::string> StepNames(uint32_t mask) const;
  std::vector<std::string> LabelNames(uint32_t mask) const;

 private:
  struct Compiled;
  std::shared_ptr<const Mandate> mandate_;
  std::vector<std::string> labels_;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace mandate
