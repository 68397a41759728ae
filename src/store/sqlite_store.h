// The embedded SQLite backend (see store.h for the contract). WAL journal; synchronous=NORMAL
// for Durability::kProcess (a commit is a write() into the WAL: survives kill -9, and a power
// loss can only lose the last commits) or FULL for kPower (every commit fsyncs the WAL: also
// survives power loss). Callers batch (audit group commit, PutTasks) to amortise the commit.
// Single process: revocation subscribers see this process's appends only.
// Thread-safety: thread-safe (one connection under a mutex).
#pragma once

#include <memory>
#include <string>

#include "src/store/store.h"

namespace mandate::store {

// Opens or creates the database file at `path`. REQUIRES: master_key empty or 32 bytes.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                             const StoreOptions& options);

}  // namespace mandate::store
