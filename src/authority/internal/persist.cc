#include "src/authority/internal/persist.h"

#include <boost/json.hpp>
#include <charconv>

#include "src/authority/internal/audit_records.h"
#include "src/json/json.h"

namespace mandate::authority {
namespace {

int64_t ToLong(const std::string& s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

cedar::Value Scalar(ValueType type, const std::string& s) {
  switch (type) {
    case ValueType::kLong:
    case ValueType::kLongSet:
      return cedar::Value::Long(ToLong(s));
    case ValueType::kBool:
      return cedar::Value::Bool(s == "true");
    default:
      return cedar::Value::String(s);
  }
}

std::string Blob(const LiveTask& task, size_t steps) {
  boost::json::array inputs;
  const TaskInputs bound = task.inputs.Unpack();
  for (const auto& values : bound.values) {
    boost::json::array a;
    for (const auto& v : values) a.emplace_back(v);
    inputs.emplace_back(std::move(a));
  }
  boost::json::object blob{{"jkt", task.jkt.str()},
                           {"inputs", std::move(inputs)},
                           {"progress", ProgressToJson(task.progress, steps)},
                           {"progress_seq", task.progress_seq},
                           {"last_call_us", task.last_call_us}};
  if (task.grant) blob["grant"] = GrantToJson(*task.grant);
  if (!task.principal.empty()) blob["principal"] = task.principal;
  if (!task.actors.empty()) {
    boost::json::array actors;
    for (const auto& a : task.actors) actors.emplace_back(a);
    blob["actors"] = std::move(actors);
  }
  return json::Serialize(blob);
}

}  // namespace

cedar::Value InputsValue(const Mandate& mandate, const TaskInputs& inputs) {
  cedar::Record fields;
  for (size_t i = 0; i < mandate.inputs.size() && i < inputs.values.size(); ++i) {
    const TypedField& f = mandate.inputs[i];
    const auto& values = inputs.values[i];
    if (f.type == ValueType::kStringSet || f.type == ValueType::kLongSet) {
      std::vector<cedar::Value> set;
      for (const auto& v : values) set.push_back(Scalar(f.type, v));
      fields.emplace_back(f.name, cedar::Value::SetOf(std::move(set)));
    } else if (!values.empty()) {
      fields.emplace_back(f.name, Scalar(f.type, values[0]));
    }
  }
  return cedar::Value::RecordOf(std::move(fields));
}

store::TaskRecord Authority::Impl::ToRecord(uint64_t id, const LiveTask& task) const {
  const Mandate& m = *mandates[task.mandate].mandate;
  store::TaskRecord r;
  r.id = FormatTaskId(id);
  r.parent_id = task.parent ? FormatTaskId(task.parent) : "";
  r.agent = task.agent;
  r.owner = m.owner;
  r.mandate = m.name;
  r.mandate_version = m.version;
  r.state = task.state;
  r.deadline_micros = task.deadline_us;
  r.created_micros = task.created_us;
  r.updated_micros = clock.NowMicros();
  r.state_blob = Blob(task, m.steps.size());
  return r;
}

TaskView EndedTaskView(const Authority::Impl& impl, const store::TaskRecord& r) {
  TaskView view;
  view.task_id = r.id;
  view.parent_task = r.parent_id;
  view.state = std::string(store::TaskStateName(r.state));
  view.agent = r.agent;
  view.owner = r.owner;
  view.mandate = r.mandate;
  view.version = r.mandate_version;
  view.created_at = r.created_micros / 1'000'000;
  view.deadline = r.deadline_micros / 1'000'000;
  const CompiledMandate* cm = impl.FindMandate(r.mandate, r.mandate_version);
  auto blob = json::Parse(r.state_blob);
  if (cm == nullptr || !blob || !blob->is_object()) return view;
  const auto& o = blob->as_object();
  if (const auto* v = o.if_contains("principal"); v && v->is_string())
    view.principal = v->as_string().c_str();
  TaskProgress progress;
  if (const auto* v = o.if_contains("progress"); v && ProgressFromJson(*v, &progress)) {
    ViewProgress(*cm, progress, &view);
  }
  return view;
}

Status Checkpoint(Authority::Impl& impl) {
  std::vector<store::TaskRecord> records;
  impl.tasks.TakeChanged([&](uint64_t id, LiveTask& task) {
    if (!task.dirty) return;
    task.dirty = false;
    records.push_back(impl.ToRecord(id, task));
  });
  if (records.empty()) return Status();
  Status s = impl.deps.store->PutTasks(records);
  if (!s.ok()) {
    // Not written: mark them again so the next checkpoint retries.
    for (const auto& r : records) {
      uint64_t id = 0;
      if (ParseTaskId(r.id, &id))
        impl.tasks.WithTask(id, [&](LiveTask* t) {
          if (t) impl.MarkChanged(id, *t);
        });
    }
  }
  return s;
}

Status Recover(Authority::Impl& impl) {
  auto events = impl.deps.store->ListRevocationsSince(0, SIZE_MAX);
  if (!events) return events.error().WithContext("recovering revocations");
  for (const auto& e : *events) {
    impl.revocations.Apply(e);
    impl.followed_revocation = e.id;
  }

  auto records = impl.deps.store->LoadLiveTasks();
  if (!records) return records.error().WithContext("recovering tasks");
  std::vector<std::pair<uint64_t, uint64_t>> edges;  // (parent, child)
  for (const store::TaskRecord& r : *records) {
    uint64_t key = 0;
    if (!ParseTaskId(r.id, &key)) continue;
    const CompiledMandate* cm = impl.FindMandate(r.mandate, r.mandate_version);
    if (cm == nullptr) continue;  // its mandate is no longer loaded: no call can be decided
    auto blob = json::Parse(r.state_blob);
    if (!blob || !blob->is_object()) continue;
    const auto& o = blob->as_object();
    LiveTask task;
    task.mandate = static_cast<uint32_t>(cm - impl.mandates.data());
    task.agent = impl.interned.Intern(r.agent);
    task.created_us = r.created_micros;
    task.deadline_us = r.deadline_micros;
    if (const auto* v = o.if_contains("jkt"); v && v->is_string())
      task.jkt = impl.interned.Intern(v->as_string().c_str());
    if (const auto* v = o.if_contains("actors"); v && v->is_array()) {
      for (const auto& a : v->as_array()) {
        if (a.is_string()) task.actors.emplace_back(a.as_string());
      }
    }
    if (const auto* v = o.if_contains("principal"); v && v->is_string())
      task.principal = v->as_string().c_str();
    if (const auto* v = o.if_contains("last_call_us"); v && v->is_int64())
      task.last_call_us = v->as_int64();
    if (const auto* v = o.if_contains("progress_seq"); v && v->is_int64())
      task.progress_seq = v->as_int64();
    if (const auto* v = o.if_contains("progress")) ProgressFromJson(*v, &task.progress);
    TaskInputs inputs;
    if (const auto* v = o.if_contains("inputs"); v && v->is_array()) {
      for (const auto& values : v->as_array()) {
        std::vector<std::string> bound;
        if (values.is_array()) {
          for (const auto& s : values.as_array()) {
            if (s.is_string()) bound.emplace_back(s.as_string().c_str());
          }
        }
        inputs.values.push_back(std::move(bound));
      }
    }
    task.inputs = inputs;
    uint64_t parent = 0;
    if (!r.parent_id.empty() && ParseTaskId(r.parent_id, &parent)) {
      // A delegated task without its grant would hold its whole mandate: not recovered.
      const auto* grant = o.if_contains("grant");
      if (grant == nullptr) continue;
      auto held = GrantFromJson(*grant);
      if (!held) continue;
      task.grant = std::make_shared<const Grant>(std::move(*held));
      task.parent = parent;
      edges.emplace_back(parent, key);
    }
    impl.deadlines.Push(key, task.deadline_us);
    if (cm->mandate->limits.idle_timeout_seconds) {
      impl.deadlines.Push(
          key, task.last_call_us + *cm->mandate->limits.idle_timeout_seconds * 1'000'000);
    }
    impl.tasks.Put(key, std::move(task));
  }
  for (const auto& edge : edges) {
    const uint64_t child = edge.second;  // a plain variable: clang 14 cannot capture bindings
    impl.tasks.WithTask(edge.first, [child](LiveTask* t) {
      if (t) t->children.push_back(child);
    });
  }
  return ReplayDecisions(impl);
}

}  // namespace mandate::authority
