// Reading a small file whole: configuration, mandates, trust bundles, keys and tokens. One
// reader for all of them, bounded, so that a log or a device named by mistake is a clear error
// and not the process's memory.
#pragma once

#include <cstddef>
#include <string>

#include "src/util/status.h"

namespace mandate {

// What the files Mandate reads whole may weigh unless the caller says otherwise.
inline constexpr size_t kMaxReadFileBytes = size_t{16} << 20;

// The file's bytes. Errors: `file.unreadable` (kNotFound: it cannot be opened or read; the
// message names the path and the system's reason) and `file.too_large` (kInvalidArgument: more
// than `max_bytes`). Callers add their own context or code.
[[nodiscard]] Result<std::string> ReadFileBytes(const std::string& path,
                                                size_t max_bytes = kMaxReadFileBytes);

// A token, key or secret file: its bytes without trailing newlines and spaces.
[[nodiscard]] Result<std::string> ReadTrimmedFile(const std::string& path,
                                                  size_t max_bytes = kMaxReadFileBytes);

}  // namespace mandate
