// AuditSpool: the enforcement point's write-ahead file for the audit records of the decisions
// it takes itself, so that a killed process (kill -9, a crash) loses none of the records of
// calls it answered: DecisionAudit writes each record here before the call is answered, and
// the next process started on the same folder delivers what the authority may not have.
//
// Layout: a folder of files `<instance>.0` and `<instance>.1` per process (its random instance
// id), one line per record, `{"sequence":N,"record":{...}}` (the record as a batch carries it).
// A process writes its two files in turn: once every record of the file it is not writing was
// delivered, it empties that file and writes there next, so each holds about one delivery
// interval of records. A clean stop removes both. The authority skips records it already has
// by (instance, sequence), so a resent record is never appended twice. A process holds an
// flock on its files, so gateways sharing a folder never take each other's live files.
// The writes are write() calls into the page cache: what they survive is a process's death,
// not a power loss (as the embedded store's `process` durability).
// Thread-safety: none; DecisionAudit calls it under its lock (Recover: before any writer).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/status.h"

namespace mandate::enforce::internal {

class AuditSpool {
 public:
  // The records another process left: consecutive sequences of one instance.
  struct Run {
    std::string instance;
    int64_t first_sequence = 0;
    std::vector<std::string> records;  // each a record's JSON object text
  };

  AuditSpool() = default;  // a spool that keeps nothing (no folder configured)
  ~AuditSpool();
  AuditSpool(const AuditSpool&) = delete;
  AuditSpool& operator=(const AuditSpool&) = delete;

  // Creates `dir` if needed and this instance's two files. Errors: `audit.spool` (I/O).
  [[nodiscard]] Status Open(const std::string& dir, const std::string& instance);
  bool enabled() const { return files_[0].fd >= 0; }

  // Appends record `sequence` (its JSON object text) before its call is answered.
  [[nodiscard]] Status Append(int64_t sequence, std::string_view record_json);
  // Every record up to `sequence` is in the authority's trail.
  [[nodiscard]] Status Delivered(int64_t sequence);
  // Removes this instance's files (every record delivered).
  void Remove();

  // What the spool folder holds from instances no live process holds (never `own_instance`),
  // in sequence runs;
  // a torn last line (a process killed inside its write) is not a record and is left out.
  // Errors: `audit.spool` (unreadable folder or file, or a damaged line before the last).
  [[nodiscard]] static Result<std::vector<Run>> Recover(const std::string& dir,
                                                        std::string_view own_instance);
  // Removes the files of `instance` (its runs were delivered).
  static void Forget(const std::string& dir, std::string_view instance);

 private:
  struct File {
    int fd = -1;
    int64_t last_sequence = 0;  // of its last record; 0 while empty
  };
  std::string dir_, instance_;
  std::array<File, 2> files_;
  int current_ = 0;  // the file records go to
};

}  // namespace mandate::enforce::internal
