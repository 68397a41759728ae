#include "src/audit/internal/record_codec.h"

#include <sodium.h>

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "src/json/json.h"

namespace mandate::audit {
namespace {

constexpr std::array<std::string_view, 6> kKinds = {"decision",   "lifecycle", "revocation",
                                                    "delegation", "approval",  "key"};

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

boost::json::array Strings(const std::vector<std::string>& values) {
  boost::json::array out;
  out.reserve(values.size());
  for (const std::string& v : values) out.emplace_back(v);
  return out;
}

}  // namespace

std::string_view RecordKindName(RecordKind kind) { return kKinds.at(static_cast<size_t>(kind)); }

std::string ArgumentsDigest(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return Hex(digest, sizeof digest);
}

namespace internal {

std::string CanonicalBody(std::string_view chain, int64_t sequence, const Record& r) {
  boost::json::object o;
  o.reserve(16);
  o.emplace("chain", chain);
  o.emplace("sequence", sequence);
  o.emplace("time", r.time_micros);
  o.emplace("kind", RecordKindName(r.kind));
  o.emplace("agent", r.agent);
  o.emplace("principal", r.principal);
  o.emplace("task", r.task);
  o.emplace("step", r.step);
  o.emplace("system", r.system);
  o.emplace("action", r.action);
  o.emplace("resource", r.resource);
  o.emplace("args_digest", r.args_digest);
  o.emplace("decision", r.decision);
  o.emplace("reasons", Strings(r.reasons));
  o.emplace("policy_ids", Strings(r.policy_ids));
  o.emplace("detail", r.detail);
  return boost::json::serialize(o);
}

std::string ChainHash(std::string_view prev_hash, std::string_view body) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(prev_hash.data()),
                            prev_hash.size());
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                            body.size());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return Hex(digest, sizeof digest);
}

Result<BodyPosition> ReadBodyPosition(std::string_view body) {
  auto malformed = [](std::string why) {
    return Err(InvalidArgument("audit.record_malformed", std::move(why)));
  };
  json::Limits limits;
  limits.max_bytes = 16 << 20;
  auto value = json::Parse(body, limits);
  if (!value) return malformed("body is not json: " + value.error().message());
  if (json::Serialize(*value) != body) return malformed("body is not in canonical form");
  const boost::json::object* o = value->if_object();
  const boost::json::value* chain = o ? o->if_contains("chain") : nullptr;
  const boost::json::value* sequence = o ? o->if_contains("sequence") : nullptr;
  if (!chain || !chain->is_string() || !sequence || !sequence->is_int64()) {
    return malformed("body lacks its chain or sequence");
  }
  return BodyPosition{std::string(chain->get_string()), sequence->get_int64()};
}

}  // namespace internal
}  // namespace mandate::audit
