// Attenuation for delegation: a child task may receive at most what its parent holds now.
//
// A `Grant` is what a task holds (or what a child asks for): steps with their system, actions,
// resource patterns and remaining calls, the data labels, the remaining total budget and the
// deadline. `CheckAttenuation` says ok or names the first widening it finds, with a stable
// reason: delegation.not_delegable, delegation.extra_step, delegation.extra_system,
// delegation.extra_action, delegation.wider_resource, delegation.new_label,
// delegation.larger_budget, delegation.later_deadline, delegation.invalid_grant.
//
// Thread-safety: pure functions over values.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/mandate/chain.h"
#include "src/util/status.h"

namespace mandate {

struct GrantedStep {
  std::string id;
  std::string system;
  std::vector<std::string> actions;    // exact names or `*` globs
  std::vector<std::string> resources;  // concrete patterns (`*`, `**`; no `{input}`); empty = any
  std::optional<uint32_t> calls;       // remaining calls; empty = no budget of its own
  bool delegable = false;
};

struct Grant {
  std::vector<GrantedStep> steps;
  std::vector<std::string> labels;      // data labels the holder may read or write
  std::optional<uint32_t> total_calls;  // remaining calls of the task; empty = unlimited
  int64_t deadline_micros = 0;          // unix micros; 0 = none
  bool may_delegate = true;             // false for executors (no re-delegation)
};

// Ok when `child` is contained in `parent`; otherwise kPermissionDenied with the reason above
// and a message naming the step, system, action, resource or label.
Status CheckAttenuation(const Grant& parent, const Grant& child);

// What a task holds now: the mandate's steps with inputs substituted into resource patterns,
// remaining budgets from `progress`, its labels and `deadline_micros`. Steps a planner may not
// call are still held (a planner delegates them). An input value containing `*`, `{` or `}`
// cannot be written as a pattern and is left out (the grant shrinks: fail closed).
Grant CurrentGrant(const Chain& chain, const TaskProgress& progress, const TaskInputs& inputs,
                   int64_t deadline_micros);

// What a delegated task holds now: its handed-on `grant` with the budgets its `progress` used
// up taken off (step budgets by step id, looked up in `chain`'s mandate).
Grant RemainingGrant(const Grant& grant, const Chain& chain, const TaskProgress& progress);

// Whether a call the chain allowed as `step` (progress `after` once allowed) stays inside a
// delegated task's grant. Reasons: delegation.step_not_granted, delegation.action_not_granted,
// delegation.resource_not_granted, delegation.label_not_granted, delegation.budget_exhausted.
Status CheckCallWithinGrant(const Grant& grant, const Chain& chain, int step,
                            std::string_view action, std::string_view resource,
                            const TaskProgress& after);

// The grant as JSON (persisted with the task, shown by the API) and back. FromJson refuses
// anything malformed with `delegation.invalid_grant`.
boost::json::value GrantToJson(const Grant& grant);
Result<Grant> GrantFromJson(const boost::json::value& json);

}  // namespace mandate
