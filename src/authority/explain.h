// Explain: why a tool call would be allowed or denied, step by step through the decision
// pipeline (authenticate, task, revocation, deadline, chain with its candidate steps, each Cedar
// guard and policy with its result, budget, approval, decision). Explaining never changes
// state: no task progress, no audit record, no revocation, no credential.
//
//   auto why = authority->Explain(task_id, call);               // a live task (operator)
//   auto why = ExplainOffline({.mandate = m, .steps_done = {"check_balance"}, ...});
//
// Thread-safety: ExplainOffline is a pure function; Authority::Explain is as safe as Authorize.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "src/authority/authority.h"
#include "src/mandate/mandate.h"
#include "src/util/status.h"

namespace mandate::authority {

// One stage of the pipeline as it went for this call.
struct ExplainStep {
  std::string stage;   // authenticate, task, revocation, deadline, chain, candidate, guard,
                       // order, policy, budget, approval, decision
  std::string result;  // pass, fail, skip (not evaluated, and why), or for Cedar policies:
                       // satisfied, not_satisfied, error
  std::string detail;  // a lowercase sentence
  std::string rule;    // the step or Cedar policy id concerned, when one is
};

struct Explanation {
  std::vector<ExplainStep> steps;
  Outcome outcome = Outcome::kDeny;  // what Authorize would answer now
  std::string step;                  // the step the call would be, on allow or pending
  std::vector<Reason> reasons;       // the reasons Authorize would give
  bool would_revoke = false;         // the call is a deviation that revokes the task
  bool shadow = false;               // a deviation that shadow mode would let through
};

boost::json::object ExplanationJson(const Explanation& explanation);

struct OfflineExplainRequest {
  std::shared_ptr<const Mandate> mandate;
  // The steps the task already did, in order; replayed through the chain (each must be
  // allowed where it stands, or the request is refused with `explain.invalid_progress`).
  std::vector<std::string> steps_done;
  boost::json::object inputs;  // the task inputs, checked as at task start
  std::string agent;           // the principal Cedar sees
  ToolCall call;
  int64_t now_seconds = 0;  // `context.now`
};

// Explains a call against a mandate file with no server: authentication, revocation and the
// deadline are reported as skipped.
[[nodiscard]] Result<Explanation> ExplainOffline(const OfflineExplainRequest& request);

}  // namespace mandate::authority
