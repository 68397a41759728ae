#include "src/authority/internal/cedar_request.h"

#include <algorithm>

#include "src/authority/internal/persist.h"
#include "src/authority/internal/value_memo.h"

namespace mandate::authority {

cedar::Value StringSet(const std::vector<std::string>& names) {
  std::vector<cedar::Value> values;
  values.reserve(names.size());
  for (const auto& n : names) values.push_back(cedar::Value::String(n));
  return cedar::Value::SetOf(std::move(values));
}

namespace {

Result<cedar::Value> TypedArg(const TypedField& field, const boost::json::value& v) {
  auto bad = [&] {
    return Err(StatusCode::kInvalidArgument, "call.invalid_argument",
               "argument `" + field.name + "` must be " + std::string(ValueTypeName(field.type)));
  };
  switch (field.type) {
    case ValueType::kString:
      if (!v.is_string()) return bad();
      return cedar::Value::String(std::string(v.as_string()));
    case ValueType::kLong:
      if (!v.is_int64()) return bad();
      return cedar::Value::Long(v.as_int64());
    case ValueType::kBool:
      if (!v.is_bool()) return bad();
      return cedar::Value::Bool(v.as_bool());
    case ValueType::kStringSet:
    case ValueType::kLongSet:
      break;
  }
  if (!v.is_array()) return bad();
  std::vector<cedar::Value> elements;
  for (const auto& e : v.as_array()) {
    if (field.type == ValueType::kStringSet && e.is_string()) {
      elements.push_back(cedar::Value::String(std::string(e.as_string())));
    } else if (field.type == ValueType::kLongSet && e.is_int64()) {
      elements.push_back(cedar::Value::Long(e.as_int64()));
    } else {
      return bad();
    }
  }
  return cedar::Value::SetOf(std::move(elements));
}

// The set of the precomputed string `values` whose bit is set in `mask`, visited in `order`
// (the indices of `values` sorted by string) so the set is built already canonical.
cedar::Value SetOfBits(const std::vector<cedar::Value>& values, const std::vector<int>& order,
                       uint32_t mask) {
  std::vector<cedar::Value> members;
  members.reserve(static_cast<size_t>(__builtin_popcount(mask)));
  for (int i : order) {
    if (i < 32 && (mask & (uint32_t{1} << i))) members.push_back(values[i]);
  }
  return cedar::Value::SetOf(std::move(members));
}

// The indices of `names` in the order of the names.
template <typename Names, typename NameOf>
std::vector<int> SortedOrder(const Names& names, NameOf name_of) {
  std::vector<int> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return name_of(names[a]) < name_of(names[b]); });
  return order;
}

// The member names of the request's records, built once: a std::string made from a literal for
// each of fourteen members on every decision showed up in profiles.
struct MemberNames {
  const std::string args = "args", call = "call", inputs = "inputs", now = "now", step = "step",
                    task = "task", calls = "calls", count = "count", labels_read = "labels_read",
                    last_step = "last_step", steps_done = "steps_done", action = "action",
                    resource = "resource", system = "system";
};
const MemberNames& Names() {
  static const MemberNames names;
  return names;
}

// `slot` holds `s` afterwards; unchanged when it already did (an agent keeps calling the same
// system, action and resource, and a new string is an allocation).
void KeepOrSetString(cedar::Value& slot, std::string_view s) {
  if (!slot.is_string() || slot.as_string() != s) slot = cedar::Value::String(std::string(s));
}

// The request context's records: `args`, `call` {action, resource, system}, `inputs`, `now`,
// `step`, `task` {calls, count, labels_read, last_step, steps_done}. Every record is built in key
// order, so RecordOf keeps it as it is, and CedarRequestFor writes the values by position.
cedar::Value ContextShape() {
  const MemberNames& n = Names();
  cedar::Value call =
      cedar::RecordBuilder().Add(n.action, {}).Add(n.resource, {}).Add(n.system, {}).Build();
  cedar::Value task = cedar::RecordBuilder()
                          .Add(n.calls, {})
                          .Add(n.count, {})
                          .Add(n.labels_read, {})
                          .Add(n.last_step, {})
                          .Add(n.steps_done, {})
                          .Build();
  return cedar::RecordBuilder()
      .Add(n.args, {})
      .Add(n.call, std::move(call))
      .Add(n.inputs, {})
      .Add(n.now, {})
      .Add(n.step, {})
      .Add(n.task, std::move(task))
      .Build();
}

struct ContextFields {
  cedar::Record* context = nullptr;  // null: `context` cannot be written in place
  cedar::Record* call = nullptr;
  cedar::Record* task = nullptr;
};

// The fields of a context of ContextShape's shape that nothing else holds, else all null.
ContextFields WritableContext(cedar::Value& context) {
  cedar::Record* fields = context.FieldsIfUnique();
  if (fields == nullptr || fields->size() != 6) return {};
  cedar::Record* call = (*fields)[1].second.FieldsIfUnique();
  cedar::Record* task = (*fields)[5].second.FieldsIfUnique();
  if (call == nullptr || call->size() != 3 || task == nullptr || task->size() != 5) return {};
  return {fields, call, task};
}

