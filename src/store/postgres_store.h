// The scale-out PostgreSQL backend (libpq; see store.h for the contract). Several Mandate
// replicas share one database; revocations fan out to every replica's subscribers through
// LISTEN/NOTIFY (channel `mandate_revocations`, payload the event id), and a listener that
// loses its connection reconnects and catches up from the last id it delivered.
// Revocation ids and audit appends take transaction-scoped advisory locks, so ids are assigned
// in commit order and a chain has one writer at a time.
// Thread-safety: thread-safe (one connection under a mutex, plus one listener thread).
#pragma once

#include <memory>
#include <string>

#include "src/store/store.h"

namespace mandate::store {

// Connects to `conninfo` (a libpq URI or key=value string) and creates or checks the schema
// in the connection's search_path.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                               const StoreOptions& options);

}  // namespace mandate::store
