// libFuzzer target: Cedar policy text. Parsing must never crash; whatever parses must format to
// text that parses again to the same text, survive an EST round trip, and evaluate against a
// tiny request without crashing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/cedar/cedar.h"

using namespace mandate::cedar;

namespace {

const Entities& TinyEntities() {
  static const Entities entities = *EntitiesFromJson(R"([
    {"uid":{"type":"User","id":"a"},"attrs":{"n":1,"s":"x","set":[1,"x"],"r":{"k":true}},
     "parents":[{"type":"Group","id":"g"}],"tags":{"t":"v"}},
    {"uid":{"type":"Group","id":"g"},"attrs":{},"parents":[]}])");
  return entities;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_policy_text_bytes = 1 << 16;
  auto set = ParsePolicies(text, limits);
  (void)ParseExpression(text, limits);
  if (!set) return 0;
  std::string formatted = FormatPolicySet(*set);
  auto again = ParsePolicies(formatted, limits);
  if (!again || FormatPolicySet(*again) != formatted) std::abort();
  auto from_est = PolicySetFromEst(PolicySetToEst(*set), limits);
  if (!from_est) std::abort();
  auto authorizer = Authorizer::Build(*set);
  if (!authorizer) return 0;
  Request request{EntityUid("User", "a"), EntityUid("Action", "view"), EntityUid("Doc", "d"),
                  RecordBuilder().Add("n", Value::Long(3)).Add("s", Value::String("abc")).Build()};
  (void)(*authorizer)->Authorize(request, TinyEntities());
  return 0;
}