ValueMemo& Memo() {
  thread_local ValueMemo memo;
  return memo;
}

cedar::Value MemoSetOfBits(char tag, const CompiledMandate& cm,
                           const std::vector<cedar::Value>& values, const std::vector<int>& order,
                           uint32_t mask) {
  MemoKey key(cm.memo_id);
  key.Append(&tag, 1);
  key.Append(&mask, sizeof mask);
  return Memo().Get(key.view(), [&] { return SetOfBits(values, order, mask); });
}

}  // namespace

Decision DenyDecision(std::string check, std::string code, std::string message, std::string rule) {
  Decision d;
  d.outcome = Outcome::kDeny;
  d.reasons.push_back({std::move(check), std::move(code), std::move(message), std::move(rule)});
  return d;
}

Decision ChainDenial(const CompiledMandate& cm, const ChainMatch& match,
                     const TaskProgress& progress, const ChainCall& call) {
  const std::string code(match.reason());
  return DenyDecision(code == "chain.budget_exhausted" ? "budget" : "chain", code,
                      cm.chain.Describe(match, progress, call),
                      match.count ? cm.mandate->steps[match.candidates[0].step].id : "");
}

std::optional<Decision> GrantDenial(const CompiledMandate& cm, const LiveTask& task,
                                    const CandidateStep& c, const ToolCall& call) {
  if (!task.grant) return std::nullopt;
  const Status granted =
      CheckCallWithinGrant(*task.grant, cm.chain, c.step, call.action, call.resource, c.after);
  if (granted.ok()) return std::nullopt;
  return DenyDecision("delegation", std::string(granted.reason()), granted.message());
}

Result<cedar::Value> CedarArgs(const Step& step, const boost::json::object* args) {
  cedar::Record fields;
  if (args == nullptr) return cedar::Value::RecordOf({});
  for (const TypedField& field : step.args) {
    const boost::json::value* v = args->if_contains(field.name);
    if (v == nullptr || v->is_null()) continue;
    auto value = TypedArg(field, *v);
    if (!value) return Err(value.error());
    fields.emplace_back(field.name, std::move(*value));
  }
  return cedar::Value::RecordOf(std::move(fields));
}

MemoisedInputs& TaskInputsOf(const CompiledMandate& cm, const LiveTask& task) {
  // Room for the inputs of a few thousand tasks in flight on one thread; allocated by the
  // threads that decide only.
  static constexpr size_t kSlots = 2048;
  thread_local std::unique_ptr<MemoisedInputs[]> slots;
  if (!slots) slots = std::make_unique<MemoisedInputs[]>(kSlots);
  const uint64_t id = task.inputs.id();
  MemoisedInputs& slot = slots[(id + cm.memo_id * 0x9e3779b97f4a7c15) % kSlots];
  if (slot.inputs_id != id || slot.memo_id != cm.memo_id) {
    task.inputs.UnpackInto(slot.unpacked);
    slot.value.reset();
    slot.memo_id = cm.memo_id;
    slot.inputs_id = id;
  }
  return slot;
}

const cedar::Value& TaskInputsValue(const CompiledMandate& cm, MemoisedInputs& inputs) {
  if (!inputs.value) inputs.value = InputsValue(*cm.mandate, inputs.unpacked);
  return *inputs.value;
}

