// LiveTask: what the authority keeps in memory per live task. Kept small (the budget is 1 KiB
// per live task with its index entry; docs/benchmarks.md has the measured figure): the progress
// is a fixed 88-byte value, the agent and its key thumbprint are shared by every task of that
// agent (SharedString), and the inputs are packed into one allocation and unpacked when a call
// is decided (a bound TaskInputs plus its Cedar record cost about 1.5 KiB per task).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/mandate/attenuation.h"
#include "src/mandate/chain.h"
#include "src/store/store.h"

namespace mandate::authority {

// An immutable string shared by many tasks; reads as a `const std::string&`.
// Thread-safety: immutable; copies may be used from any thread.
class SharedString {
 public:
  SharedString();
  SharedString(std::string s);  // NOLINT: an unshared copy, so plain assignment keeps working
  SharedString(const char* s) : SharedString(std::string(s)) {}  // NOLINT
  const std::string& str() const { return *s_; }
  operator const std::string&() const { return *s_; }  // NOLINT
  operator std::string_view() const { return *s_; }    // NOLINT
  bool empty() const { return s_->empty(); }
  friend bool operator==(const SharedString& a, std::string_view b) { return *a.s_ == b; }

 private:
  friend class StringInterner;
  explicit SharedString(std::shared_ptr<const std::string> s) : s_(std::move(s)) {}
  std::shared_ptr<const std::string> s_;
};

// Hands out one SharedString per distinct value while any task holds it.
// Thread-safety: safe from any thread (one mutex; task start and recovery only).
class StringInterner {
 public:
  SharedString Intern(std::string_view value);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::weak_ptr<const std::string>> strings_;  // GUARDED_BY(mu_)
  size_t purge_at_ = 1024;                                                     // GUARDED_BY(mu_)
};

// The task's bound inputs in one string: per input its value count, then each value's length
// and bytes (32-bit little-endian counts).
class PackedInputs {
 public:
  PackedInputs() = default;
  PackedInputs(const TaskInputs& inputs);  // NOLINT: assignable from the bound form
  TaskInputs Unpack() const;
  // The same into `out`, reusing its storage.
  void UnpackInto(TaskInputs& out) const;
  std::string_view bytes() const { return bytes_; }
  // Process-unique per packing (copies share it, as they share the bytes); 0 for no inputs.
  // INVARIANT (one id, one content): never reused, so a per-thread memo keyed by it finds a
  // task's unpacked inputs again without reading or hashing the bytes.
  uint64_t id() const { return id_; }

 private:
  std::string bytes_;
  uint64_t id_ = 0;
};

// Laid out for the decision path: what every decision reads (state, times, agent, inputs,
// progress, and the checks for a principal and a grant) fills the first four cache lines of an
// aligned object; what only minting, delegation and queries read follows.
struct alignas(64) LiveTask {
  store::TaskState state = store::TaskState::kActive;
  bool dirty = false;    // changed since the last checkpoint, and listed for it (MarkChanged)
  uint32_t mandate = 0;  // index into the authority's compiled mandates
  int64_t created_us = 0;
  int64_t deadline_us = 0;
  int64_t last_call_us = 0;
  int64_t progress_seq = 0;  // audit sequence of the last decision reflected in `progress`
  SharedString agent;
  PackedInputs
      inputs;  // bound task inputs: resource patterns and guards (context.inputs) read them
  TaskProgress progress;
  std::string principal;  // the user the task acts for (on behalf of); empty when none
  // A delegated task: what its parent handed on (null for a root task). Its calls must stay
  // inside it; `jkt` stays empty until the delegatee starts the task with its own key.
  std::shared_ptr<const Grant> grant;
  SharedString jkt;  // RFC 7638 thumbprint of the agent's key (cnf.jkt)
  // The agents that delegated down to this task, most recent first (RFC 8693 `act`), kept
  // here so a decision never reads another task under its own task's lock.
  std::vector<std::string> actors;
  uint64_t parent = 0;             // 0 for a root task
  std::vector<uint64_t> children;  // delegated tasks
};

// "t_" + 16 lowercase hex digits <-> the 64-bit key of the task table.
std::string FormatTaskId(uint64_t id);
bool ParseTaskId(std::string_view text, uint64_t* id);
uint64_t NewTaskKey();  // random, never 0

}  // namespace mandate::authority
