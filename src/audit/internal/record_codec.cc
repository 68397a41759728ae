#include "src/audit/internal/record_codec.h"

#include <array>
#include <boost/json/object.hpp>

#include "src/json/json.h"
#include "src/json/writer.h"
#include "src/util/hex.h"
#include "src/util/sha256.h"

namespace mandate::audit {
namespace {

constexpr std::array<std::string_view, 6> kKinds = {"decision",   "lifecycle", "revocation",
                                                    "delegation", "approval",  "key"};

// The chain hash and argument digests as lower-case hex, into `out`.
void Sha256Hex(std::string_view a, std::string_view b, std::string& out) {
  const Sha256Digest digest = Sha256({a, b});
  AppendHex(digest.data(), digest.size(), out.erase());
}

}  // namespace

std::string_view RecordKindName(RecordKind kind) { return kKinds.at(static_cast<size_t>(kind)); }

std::string ArgumentsDigest(std::string_view bytes) {
  std::string out;
  Sha256Hex(bytes, {}, out);
  return out;
}
std::string ArgumentsDigest(const boost::json::object& args) {
  const Sha256Digest digest = json::CanonicalSha256(args);
  std::string out;
  AppendHex(digest.data(), digest.size(), out);
  return out;
}

RecordView View(const Record& r) {
  return {.kind = r.kind,
          .time_micros = r.time_micros,
          .agent = r.agent,
          .principal = r.principal,
          .task = r.task,
          .step = r.step,
          .system = r.system,
          .action = r.action,
          .resource = r.resource,
          .args_digest = r.args_digest,
          .decision = r.decision,
          .reasons = r.reasons,
          .policy_ids = r.policy_ids,
          .detail = r.detail};
}

namespace internal {

std::string CanonicalTail(const RecordView& r) {
  // Written directly (no DOM: building one per record showed up in profiles), members in this
  // fixed order, into room for the usual record reserved once.
  std::string tail;
  {
    json::JsonWriter w(tail, 448 + r.agent.size() + r.principal.size() + r.task.size() +
                                 r.resource.size() + r.detail.size());
    w.Member("time", r.time_micros);
    w.Member("kind", RecordKindName(r.kind));
    w.Member("agent", r.agent);
    w.Member("principal", r.principal);
    w.Member("task", r.task);
    w.Member("step", r.step);
    w.Member("system", r.system);
    w.Member("action", r.action);
    w.Member("resource", r.resource);
    w.Member("args_digest", r.args_digest);
    w.Member("decision", r.decision);
    const auto string = [](json::JsonWriter& out, const std::string& s) { out.String(s); };
    w.ArrayMember("reasons", r.reasons, string);
    w.ArrayMember("policy_ids", r.policy_ids, string);
    w.Key("detail");
    w.Raw(r.detail.empty() ? std::string_view("null") : std::string_view(r.detail));
    w.Char('}');
  }
  return tail;
}

std::string BodyPrefix(std::string_view chain) {
  std::string prefix = "{";
  json::AppendMember(prefix, "chain", chain);
  json::AppendKey(prefix, "sequence");
  return prefix;
}

void AppendBody(std::string_view prefix, int64_t sequence, std::string_view tail,
                std::string& body) {
  body.reserve(body.size() + prefix.size() + 21 + tail.size());
  body.append(prefix);
  json::AppendInt(body, sequence);
  body.append(1, ',').append(tail);
}

std::string CanonicalBody(std::string_view chain, int64_t sequence, const Record& r) {
  std::string body;
  AppendBody(BodyPrefix(chain), sequence, CanonicalTail(View(r)), body);
  return body;
}

std::string ChainHash(std::string_view prev_hash, std::string_view body) {
  std::string out;
  Sha256Hex(prev_hash, body, out);
  return out;
}
void ChainHash(std::string_view prev_hash, std::string_view body, std::string& out) {
  Sha256Hex(prev_hash, body, out);
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
