// Task persistence: the authority's live tasks as store records (checkpoints), their rebuild
// at start, and the Cedar form of task inputs.
//
// Durability: a task start and every terminal transition are written synchronously. Progress
// (calls, counts, labels) is checkpointed in batches by Checkpoint(); every allowed decision's
// audit record carries the progress after it, so Recover() replays the audit trail from the
// oldest checkpoint and no acknowledged decision is forgotten after `kill -9`.
#pragma once

#include "src/authority/internal/impl.h"

namespace mandate::authority {

// Loads revocations and live tasks, then replays allowed decisions newer than each checkpoint.
Status Recover(Authority::Impl& impl);
// Writes every task whose progress changed since its last checkpoint, in one batch.
Status Checkpoint(Authority::Impl& impl);

// An ended task as the store keeps it: what it was, and what it did (calls, steps, labels read,
// from its last record) while its mandate version is still loaded.
TaskView EndedTaskView(const Authority::Impl& impl, const store::TaskRecord& record);

// Task inputs as the Cedar record guards read as `context.inputs`.
cedar::Value InputsValue(const Mandate& mandate, const TaskInputs& inputs);

}  // namespace mandate::authority
