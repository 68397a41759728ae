// AuditFiles: the embedded store's audit trail, kept beside the SQLite database as one
// append-only text log per chain (docs/audit-storage.md has the design and the reasons):
//
//   <db>-audit/<chain>.log    one line per record, in sequence order, each a JSON object:
//                             {"sequence":N,"prev_hash":"..","hash":"..","record":<body>}
//   <db>-audit/<chain>.head   the anchored head: two 256-byte text slots written in turn, each
//                             `mandate-audit-head 1 <generation> <sequence> <hash> <check>`
//                             (check = BLAKE2b-128 of the rest); the valid slot with the
//                             higher generation is the head.
//
// A group commit is one pwrite of all its lines, then a write of the next head slot: a store
// into a shared mapping of the head file (the same page cache, no system call), or with
// Durability::kPower a pwrite, and an fdatasync after each. The head write is the commit point:
// lines past the head were never acknowledged, and the process that next appends to the chain cuts
// them (with a torn last line) before it writes. A reader stops at the last complete line, so it
// never sees a half-written record. Files that are not the writer's are never changed.
// One process appends to a chain (an flock on its log, taken at the first append; another
// process gets Unavailable `audit.chain_locked`); any number may read.
//
// Thread-safety: thread-safe; a mutex per chain (appends to different chains run in parallel).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/store/store.h"

namespace mandate::store::internal {

class AuditChainFile;

class AuditFiles {
 public:
  // `dir` is created at the first append. REQUIRES: nothing else writes into `dir`.
  AuditFiles(std::string dir, Durability durability);
  ~AuditFiles();

  // The Store audit methods (same contracts as store.h). Append also refuses, with
  // InvalidArgument `audit.unstorable`, a row whose hashes hold quotes, backslashes, spaces or
  // control characters (or exceed 128 bytes), or whose body holds a line break.
  Status Append(std::string_view chain, std::span<const AuditRow> rows);
  Result<std::vector<AuditRow>> Read(std::string_view chain, int64_t from_sequence, size_t limit);
  Result<int64_t> Count(std::string_view chain);
  Result<AuditHead> Head(std::string_view chain);
  Result<std::vector<std::string>> Chains();

  const std::string& dir() const { return dir_; }

 private:
  Result<AuditChainFile*> Chain(std::string_view chain);

  const std::string dir_;
  const Durability durability_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<AuditChainFile>, std::less<>> chains_;  // GUARDED_BY(mu_)
};

// File name stem of `chain`: letters, digits, `_`, `-` and (not first) `.` as they are; any
// other byte as %XX. ChainFromFileStem reverses it (nullopt for a name it did not make).
std::string ChainFileStem(std::string_view chain);
std::optional<std::string> ChainFromFileStem(std::string_view stem);

}  // namespace mandate::store::internal
