// Status and Result: the one error type and the one outcome type of the whole project.
//
// A Status carries a canonical code (as in gRPC and Abseil), a stable machine-readable
// `reason` (what HTTP errors expose as `error.code`, e.g. `token.expired`), and a lowercase
// human message with user input in backticks, context chained with colons.
// Thread-safety: value types; safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace mandate {

enum class StatusCode : uint8_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Lowercase snake name of a code: "invalid_argument".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string reason, std::string message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // Stable identifier of what went wrong; defaults to the code name when none was given.
  std::string_view reason() const {
    return reason_.empty() ? StatusCodeName(code_) : std::string_view(reason_);
  }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message"; code and reason are kept.
  Status WithContext(std::string_view context) const;
  // "reason: message", for logs and the command line.
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string reason_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Status>;

// Builds the error side of a Result: `return Err(StatusCode::kNotFound, "task.unknown", ...)`.
inline tl::unexpected<Status> Err(StatusCode code, std::string reason, std::string message) {
  return tl::unexpected<Status>(Status(code, std::move(reason), std::move(message)));
}
inline tl::unexpected<Status> Err(Status status) {
  return tl::unexpected<Status>(std::move(status));
}

// Shorthands for the codes used most.
inline Status InvalidArgument(std::string reason, std::string message) {
  return {StatusCode::kInvalidArgument, std::move(reason), std::move(message)};
}
inline Status NotFound(std::string reason, std::string message) {
  return {StatusCode::kNotFound, std::move(reason), std::move(message)};
}
inline Status PermissionDenied(std::string reason, std::string message) {
  return {StatusCode::kPermissionDenied, std::move(reason), std::move(message)};
}
inline Status Unauthenticated(std::string reason, std::string message) {
  return {StatusCode::kUnauthenticated, std::move(reason), std::move(message)};
}
inline Status Internal(std::string reason, std::string message) {
  return {StatusCode::kInternal, std::move(reason), std::move(message)};
}

}  // namespace mandate

namespace mandate::internal {
// What MANDATE_RETURN_IF_ERROR returns: converts to Status and to any Result<T>, so the macro
// works in functions of either return type.
class ErrorReturn {
 public:
  explicit ErrorReturn(Status status) : status_(std::move(status)) {}
  operator Status() && { return std::move(status_); }
  template <typename T>
  operator Result<T>() && {
    return tl::unexpected<Status>(std::move(status_));
  }

 private:
  Status status_;
};
}  // namespace mandate::internal

// Propagates an error Status from an expression yielding Status, in a function returning
// Status or Result<T>.
#define MANDATE_RETURN_IF_ERROR(expr)                                      \
  do {                                                                     \
    ::mandate::Status mandate_status_ = (expr);                            \
    if (!mandate_status_.ok())                                             \
      return ::mandate::internal::ErrorReturn(std::move(mandate_status_)); \
  } while (0)
