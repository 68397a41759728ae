#include "src/store/store.h"

#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <sstream>

#include "src/store/internal/sealer.h"
#include "src/store/postgres_store.h"
#include "src/store/sqlite_store.h"
#include "src/util/file.h"

namespace mandate::store {
namespace {

template <typename Enum, size_t N>
Result<Enum> ParseName(const std::array<std::string_view, N>& names, std::string_view name,
                       std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return Err(InvalidArgument(std::string(what) + ".unknown",
                             "unknown " + std::string(what) + " `" + std::string(name) + "`"));
}

constexpr std::array<std::string_view, 5> kTaskStates = {"active", "completed", "failed", "expired",
                                                         "revoked"};
constexpr std::array<std::string_view, 6> kScopes = {"credential", "task",  "agent",
                                                     "mandate",    "owner", "all"};
constexpr std::array<std::string_view, 2> kDurabilities = {"process", "power"};
constexpr std::array<std::string_view, 4> kApprovalStates = {"pending", "approved", "denied",
                                                             "expired"};

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The database file for a sqlite location: a directory (existing, or any path not ending in
// `.db`) holds mandate.db; it is created (one level) when missing.
Result<std::string> SqliteFile(std::string path) {
  if (path.empty()) return Err(InvalidArgument("store.url", "empty sqlite path"));
  bool is_file = path.size() > 3 && path.ends_with(".db") && !IsDirectory(path);
  if (is_file) return path;
  if (!IsDirectory(path) && mkdir(path.c_str(), 0700) != 0) {
    return Err(InvalidArgument("store.url", "cannot create data directory `" + path + "`"));
  }
  return path + "/mandate.db";
}

Result<std::string> HexKey(std::string text, std::string_view source) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  auto bad = [&] {
    return Err(InvalidArgument("store.master_key",
                               std::string(source) + ": want 64 hex digits (32 bytes)"));
  };
  if (text.size() != internal::kMasterKeyBytes * 2) return bad();
  std::string key;
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    std::istringstream in(text.substr(i, 2));
    if (!std::isxdigit(static_cast<unsigned char>(text[i])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 1])) || !(in >> std::hex >> value)) {
      return bad();
    }
    key.push_back(static_cast<char>(value));
  }
  return key;
}

}  // namespace

std::string_view TaskStateName(TaskState s) { return kTaskStates.at(static_cast<size_t>(s)); }
Result<TaskState> ParseTaskState(std::string_view name) {
  return ParseName<TaskState>(kTaskStates, name, "task_state");
}
std::string_view RevocationScopeName(RevocationScope s) {
  return kScopes.at(static_cast<size_t>(s));
}
Result<RevocationScope> ParseRevocationScope(std::string_view name) {
  return ParseName<RevocationScope>(kScopes, name, "revocation_scope");
}
std::string_view ApprovalStateName(ApprovalState s) {
  return kApprovalStates.at(static_cast<size_t>(s));
}
Result<ApprovalState> ParseApprovalState(std::string_view name) {
  return ParseName<ApprovalState>(kApprovalStates, name, "approval_state");
}

std::string_view DurabilityName(Durability d) { return kDurabilities.at(static_cast<size_t>(d)); }
Result<Durability> ParseDurability(std::string_view name) {
  return ParseName<Durability>(kDurabilities, name, "durability");
}

Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const StoreOptions& options) {
  if (!options.master_key.empty() && options.master_key.size() != internal::kMasterKeyBytes) {
    return Err(InvalidArgument("store.master_key", "master key must be 32 bytes"));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenPostgresStore(std::string(url), options);
  }
  std::string path(url);
  if (url.starts_with("sqlite://")) {
    path = std::string(url.substr(9));
  } else if (url.find("://") != std::string_view::npos) {
    return Err(InvalidArgument("store.url", "unknown store scheme in `" + std::string(url) +
                                                "`: want sqlite:// or postgresql://"));
  }
  auto file = SqliteFile(path);
  if (!file) return Err(file.error());
  return OpenSqliteStore(*file, options);
}

Result<std::string> LoadMasterKey() {
  if (const char* file = std::getenv("MANDATE_MASTER_KEY_FILE"); file != nullptr && *file) {
    auto text = ReadFileBytes(file, 4096);
    if (!text) {
      return Err(InvalidArgument("store.master_key", "master key: " + text.error().message()));
    }
    return HexKey(std::move(*text), "master key file `" + std::string(file) + "`");
  }
  if (const char* hex = std::getenv("MANDATE_MASTER_KEY"); hex != nullptr && *hex) {
    return HexKey(hex, "MANDATE_MASTER_KEY");
  }
  return std::string();
}

}  // namespace mandate::store
