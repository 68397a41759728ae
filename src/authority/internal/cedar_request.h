// The Cedar side of one decision, shared by decide.cc and explain.cc: the call's arguments as
// guards read them, the request for "this call as step N", and the fail-closed reading of
// Cedar's answer.
#pragma once

#include "src/authority/internal/impl.h"

namespace mandate::authority {

Decision DenyDecision(std::string check, std::string code, std::string message,
                      std::string rule = "");

// The deny for a call the chain refuses (unknown action, order, budget, ...), naming the most
// preferred candidate step.
Decision ChainDenial(const CompiledMandate& cm, const ChainMatch& match,
                     const TaskProgress& progress, const ChainCall& call);

// A delegated task's calls must stay inside what its parent handed on (docs/delegation.md): the
// deny when candidate `c` does not, nothing for a root task or a call within the grant.
std::optional<Decision> GrantDenial(const CompiledMandate& cm, const LiveTask& task,
                                    const CandidateStep& c, const ToolCall& call);

// A Cedar set of the strings `names`.
cedar::Value StringSet(const std::vector<std::string>& names);

// The call's declared arguments as the Cedar record guards read (`context.args`). Arguments the
// step does not declare are not visible to guards; a declared one of the wrong type is refused
// (`call.invalid_argument`).
Result<cedar::Value> CedarArgs(const Step& step, const boost::json::object* args);

// A task's inputs as a decision reads them: unpacked (resource patterns read them) and as the
// Cedar record `context.inputs` (InputsValue), built on first use. Memoised per thread by the
// inputs' id (PackedInputs::id) and the mandate, so the calls of a task find them again without
// unpacking, hashing or even reading the packed bytes. Valid until the next TaskInputsOf call on
// the same thread.
struct MemoisedInputs {
  uint64_t memo_id = 0;  // 0: an unused slot
  uint64_t inputs_id = 0;
  TaskInputs unpacked;
  std::optional<cedar::Value> value;
};
MemoisedInputs& TaskInputsOf(const CompiledMandate& cm, const LiveTask& task);
const cedar::Value& TaskInputsValue(const CompiledMandate& cm, MemoisedInputs& inputs);

// The Cedar request for "this call as step `step`", shaped as src/mandate/cedar_gen.h says;
// `inputs` is the task's bound inputs as a Cedar record (InputsValue). It lives in a per-thread
// object the next call on the thread overwrites, so the principal's strings are kept from call
// to call (one agent's calls build them once).
const cedar::Request& CedarRequestFor(const CompiledMandate& cm, const LiveTask& task, int step,
                                      const ToolCall& call, cedar::Value args, cedar::Value inputs,
                                      int64_t now_us);

// Cedar's answer for one candidate step, with the fail-closed rule: Cedar skips an erroring
// policy, the authority denies when any policy errored.
Decision CedarVerdict(const CompiledMandate& cm, const cedar::Response& response, int step);

}  // namespace mandate::authority
