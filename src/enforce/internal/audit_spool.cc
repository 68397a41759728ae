#include "src/enforce/internal/audit_spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <map>

#include "src/json/json.h"
#include "src/util/file.h"

namespace mandate::enforce::internal {
namespace {

Status SpoolError(const std::string& what, const std::string& path) {
  return Status(StatusCode::kUnavailable, "audit.spool",
                what + " `" + path + "`: " + std::strerror(errno));
}

std::string FilePath(const std::string& dir, std::string_view instance, int index) {
  return dir + "/" + std::string(instance) + "." + std::to_string(index);
}

std::string LinePrefix(int64_t sequence) {
  return "{\"sequence\":" + std::to_string(sequence) + ",\"record\":";
}

// Adds the records of one spool file to `out` (by sequence). A last line without its newline
// was being written when the process died: its call was never answered, so it is not a record.
Status ReadSpoolFile(const std::string& path, std::map<int64_t, std::string>& out) {
  // Unbounded: a spool holds whatever the authority could not take before the grace ran out.
  auto text = ReadFileBytes(path, std::numeric_limits<size_t>::max());
  if (!text) return Status(StatusCode::kUnavailable, "audit.spool", text.error().message());
  std::string_view rest = *text;
  for (int line_number = 1; !rest.empty(); ++line_number) {
    const size_t end = rest.find('\n');
    if (end == std::string_view::npos) break;  // torn last line
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    auto damaged = [&](const std::string& why) {
      return Status(StatusCode::kDataLoss, "audit.spool",
                    "`" + path + "` line " + std::to_string(line_number) + ": " + why +
                        "; move the file aside to start (its records are not delivered)");
    };
    auto parsed = json::Parse(line);
    if (!parsed) return damaged(parsed.error().message());
    const auto* object = parsed->if_object();
    const auto* sequence = object ? object->if_contains("sequence") : nullptr;
    const auto* record = object ? object->if_contains("record") : nullptr;
    if (object == nullptr || object->size() != 2 || sequence == nullptr || !sequence->is_int64() ||
        sequence->as_int64() < 1 || record == nullptr || !record->is_object()) {
      return damaged("not {\"sequence\":N,\"record\":{...}}");
    }
    const std::string prefix = LinePrefix(sequence->as_int64());
    if (!line.starts_with(prefix) || !line.ends_with("}")) return damaged("not in spool form");
    out[sequence->as_int64()] =
        std::string(line.substr(prefix.size(), line.size() - prefix.size() - 1));
  }
  return Status();
}

// A running process holds an exclusive flock on its spool files (gone with the process): such
// files are another live gateway's on a shared folder, not left over.
bool HeldByALiveProcess(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SpoolError("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status();
}

}  // namespace

AuditSpool::~AuditSpool() {
  for (File& f : files_) {
    if (f.fd >= 0) close(f.fd);
  }
}

Status AuditSpool::Open(const std::string& dir, const std::string& instance) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return SpoolError("create", dir);
  dir_ = dir;
  instance_ = instance;
  for (int i = 0; i < 2; ++i) {
    const std::string path = FilePath(dir_, instance_, i);
    files_[i].fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (files_[i].fd < 0) return SpoolError("create", path);
    if (flock(files_[i].fd, LOCK_EX | LOCK_NB) != 0) return SpoolError("lock", path);
  }
  return Status();
}

Status AuditSpool::Append(int64_t sequence, std::string_view record_json) {
  if (!enabled()) return Status();
  std::string line = LinePrefix(sequence);
  line.append(record_json).append("}\n");
  MANDATE_RETURN_IF_ERROR(WriteAll(files_[current_].fd, line, FilePath(dir_, instance_, current_)));
  files_[current_].last_sequence = sequence;
  return Status();
}

Status AuditSpool::Delivered(int64_t sequence) {
  if (!enabled()) return Status();
  File& other = files_[1 - current_];
  if (other.last_sequence > sequence) return Status();
  if (other.last_sequence != 0 && ftruncate(other.fd, 0) != 0) {
    return SpoolError("empty", FilePath(dir_, instance_, 1 - current_));
  }
  other.last_sequence = 0;
  current_ = 1 - current_;
  return Status();
}

void AuditSpool::Remove() {
  if (!enabled()) return;
  for (File& f : files_) {
    close(f.fd);
    f.fd = -1;
  }
  Forget(dir_, instance_);
}

Result<std::vector<AuditSpool::Run>> AuditSpool::Recover(const std::string& dir,
                                                         std::string_view own_instance) {
  std::map<std::string, std::map<int64_t, std::string>> by_instance;
  DIR* listing = opendir(dir.c_str());
  if (listing == nullptr) {
    if (errno == ENOENT) return std::vector<Run>{};
    return Err(SpoolError("list", dir));
  }
  std::vector<std::string> names;
  while (const dirent* entry = readdir(listing)) names.emplace_back(entry->d_name);
  closedir(listing);
  for (const std::string& name : names) {
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0 ||
        (name.substr(dot) != ".0" && name.substr(dot) != ".1")) {
      continue;  // not a spool file (the folder may hold others)
    }
    const std::string instance = name.substr(0, dot);
    if (instance == own_instance || HeldByALiveProcess(dir + "/" + name)) continue;
    MANDATE_RETURN_IF_ERROR(ReadSpoolFile(dir + "/" + name, by_instance[instance]));
  }
  std::vector<Run> runs;
  for (auto& [instance, records] : by_instance) {
    Run* run = nullptr;
    for (auto& [sequence, text] : records) {
      if (run == nullptr ||
          run->first_sequence + static_cast<int64_t>(run->records.size()) != sequence) {
        run = &runs.emplace_back(Run{instance, sequence, {}});
      }
      run->records.push_back(std::move(text));
    }
    if (records.empty()) runs.push_back(Run{instance, 0, {}});  // empty files: just forget them
  }
  return runs;
}

void AuditSpool::Forget(const std::string& dir, std::string_view instance) {
  for (int i = 0; i < 2; ++i) unlink(FilePath(dir, instance, i).c_str());
}

}  // namespace mandate::enforce::internal
