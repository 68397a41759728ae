// Cedar extension types: parsing and printing of ipaddr, decimal, datetime and duration, and
// their arithmetic. Every function is total: bad input or overflow gives an error message.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/cedar/internal/value.h"
#include "src/util/status.h"

namespace mandate::cedar::internal {

// Each returns the extension value or a lowercase message saying why the string is invalid.
Result<Extension> ParseIpAddr(std::string_view s);
Result<Extension> ParseDecimal(std::string_view s);
Result<Extension> ParseDatetime(std::string_view s);
Result<Extension> ParseDuration(std::string_view s);
// Parses by extension function name (`ip`/`ipaddr`, `decimal`, `datetime`, `duration`).
Result<Extension> ParseExtension(std::string_view fn, std::string_view arg);

// The constructor name and the string argument that rebuild the value: ("ip", "10.0.0.0/8").
std::string_view ExtensionConstructor(ExtensionKind kind);
std::string ExtensionArgument(const Extension& ext);

// True when every address of `a`'s range lies inside `b`'s range (same family).
bool IpInRange(const IpAddr& a, const IpAddr& b);
bool IpIsLoopback(const IpAddr& ip);
bool IpIsMulticast(const IpAddr& ip);

// Checked i64 arithmetic: nullopt on overflow.
std::optional<int64_t> CheckedAdd(int64_t a, int64_t b);
std::optional<int64_t> CheckedSub(int64_t a, int64_t b);
std::optional<int64_t> CheckedMul(int64_t a, int64_t b);

// datetime helpers (ms since epoch): floor to the day, and the time of day.
std::optional<int64_t> DatetimeToDate(int64_t ms);
int64_t DatetimeToTime(int64_t ms);

}  // namespace mandate::cedar::internal
