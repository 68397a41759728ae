// libFuzzer target: both Cedar schema syntaxes, then (when the schema is valid) validation of a
// fixed policy set against it. Any crash, hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/cedar/cedar.h"
#include "src/cedar/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mandate::cedar::SchemaLimits limits;
  limits.max_bytes = 64 << 10;
  auto cedar_syntax = mandate::cedar::Schema::ParseCedar(text, limits);
  auto json_syntax = mandate::cedar::Schema::ParseJson(text, limits);
  static const auto policies = mandate::cedar::ParsePolicies(
      "permit(principal, action, resource) when { principal has a && principal.a == 1 };\n"
      "forbid(principal is User, action, resource) unless { context has b && resource in "
      "principal };");
  for (const auto* schema : {&cedar_syntax, &json_syntax}) {
    if (*schema && policies) (void)mandate::cedar::ValidatePolicies(***schema, *policies);
  }
  return 0;
}
