#include "src/authority/internal/audit_records.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mandate::authority {
namespace {

// One hash serves the audit record and the step credential: both must still read exactly what
// audit::ArgumentsDigest and credential::ArgumentsClaim compute on their own.
TEST(DigestArgumentsTest, AgreesWithTheAuditDigestAndTheCredentialClaim) {
  const boost::json::object args = {{"invoice_id", "INV-1"},
                                    {"amount", 1201},
                                    {"iban", "DE89370400440532013000"},
                                    {"nested", {{"b", 1}, {"a", boost::json::array{1, "x"}}}}};
  const CallDigests both = DigestArguments(&args, true);
  EXPECT_EQ(both.hex, audit::ArgumentsDigest(args));
  EXPECT_EQ(both.claim, credential::ArgumentsClaim(args));
  const CallDigests hex_only = DigestArguments(&args, false);
  EXPECT_EQ(hex_only.hex, both.hex);
  EXPECT_TRUE(hex_only.claim.empty());
}

TEST(DigestArgumentsTest, NoArgumentsAreTheEmptyObject) {
  const CallDigests none = DigestArguments(nullptr, true);
  EXPECT_EQ(none.hex, audit::ArgumentsDigest(std::string_view("{}")));
  EXPECT_EQ(none.claim, credential::ArgumentsClaim(boost::json::object()));
}

}  // namespace
}  // namespace mandate::authority
