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

// RFC 4231 test cases 1, 2 and 6 (a key longer than a block is hashed first).
TEST(HmacSha256, Rfc4231Vectors) {
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), {"Hi There"})),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256("Jefe", {"what do ya want ", "for nothing?"})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           {"Test Using Larger Than Block-Size Key - Hash Key First"})),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

}  // namespace
}  // namespace mandate
