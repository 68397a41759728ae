#include "src/store/internal/sealer.h"

#include <gtest/gtest.h>

namespace mandate::store::internal {
namespace {

const std::string kKey(32, 'k');

TEST(Sealer, RoundTripsAndUsesAFreshNonce) {
  std::string a = Seal(kKey, "secret:x", "value");
  std::string b = Seal(kKey, "secret:x", "value");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find("value"), std::string::npos);
  EXPECT_EQ(*Unseal(kKey, "secret:x", a), "value");
  EXPECT_EQ(*Unseal(kKey, "secret:x", Seal(kKey, "secret:x", "")), "");
}

TEST(Sealer, RefusesAlteredMovedTruncatedOrForeignCiphertext) {
  std::string sealed = Seal(kKey, "secret:x", "value");
  std::string flipped = sealed;
  flipped.back() ^= 1;
  for (const auto& [key, context, text] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {kKey, "secret:x", flipped},
           {kKey, "secret:y", sealed},
           {std::string(32, 'o'), "secret:x", sealed},
           {kKey, "secret:x", sealed.substr(0, 20)},
           {kKey, "secret:x", ""}}) {
    auto r = Unseal(key, context, text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason(), "secret.unsealable");
  }
}

}  // namespace
}  // namespace mandate::store::internal
