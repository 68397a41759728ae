// CEDAR_RETURN_IF_ERROR: propagates an error Status from a function returning either Status or
// Result<T> (MANDATE_RETURN_IF_ERROR only serves the latter).
// Thread-safety: header-only helpers without state.
#pragma once

#include <utility>

#include "src/util/status.h"

namespace mandate::cedar::internal {

struct PropagatedStatus {
  Status status;
  operator Status() && { return std::move(status); }  // NOLINT(google-explicit-constructor)
  template <typename T>
  operator Result<T>() && {  // NOLINT(google-explicit-constructor)
    return Err(std::move(status));
  }
};

}  // namespace mandate::cedar::internal

#define CEDAR_RETURN_IF_ERROR(expr)                                                  \
  do {                                                                               \
    ::mandate::Status cedar_status_ = (expr);                                        \
    if (!cedar_status_.ok())                                                         \
      return ::mandate::cedar::internal::PropagatedStatus{std::move(cedar_status_)}; \
  } while (0)