const cedar::Request& CedarRequestFor(const CompiledMandate& cm, const LiveTask& task, int step,
                                      const ToolCall& call, cedar::Value args, cedar::Value inputs,
                                      int64_t now_us) {
  const Mandate& m = *cm.mandate;
  const Step& s = m.steps[step];
  // The parts that depend on the progress alone come from the memo.
  const TaskProgress& progress = task.progress;
  MemoKey count_key(cm.memo_id);
  count_key.Append("c", 1);
  count_key.Append(progress.counts.data(), m.steps.size() * sizeof progress.counts[0]);
  cedar::Value count = Memo().Get(count_key.view(), [&] {
    cedar::Record counts;
    counts.reserve(m.steps.size());
    for (int i : cm.steps_by_id) {
      counts.emplace_back(m.steps[i].id, cedar::Value::Long(progress.counts[i]));
    }
    return cedar::Value::RecordOf(std::move(counts));
  });
  cedar::Value labels_read =
      MemoSetOfBits('l', cm, cm.label_names, cm.labels_by_name, progress.labels_read);
  cedar::Value steps_done =
      MemoSetOfBits('s', cm, cm.step_ids, cm.steps_by_id, progress.steps_done);
  static const cedar::Value kNoStep = cedar::Value::String("");
  const cedar::Value& last_step =
      progress.last_step >= 0 ? cm.step_ids[progress.last_step] : kNoStep;

  thread_local cedar::Request request;
  if (request.principal.id() != task.agent.str() || request.principal.type() != kCedarAgentType) {
    request.principal = cedar::EntityUid(std::string(kCedarAgentType), task.agent);
  }
  if (!(request.action == cm.step_actions[step])) request.action = cm.step_actions[step];
  // The chain matched the call to this step, so the call's system is the step's.
  if (s.system == call.system) {
    if (!(request.resource == cm.step_systems[step])) request.resource = cm.step_systems[step];
  } else {
    request.resource = cedar::EntityUid(std::string(kCedarSystemType), std::string(call.system));
  }

  // The context has the same keys on every call: the last call's records are written in place
  // (their keys, allocations and shape kept) when nothing else holds them, which is the rule once
  // the authorizer has returned. Otherwise (the first call on this thread, or the last context is
  // still shared) a fresh one of that shape is made first.
  ContextFields fields = WritableContext(request.context);
  if (fields.context == nullptr) {
    request.context = ContextShape();
    fields = WritableContext(request.context);  // unique: only `request` holds it
  }
  cedar::Record& context = *fields.context;
  cedar::Record& call_fields = *fields.call;
  cedar::Record& state = *fields.task;
  context[0].second = std::move(args);
  KeepOrSetString(call_fields[0].second, call.action);
  KeepOrSetString(call_fields[1].second, call.resource);
  KeepOrSetString(call_fields[2].second, call.system);
  context[2].second = std::move(inputs);
  context[3].second = cedar::Value::Long(now_us / 1'000'000);
  context[4].second = cm.step_values[step];
  state[0].second = cedar::Value::Long(progress.calls);
  state[1].second = std::move(count);
  state[2].second = std::move(labels_read);
  state[3].second = last_step;
  state[4].second = std::move(steps_done);
  return request;
}

Decision CedarVerdict(const CompiledMandate& cm, const cedar::Response& r, int step) {
  const std::string& step_id = cm.mandate->steps[step].id;
  const std::string& guard_id = cm.guard_ids[step];
  if (!r.errors.empty()) {
    const cedar::PolicyError& e = r.errors.front();
    const bool is_guard = e.policy_id == guard_id;
    return DenyDecision(
        is_guard ? "guard" : "policy", is_guard ? "guard.error" : "policy.error",
        (is_guard ? "guard of step `" + step_id + "`" : "policy `" + e.policy_id + "`") +
            " could not be evaluated (fail closed): " + e.message,
        e.policy_id);
  }
  if (r.decision == cedar::Decision::kAllow) {
    Decision d;
    d.outcome = Outcome::kAllow;
    return d;
  }
  if (r.reasons.empty()) {
    return DenyDecision("guard", "guard.unsatisfied",
                        "the guard of step `" + step_id + "` does not hold for this call",
                        guard_id);
  }
  const std::string& id = r.reasons.front();
  if (id.rfind("order.", 0) == 0) {
    return DenyDecision("chain", "chain.branch_condition",
                        "the branch condition `" + id + "` does not hold for this call", id);
  }
  return DenyDecision("policy", "policy.forbid", "forbidden by policy `" + id + "`", id);
}

namespace {

void PrecomputeValues(CompiledMandate& cm) {
  for (const Step& s : cm.mandate->steps) {
    cm.step_ids.push_back(cedar::Value::String(s.id));
    cm.step_values.push_back(cedar::RecordBuilder()
                                 .Add("id", cedar::Value::String(s.id))
                                 .Add("reads", StringSet(s.reads))
                                 .Add("writes", StringSet(s.writes))
                                 .Build());
    cm.guard_ids.push_back("step." + s.id);
    cm.step_actions.emplace_back(std::string(kCedarActionType), s.id);
    cm.step_systems.emplace_back(std::string(kCedarSystemType), s.system);
  }
  cm.steps_by_id =
      SortedOrder(cm.mandate->steps, [](const Step& s) -> const std::string& { return s.id; });
  cm.labels_by_name =
      SortedOrder(cm.chain.labels(), [](const std::string& l) -> const std::string& { return l; });
  for (const std::string& label : cm.chain.labels()) {
    cm.label_names.push_back(cedar::Value::String(label));
  }
}

}  // namespace

Result<CompiledMandate> CompileMandate(const std::shared_ptr<const Mandate>& m) {
  const std::string what = "mandate `" + m->name + "` version `" + m->version + "`";
  std::vector<Diagnostic> diagnostics;
  auto cedar = CompileMandateCedar(*m, "", &diagnostics);
  if (!cedar) {
    return Err(InvalidArgument(
        "mandate.cedar",
        what + ": " + (diagnostics.empty() ? "cedar compilation failed" : diagnostics[0].message)));
  }
  auto authorizer = cedar::Authorizer::Build(cedar->policies);
  if (!authorizer) return Err(authorizer.error().WithContext(what));
  CompiledMandate cm(m, std::move(cedar), std::move(*authorizer));
  PrecomputeValues(cm);
  return cm;
}

}  // namespace mandate::authority
