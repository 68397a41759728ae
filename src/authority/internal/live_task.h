// LiveTask: what the authority keeps in memory per live task. Kept small (the budget is 1 KiB
// per live task with its index entry): the progress is a fixed 96-byte value, strings are the
// few that identify the task, and inputs are stored once in the form guards read them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/mandate/attenuation.h"
#include "src/mandate/chain.h"
#include "src/store/store.h"

namespace mandate::authority {

struct LiveTask {
  uint64_t parent = 0;   // 0 for a root task
  uint32_t mandate = 0;  // index into the authority's compiled mandates
  store::TaskState state = store::TaskState::kActive;
  bool dirty = false;  // progress changed since the last checkpoint to the store
  int64_t created_us = 0;
  int64_t deadline_us = 0;
  int64_t last_call_us = 0;
  int64_t progress_seq = 0;  // audit sequence of the last decision reflected in `progress`
  std::string agent;
  std::string jkt;            // RFC 7638 thumbprint of the agent's key (cnf.jkt)
  TaskInputs inputs;          // bound task inputs (resource patterns use them)
  cedar::Value inputs_value;  // the same, as the Cedar record guards see as context.inputs
  TaskProgress progress;
  std::vector<uint64_t> children;  // delegated tasks
  // A delegated task: what its parent handed on (null for a root task). Its calls must stay
  // inside it; `jkt` stays empty until the delegatee starts the task with its own key.
  std::shared_ptr<const Grant> grant;
  std::string principal;  // the user the task acts for (on behalf of); empty when none
  // The agents that delegated down to this task, most recent first (RFC 8693 `act`), kept
  // here so a decision never reads another task under its own task's lock.
  std::vector<std::string> actors;
};

// "t_" + 16 lowercase hex digits <-> the 64-bit key of the task table.
std::string FormatTaskId(uint64_t id);
bool ParseTaskId(std::string_view text, uint64_t* id);
uint64_t NewTaskKey();  // random, never 0

}  // namespace mandate::authority
