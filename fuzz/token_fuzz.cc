// libFuzzer target for the token parser and verifiers: compact JWS decoding, JWT claim checks,
// step credential and task token verification (signed and sealed HS256, against real sealing
// keys), DPoP proofs, scoped enforcement-point tokens, sealing-key documents and SPIFFE IDs. The
// input is used as a token (and its first line as a SPIFFE ID); nothing may crash, leak or be
// accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/credential/credential.h"
#include "src/credential/ep_token.h"
#include "src/identity/identity.h"

namespace {

using namespace mandate;
using namespace mandate::credential;

struct World {
  FakeClock clock;
  std::unique_ptr<SigningKeyStore> store = NewInMemorySigningKeyStore();
  // Sealing keys for `github` exist: an HS256 input reaches the MAC check, never a success.
  std::shared_ptr<KeyRing> ring =
      *KeyRing::Open(*store, clock, {.sealed_audiences = {"github", "mandate"}});
  CredentialVerifier verifier{
      "https://mandate.test", [this] { return ring->PublicKeys(); }, nullptr, clock,
      VerifierOptions{.sealing_keys = [this] { return ring->SealingKeys(); }}};
  DpopVerifier dpop{clock};
  KeySet keys;
  World() {
    keys.Add(*PublicKey::FromJwkText(
        R"({"kty":"EC","crv":"P-256","kid":"k","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})"));
    keys.Add(ring->Active()->key.public_key());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto jws = DecodeJws(input)) {
    (void)ParseClaims(jws->payload);
  }
  ClaimRules rules;
  rules.audience = "mandate";
  if (VerifyJwt(input, world->keys, rules, world->clock)) __builtin_trap();  // no key signs fuzz
  if (world->verifier.VerifyStepCredential(input, "github")) __builtin_trap();
  if (world->verifier.VerifyTaskToken(input)) __builtin_trap();
  (void)world->dpop.Verify({input, "POST", "https://gw.test/x", "", ""});
  (void)NormalizeHtu(input);
  (void)identity::ParseSpiffeId(input.substr(0, input.find('\n')));
  (void)PublicKey::FromJwkText(input);
  (void)KeySet::FromJwks(input);
  (void)SealingKeySet::FromJson(input);
  if (VerifyScopedEpToken(input, "fuzz-full-enforcement-point-token")) __builtin_trap();
  return 0;
}
