#include "src/util/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "src/util/hex.h"

namespace mandate {
namespace {

std::string Hex(const Sha256Digest& d) {
  std::string out;
  AppendHex(d.data(), d.size(), out);
  return out;
}

TEST(Hex, EveryByteValueAppended) {
  std::string bytes, out = "x";
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  AppendHex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  ASSERT_EQ(out.size(), 513u);
  EXPECT_EQ(out.substr(0, 9), "x00010203");
  EXPECT_EQ(out.substr(2 * 0x7f + 1, 6), "7f8081");
  EXPECT_EQ(out.substr(505), "fcfdfeff");
}

// FIPS 180-2 appendix B vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PartsHashAsTheirConcatenation) {
  EXPECT_EQ(Sha256({"abcdbcdecdefdefgefgh", "", "fghighijhijkijkljklmklmnlmnomnopnopq"}),
            Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
  EXPECT_EQ(Sha256({}), Sha256(""));
}

}  // namespace
}  // namespace mandate
