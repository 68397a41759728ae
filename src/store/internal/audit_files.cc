#include "src/store/internal/audit_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <set>

namespace mandate::store::internal {
namespace {

constexpr size_t kSparse = 64;      // one indexed line offset per this many lines
constexpr size_t kSlotBytes = 256;  // one head slot; the head file holds two
constexpr size_t kMaxHashBytes = 128;
constexpr size_t kMaxLineBytes = 64 << 20;  // a longer line is damage, not a record
constexpr std::string_view kSlotMagic = "mandate-audit-head 1 ";

Status IoError(std::string_view what, const std::string& path) {
  return Internal("store.io", std::string(what) + " `" + path + "`: " + std::strerror(errno));
}

Status Corrupt(const std::string& path, std::string what) {
  return {StatusCode::kDataLoss, "store.corrupt", "`" + path + "`: " + std::move(what)};
}

bool StorableHash(std::string_view hash) {
  if (hash.size() > kMaxHashBytes) return false;
  // Written so the compiler checks 16 bytes at a time: every row's two hashes pass through here
  // on each group commit (std::all_of took 11 instructions a byte).
  unsigned char unstorable = 0;
  for (const char ch : hash) {
    const auto c = static_cast<unsigned char>(ch);
    unstorable |= (c <= ' ') | (c >= 0x7f) | (c == '"') | (c == '\\');
  }
  return unstorable == 0;
}

std::string SlotCheck(std::string_view text) {
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, sizeof digest * 2);
}

// `mandate-audit-head 1 <generation> <sequence> <hash> <check>`, padded to a slot.
std::string EncodeSlot(uint64_t generation, const AuditHead& head) {
  std::string text(kSlotMagic);
  text += std::to_string(generation) + " " + std::to_string(head.sequence) + " " +
          (head.hash.empty() ? "-" : head.hash);
  text += " " + SlotCheck(text);
  text.resize(kSlotBytes - 1, ' ');
  text += '\n';
  return text;
}

struct Slot {
  uint64_t generation = 0;
  AuditHead head;
};

bool ParseNumber(std::string_view text, auto& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<Slot> DecodeSlot(std::string_view slot) {
  while (!slot.empty() && (slot.back() == ' ' || slot.back() == '\n')) slot.remove_suffix(1);
  const size_t check_at = slot.rfind(' ');
  if (!slot.starts_with(kSlotMagic) || check_at == std::string_view::npos) return std::nullopt;
  if (SlotCheck(slot.substr(0, check_at)) != slot.substr(check_at + 1)) return std::nullopt;
  std::string_view rest = slot.substr(kSlotMagic.size(), check_at - kSlotMagic.size());
  const size_t a = rest.find(' '), b = rest.find(' ', a + 1);
  if (a == std::string_view::npos || b == std::string_view::npos) return std::nullopt;
  Slot out;
  if (!ParseNumber(rest.substr(0, a), out.generation) ||
      !ParseNumber(rest.substr(a + 1, b - a - 1), out.head.sequence) || out.head.sequence < 0) {
    return std::nullopt;
  }
  std::string_view hash = rest.substr(b + 1);
  if (hash != "-" || out.head.sequence > 0) out.head.hash = std::string(hash);
  return out;
}

void AppendLine(const AuditRow& row, std::string& out) {
  out += "{\"sequence\":";
  out += std::to_string(row.sequence);
  out += ",\"prev_hash\":\"";
  out += row.prev_hash;
  out += "\",\"hash\":\"";
  out += row.hash;
  out += "\",\"record\":";
  out += row.body;
  out += "}\n";
}

bool Expect(std::string_view& text, std::string_view literal) {
  if (!text.starts_with(literal)) return false;
  text.remove_prefix(literal.size());
  return true;
}

// The row of one line (without its '\n'); nullopt when it is not an audit line.
std::optional<AuditRow> ParseLine(std::string_view line) {
  AuditRow row;
  if (!Expect(line, "{\"sequence\":")) return std::nullopt;
  const size_t comma = line.find(',');
  if (comma == std::string_view::npos || !ParseNumber(line.substr(0, comma), row.sequence)) {
    return std::nullopt;
  }
  line.remove_prefix(comma);
  auto quoted = [&](std::string_view key, std::string& out) {
    if (!Expect(line, key)) return false;
    const size_t end = line.find('"');
    if (end == std::string_view::npos) return false;
    out = std::string(line.substr(0, end));
    line.remove_prefix(end + 1);
    return true;
  };
  if (!quoted(",\"prev_hash\":\"", row.prev_hash) || !quoted(",\"hash\":\"", row.hash) ||
      !Expect(line, ",\"record\":") || !line.ends_with('}')) {
    return std::nullopt;
  }
  row.body = std::string(line.substr(0, line.size() - 1));
  return row;
}

// Calls `each(offset, line)` for every complete line of `fd` in [begin, end); returns the offset
// past the last complete line. Reads in large blocks: the log is read front to back.
template <typename Each>
Result<uint64_t> ScanLines(int fd, const std::string& path, uint64_t begin, uint64_t end,
                           Each&& each) {
  std::string buffer;
  uint64_t base = begin;  // file offset of buffer[0]
  size_t block = 1 << 20;
  while (base < end) {
    const size_t kept = buffer.size();
    const size_t want = static_cast<size_t>(std::min<uint64_t>(block, end - base - kept));
    if (want == 0) break;  // a partial line runs to `end`
    buffer.resize(kept + want);
    const ssize_t got = pread(fd, buffer.data() + kept, want, static_cast<off_t>(base + kept));
    if (got < 0) return Err(IoError("read audit log", path));
    buffer.resize(kept + static_cast<size_t>(got));
    if (got == 0) break;  // the file is shorter than `end`
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(buffer.data() + start, '\n', buffer.size() - start);
      if (nl == nullptr) break;
      const size_t stop = static_cast<const char*>(nl) - buffer.data();
      if (!each(base + start, std::string_view(buffer).substr(start, stop - start))) {
        return base + stop + 1;
      }
      start = stop + 1;
    }
    buffer.erase(0, start);
    base += start;
    if (buffer.size() > kMaxLineBytes) return Err(Corrupt(path, "a line longer than 64 MiB"));
    if (buffer.size() >= block / 2) block *= 2;  // a long line: read more at once
  }
  return base;
}

Status WriteAll(int fd, std::string_view bytes, uint64_t offset, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace

// One chain's log and head. Lines below `end_` never change once indexed (appends only add;
// a failed append is cut back to `end_`), so reads copy the offsets under `mu_` and read the
// file without it.
class AuditChainFile {
 public:
  AuditChainFile(std::string log_path, std::string head_path, Durability durability)
      : log_path_(std::move(log_path)), head_path_(std::move(head_path)), durability_(durability) {}
  ~AuditChainFile() {
    if (head_map_ != nullptr) munmap(head_map_, 2 * kSlotBytes);
    if (log_fd_ >= 0) close(log_fd_);  // also releases the writer's flock
    if (head_fd_ >= 0) close(head_fd_);
  }

  Status Append(std::span<const AuditRow> rows, const std::string& dir) {
    std::lock_guard lock(mu_);
    if (!failure_.ok()) return failure_;
    if (!writer_) {
      if (Status s = BecomeWriter(dir); !s.ok()) return s;
    }
    int64_t sequence = head_.sequence;
    std::string_view hash = head_.hash;
    size_t bytes = 0;
    for (const AuditRow& row : rows) {
      if (row.sequence != sequence + 1 || (sequence > 0 && row.prev_hash != hash)) {
        return {StatusCode::kAborted, "audit.chain_conflict",
                "record " + std::to_string(row.sequence) + " does not continue the head at " +
                    std::to_string(sequence) + " (another writer on this chain?)"};
      }
      if (!StorableHash(row.prev_hash) || !StorableHash(row.hash) ||
          row.body.find('\n') != std::string::npos) {
        return InvalidArgument("audit.unstorable",
                               "record " + std::to_string(row.sequence) +
                                   ": hashes must be printable without quotes or spaces, and "
                                   "the body a single line");
      }
      sequence = row.sequence;
      hash = row.hash;
      bytes += row.prev_hash.size() + row.hash.size() + row.body.size() + 64;
    }
    std::string& out = lines_buffer_;  // reused: one group commit after another
    out.clear();
    if (out.capacity() > (1 << 20) && bytes < (1 << 20)) out.shrink_to_fit();  // after a burst
    out.reserve(bytes);
    std::vector<uint64_t> starts;  // offsets of the lines that start a sparse-index block
    for (size_t i = 0; i < rows.size(); ++i) {
      if ((lines_ + i) % kSparse == 0 && lines_ + i > 0) starts.push_back(end_ + out.size());
      AppendLine(rows[i], out);
    }
    const AuditHead next{rows.back().sequence, rows.back().hash};
    const std::string slot = EncodeSlot(generation_ + 1, next);
    Status s = WriteAll(log_fd_, out, end_, log_path_);
    if (s.ok() && durability_ == Durability::kPower && fdatasync(log_fd_) != 0) {
      s = IoError("sync", log_path_);
    }
    if (s.ok()) {
      const uint64_t at = ((generation_ + 1) % 2) * kSlotBytes;
      if (head_map_ != nullptr) {
        std::memcpy(head_map_ + at, slot.data(), kSlotBytes);
      } else {
        s = WriteAll(head_fd_, slot, at, head_path_);
      }
    }
    if (s.ok() && durability_ == Durability::kPower && fdatasync(head_fd_) != 0) {
      // The slot may be on disk or not: only a reopen can tell which head is current.
      failure_ = IoError("sync", head_path_);
      return failure_;
    }
    if (!s.ok()) {
      // Nothing was acknowledged: cut the lines again, or refuse every later append.
      if (ftruncate(log_fd_, static_cast<off_t>(end_)) != 0) failure_ = s;
      return s;
    }
    sparse_.insert(sparse_.end(), starts.begin(), starts.end());
    end_ += out.size();
    lines_ += rows.size();
    visible_ = lines_;
    head_ = next;
    ++generation_;
    return {};
  }

  Result<std::vector<AuditRow>> Read(int64_t from, size_t limit) {
    if (from < 1) from = 1;
    uint64_t begin = 0, end = 0;
    size_t skip = 0;
    {
      std::lock_guard lock(mu_);
      if (Status s = Refresh(); !s.ok()) return Err(s);
      if (static_cast<uint64_t>(from) > visible_ || limit == 0) return std::vector<AuditRow>{};
      limit = static_cast<size_t>(std::min<uint64_t>(limit, visible_ - from + 1));
      const uint64_t index = static_cast<uint64_t>(from - 1);
      begin = sparse_[index / kSparse];
      skip = index % kSparse;
      end = end_;
    }
    std::vector<AuditRow> rows;
    Status bad;
    auto scanned =
        ScanLines(log_fd_, log_path_, begin, end, [&](uint64_t offset, std::string_view line) {
          if (skip > 0) return --skip, true;
          auto row = ParseLine(line);
          if (!row) {
            bad = Corrupt(log_path_,
                          "the line at byte " + std::to_string(offset) + " is not an audit record");
            return false;
          }
          rows.push_back(std::move(*row));
          return rows.size() < limit;
        });
    if (!scanned) return Err(scanned.error());
    if (!bad.ok()) return Err(bad);
    return rows;
  }

  Result<int64_t> Count() {
    std::lock_guard lock(mu_);
    if (Status s = Refresh(); !s.ok()) return Err(s);
    return static_cast<int64_t>(visible_);
  }

  Result<AuditHead> Head() {
    std::lock_guard lock(mu_);
    if (writer_) return head_;
    auto slot = ReadHead();
    if (!slot) return Err(slot.error());
    return slot->head;
  }

 private:
  // Opens the files for appending, takes the chain's lock and cuts what the last writer left
  // unacknowledged. REQUIRES: mu_ held.
  Status BecomeWriter(const std::string& dir) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("create", dir);
    const int log_fd = open(log_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (log_fd < 0) return IoError("open", log_path_);
    if (flock(log_fd, LOCK_EX | LOCK_NB) != 0) {
      close(log_fd);
      return {StatusCode::kUnavailable, "audit.chain_locked",
              "`" + log_path_ + "`: another process appends to this audit chain"};
    }
    if (head_map_ != nullptr) munmap(head_map_, 2 * kSlotBytes);
    head_map_ = nullptr;
    if (head_fd_ >= 0) close(head_fd_);
    head_fd_ = open(head_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (head_fd_ < 0) {
      close(log_fd);
      return IoError("open", head_path_);
    }
    if (log_fd_ < 0) {
      log_fd_ = log_fd;
    } else {  // a reader may be using log_fd_ unlocked: swap the file description under it
      if (dup2(log_fd, log_fd_) < 0) {
        close(log_fd);
        return IoError("reopen", log_path_);
      }
      close(log_fd);  // the flock stays with the description, now held by log_fd_
    }
    if (durability_ == Durability::kPower) {  // the new names must survive a power loss too
      const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd < 0 || fsync(dir_fd) != 0) {
        if (dir_fd >= 0) close(dir_fd);
        return IoError("sync", dir);
      }
      close(dir_fd);
    }
    ResetIndex();
    if (Status s = Refresh(); !s.ok()) return s;  // also reads the head
    if (Status s = CutUnacknowledged(); !s.ok()) return s;
    if (durability_ == Durability::kProcess) {
      if (Status s = MapHeadSlots(); !s.ok()) return s;
    }
    visible_ = lines_;
    writer_ = true;
    return {};
  }

  // With process durability the head slots are written through a shared mapping of the head
  // file: a store instead of a pwrite (and its inode update) per group commit. It is the page
  // cache a pwrite reaches, so a killed process leaves the same bytes, and readers see them; a
  // slot torn by a kill fails its check and the other slot is the head. The file's bytes are
  // written first, so a store never needs a block on a full disk (SIGBUS).
  Status MapHeadSlots() {
    struct stat st {};
    if (fstat(head_fd_, &st) != 0) return IoError("stat", head_path_);
    const auto size = static_cast<size_t>(st.st_size);
    if (size < 2 * kSlotBytes) {
      const std::string zeros(2 * kSlotBytes - size, '\0');
      if (Status s = WriteAll(head_fd_, zeros, size, head_path_); !s.ok()) return s;
    }
    void* map = mmap(nullptr, 2 * kSlotBytes, PROT_READ | PROT_WRITE, MAP_SHARED, head_fd_, 0);
    if (map == MAP_FAILED) return IoError("map", head_path_);
    head_map_ = static_cast<char*>(map);
    return {};
  }

  // Drops trailing lines past the head (written, never acknowledged) and a torn last line.
  // A line that does not parse stops the cut: that is damage for `audit verify` to report.
  // REQUIRES: mu_ held, the flock taken.
  Status CutUnacknowledged() {
    while (lines_ > 0) {
      const uint64_t block = (lines_ - 1) / kSparse;
      std::vector<std::pair<uint64_t, int64_t>> tail;  // offset, sequence of each line
      auto scanned = ScanLines(log_fd_, log_path_, sparse_[block], end_,
                               [&](uint64_t offset, std::string_view line) {
                                 auto row = ParseLine(line);
                                 tail.emplace_back(offset, row ? row->sequence : -1);
                                 return true;
                               });
      if (!scanned) return scanned.error();
      bool stop = false;
      while (!tail.empty() && !stop) {
        if (tail.back().second <= head_.sequence) {  // parsed and acknowledged, or damaged
          stop = true;
          break;
        }
        end_ = tail.back().first;
        --lines_;
        tail.pop_back();
      }
      if (tail.empty()) sparse_.resize(block);
      if (stop) break;
    }
    if (sparse_.empty()) sparse_.push_back(0);
    struct stat st {};
    if (fstat(log_fd_, &st) != 0) return IoError("stat", log_path_);
    if (static_cast<uint64_t>(st.st_size) != end_ &&
        ftruncate(log_fd_, static_cast<off_t>(end_)) != 0) {
      return IoError("cut the unacknowledged tail of", log_path_);
    }
    return {};
  }

  // Indexes the complete lines another process appended since the last look (the writer has
  // them all already). Lines past the head are not shown: they were never acknowledged (being
  // written, or left by a crash for the next writer to cut). The head is read first, so the
  // log then holds every line it anchors. REQUIRES: mu_ held.
  Status Refresh() {
    if (writer_) return {};
    auto slot = ReadHead();
    if (!slot) return slot.error();
    head_ = slot->head;
    generation_ = slot->generation;
    visible_ = 0;
    if (log_fd_ < 0) {
      log_fd_ = open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (log_fd_ < 0) return errno == ENOENT ? Status() : IoError("open", log_path_);
      ResetIndex();
    }
    struct stat st {};
    if (fstat(log_fd_, &st) != 0) return IoError("stat", log_path_);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < end_) ResetIndex();  // a writer cut an unacknowledged tail we had indexed
    if (size > end_) {
      auto scanned =
          ScanLines(log_fd_, log_path_, end_, size, [&](uint64_t offset, std::string_view) {
            if (lines_ % kSparse == 0 && lines_ > 0) sparse_.push_back(offset);
            ++lines_;
            return true;
          });
      if (!scanned) return scanned.error();
      end_ = *scanned;
    }
    visible_ = std::min(lines_, static_cast<uint64_t>(head_.sequence));
    return {};
  }

  void ResetIndex() {
    sparse_.assign(1, 0);
    lines_ = 0;
    end_ = 0;
  }

  // The newer valid slot of the head file; the empty head when there is none yet.
  // REQUIRES: mu_ held.
  Result<Slot> ReadHead() {
    int fd = head_fd_;
    if (fd < 0) {
      fd = open(head_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return errno == ENOENT ? Result<Slot>(Slot{}) : Err(IoError("open", head_path_));
    }
    char buffer[2 * kSlotBytes];
    const ssize_t got = pread(fd, buffer, sizeof buffer, 0);
    if (fd != head_fd_) close(fd);
    if (got < 0) return Err(IoError("read", head_path_));
    std::optional<Slot> best;
    for (size_t at = 0; at + kSlotBytes <= static_cast<size_t>(got); at += kSlotBytes) {
      auto slot = DecodeSlot(std::string_view(buffer + at, kSlotBytes));
      if (slot && (!best || slot->generation > best->generation)) best = slot;
    }
    if (best) return *best;
    // No slot written yet: an empty file, or the writer's zeros before its first commit.
    if (std::all_of(buffer, buffer + got, [](char c) { return c == '\0'; })) return Slot{};
    return Err(Corrupt(head_path_, "no valid head slot"));
  }

  const std::string log_path_, head_path_;
  const Durability durability_;
  std::mutex mu_;
  int log_fd_ = -1;                  // GUARDED_BY(mu_) (set once it exists; reads use it unlocked)
  int head_fd_ = -1;                 // GUARDED_BY(mu_)
  char* head_map_ = nullptr;         // GUARDED_BY(mu_): the head file's two slots, mapped
  bool writer_ = false;              // GUARDED_BY(mu_): this process holds the chain's flock
  Status failure_;                   // GUARDED_BY(mu_): set when the log may hold unacked lines
  AuditHead head_;                   // GUARDED_BY(mu_): the writer's head, or the last one read
  uint64_t generation_ = 0;          // GUARDED_BY(mu_): of the head slot last written
  uint64_t end_ = 0;                 // GUARDED_BY(mu_): offset past the last indexed line
  uint64_t lines_ = 0;               // GUARDED_BY(mu_): complete lines indexed
  uint64_t visible_ = 0;             // GUARDED_BY(mu_): of which readers see (up to the head)
  std::vector<uint64_t> sparse_{0};  // GUARDED_BY(mu_): offset of line i * kSparse
  std::string lines_buffer_;         // GUARDED_BY(mu_): Append's lines, kept for the next one
};

std::string ChainFileStem(std::string_view chain) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < chain.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(chain[i]);
    if (std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out.empty() ? "%" : out;  // the empty chain
}

std::optional<std::string> ChainFromFileStem(std::string_view stem) {
  if (stem == "%") return std::string();
  std::string out;
  for (size_t i = 0; i < stem.size(); ++i) {
    if (stem[i] != '%') {
      out += stem[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= stem.size()) return std::nullopt;
    auto [end, ec] = std::from_chars(stem.data() + i + 1, stem.data() + i + 3, value, 16);
    if (ec != std::errc() || end != stem.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  if (ChainFileStem(out) != stem) return std::nullopt;
  return out;
}

AuditFiles::AuditFiles(std::string dir, Durability durability)
    : dir_(std::move(dir)), durability_(durability) {}
AuditFiles::~AuditFiles() = default;

Result<AuditChainFile*> AuditFiles::Chain(std::string_view chain) {
  std::lock_guard lock(mu_);
  auto it = chains_.find(chain);
  if (it == chains_.end()) {
    const std::string stem = dir_ + "/" + ChainFileStem(chain);
    it = chains_
             .emplace(std::string(chain),
                      std::make_unique<AuditChainFile>(stem + ".log", stem + ".head", durability_))
             .first;
  }
  return it->second.get();
}

Status AuditFiles::Append(std::string_view chain, std::span<const AuditRow> rows) {
  if (rows.empty()) return {};
  auto file = Chain(chain);
  if (!file) return file.error();
  return (*file)->Append(rows, dir_);  // the audit log names the chain
}

Result<std::vector<AuditRow>> AuditFiles::Read(std::string_view chain, int64_t from_sequence,
                                               size_t limit) {
  auto file = Chain(chain);
  if (!file) return Err(file.error());
  return (*file)->Read(from_sequence, limit);
}

Result<int64_t> AuditFiles::Count(std::string_view chain) {
  auto file = Chain(chain);
  if (!file) return Err(file.error());
  return (*file)->Count();
}

Result<AuditHead> AuditFiles::Head(std::string_view chain) {
  auto file = Chain(chain);
  if (!file) return Err(file.error());
  return (*file)->Head();
}

Result<std::vector<std::string>> AuditFiles::Chains() {
  std::set<std::string> names;
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return Err(IoError("list", dir_));
  }
  while (const dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    for (std::string_view suffix : {".log", ".head"}) {
      if (!name.ends_with(suffix)) continue;
      if (auto chain = ChainFromFileStem(name.substr(0, name.size() - suffix.size()))) {
        names.insert(std::move(*chain));
      }
    }
  }
  closedir(dir);
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace mandate::store::internal
