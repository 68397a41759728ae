// The embedded SQLite backend (see store.h for the contract). WAL journal with
// synchronous=FULL: every commit fsyncs the WAL, so an acknowledged write survives kill -9 and
// power loss; callers batch (audit group commit, PutTasks) to amortise the fsync.
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
