#include "src/enforce/internal/step_credentials.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <iostream>

#include "src/credential/jose.h"
#include "src/http/client.h"
#include "src/json/json.h"

namespace mandate::enforce::internal {
namespace {

Decision Refusal(std::string check, std::string code, std::string message) {
  Decision d;
  d.verdict = Verdict::kDeny;
  d.reasons.push_back({std::move(check), std::move(code), std::move(message), ""});
  return d;
}

// Verification failures name the check the refusal belongs to: a revoked credential is a
// revocation (403), a spent one a credential refusal (403, like a call it does not cover), a
// full replay cache could not decide (error, 503), everything else about the credential or its
// proof is authentication (401).
Decision FromStatus(const Status& status) {
  const std::string_view reason = status.reason();
  if (status.code() == StatusCode::kResourceExhausted) {
    return ErrorDecision(std::string(reason), status.message());
  }
  const char* check = reason.rfind("revocation.", 0) == 0   ? "revocation"
                      : reason == "credential.already_used" ? "credential"
                                                            : "authentication";
  return Refusal(check, std::string(reason), status.message());
}

template <typename Keys>
Result<Keys> ParseKeyDocument(std::string_view text);

StepCredentialForm FormOfHeader(std::string_view header_b64) {
  auto header = credential::Base64UrlDecode(header_b64);
  if (!header) return StepCredentialForm::kNone;
  auto decoded = json::Parse(*header, {.max_bytes = 8 << 10, .max_depth = 4});
  if (!decoded || !decoded->is_object()) return StepCredentialForm::kNone;
  const boost::json::value* typ = decoded->as_object().if_contains("typ");
  if (typ == nullptr || !typ->is_string()) return StepCredentialForm::kNone;
  std::string value(typ->as_string());
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (value != credential::kStepCredentialType) return StepCredentialForm::kNone;
  const boost::json::value* alg = decoded->as_object().if_contains("alg");
  return alg != nullptr && alg->is_string() && alg->as_string() == "HS256"
             ? StepCredentialForm::kSealed
             : StepCredentialForm::kSigned;
}

template <>
Result<credential::KeySet> ParseKeyDocument(std::string_view text) {
  return credential::KeySet::FromJwks(text);
}
template <>
Result<credential::SealingKeySet> ParseKeyDocument(std::string_view text) {
  return credential::SealingKeySet::FromJson(text);
}

}  // namespace

template <typename Keys>
KeyCache<Keys>::KeyCache(Fetch fetch, const Clock& clock, int64_t ttl_seconds,
                         int64_t min_refresh_seconds)
    : fetch_(std::move(fetch)),
      clock_(clock),
      ttl_seconds_(ttl_seconds),
      min_refresh_seconds_(min_refresh_seconds),
      keys_(std::make_shared<const Keys>()) {}

template <typename Keys>
bool KeyCache<Keys>::FetchLocked() {
  const int64_t now = clock_.NowSeconds();
  if (attempted_ && now < attempted_at_ + min_refresh_seconds_) return false;
  attempted_ = true;
  attempted_at_ = now;
  ++fetches_;
  auto text = fetch_();
  if (!text) {
    last_error_ = text.error();
    return false;
  }
  auto set = ParseKeyDocument<Keys>(*text);
  if (!set) {
    last_error_ = set.error();
    return false;  // keep serving the last good keys
  }
  keys_ = std::make_shared<const Keys>(std::move(*set));
  fetched_at_ = now;
  last_error_ = Status();
  return true;
}

template <typename Keys>
std::shared_ptr<const Keys> KeyCache<Keys>::Current() {
  std::lock_guard lock(mu_);
  if (fetched_at_ == 0 || clock_.NowSeconds() >= fetched_at_ + ttl_seconds_) FetchLocked();
  return keys_;
}

template <typename Keys>
std::shared_ptr<const Keys> KeyCache<Keys>::CurrentIfFresh() {
  std::lock_guard lock(mu_);
  if (fetched_at_ == 0 || clock_.NowSeconds() >= fetched_at_ + ttl_seconds_) return nullptr;
  return keys_;
}

template <typename Keys>
bool KeyCache<Keys>::RefreshForUnknownKid() {
  std::lock_guard lock(mu_);
  return FetchLocked();
}

template <typename Keys>
int KeyCache<Keys>::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

template <typename Keys>
Status KeyCache<Keys>::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

template class KeyCache<credential::KeySet>;
template class KeyCache<credential::SealingKeySet>;

namespace {

http::ClientOptions KeyFetchOptions() {
  http::ClientOptions options;
  options.timeout = std::chrono::milliseconds(5'000);
  options.max_response_body = 256 << 10;
  return options;
}

std::string TrimmedUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

AuthorityKeys::Fetch JwksFetcher(std::string authority_url) {
  return [url = TrimmedUrl(std::move(authority_url)) +
                "/.well-known/jwks.json"]() -> Result<std::string> {
    auto response = http::Get(url, KeyFetchOptions());
    if (!response) return Err(response.error());
    if (response->status != 200) {
      return Err(StatusCode::kUnavailable, "authority.bad_answer",
                 "jwks answered http " + std::to_string(response->status));
    }
    return std::move(response->body);
  };
}

SealingKeys::Fetch SealingKeysFetcher(std::string authority_url, std::string ep_token,
                                      std::vector<std::string> audiences, std::string who) {
  std::string url = TrimmedUrl(std::move(authority_url)) + "/v1/ep/keys";
  char separator = '?';
  for (const auto& audience : audiences) {
    url += separator;
    url += "audience=";
    url += boost::urls::encode(audience, boost::urls::unreserved_chars);
    separator = '&';
  }
  auto refusal_said = std::make_shared<std::atomic<bool>>(false);
  return [url = std::move(url), auth = "Bearer " + ep_token, who = std::move(who),
          refusal_said]() -> Result<std::string> {
    auto response = http::Fetch({"GET", url, {{"Authorization", auth}}, ""}, KeyFetchOptions());
    if (!response) return Err(response.error());
    if (response->status == 200) return std::move(response->body);
    // The refusal travels to agents (in the reason of a refused credential): the status only.
    // The authority's answer (its error code, the token's name) goes to the log, once.
    Status refused(StatusCode::kUnavailable, "authority.bad_answer",
                   "the authority answered http " + std::to_string(response->status) +
                       " for the sealing keys");
    if ((response->status == 401 || response->status == 403) && !refusal_said->exchange(true)) {
      std::cerr << who << ": " << refused.message() << ": " << response->body.substr(0, 300)
                << " (sealed step credentials will be refused; signed ones still work)\n";
    }
    return Err(refused);
  };
}

StepCredentialForm StepCredentialFormOf(std::string_view token) {
  if (token.size() > credential::kMaxTokenBytes) return StepCredentialForm::kNone;
  // Every credential an agent presents is new (single use), but its header is the issuer key's:
  // remember the last header's answer per thread, so a header is decoded once, not per request.
  const std::string_view header = token.substr(0, token.find('.'));
  if (header.size() == token.size()) return StepCredentialForm::kNone;  // not a compact JWS
  thread_local std::string last_header;
  thread_local StepCredentialForm last_answer = StepCredentialForm::kNone;
  if (!last_header.empty() && header == last_header) return last_answer;
  last_answer = FormOfHeader(header);
  last_header.assign(header);
  return last_answer;
}

// Spent step credentials and DPoP proofs are remembered for their lifetime plus the skew
// (60 + 30 s by default): kReplayCapacity (2M) identifiers cover ~23,000 held-credential calls
// per second, more than the signature verifications two cores do (~9,500/s each); full, the
// cache refuses (`replay.cache_full`, 503) rather than forget. About 110 bytes per entry at the
// worst, allocated only as calls come.
StepCredentialClient::StepCredentialClient(DecisionClient& inner, AuthorityKeys& keys,
                                           const RevocationFeed* feed, std::string issuer,
                                           std::map<std::string, std::string> audiences,
                                           const Clock& clock, size_t replay_capacity,
                                           SealingKeys* sealing)
    : inner_(inner), keys_(keys), sealing_(sealing), audiences_(std::move(audiences)) {
  credential::RevocationCheck revocation = [feed](const credential::CredentialClaims& claims) {
    if (feed == nullptr) return Status();
    if (feed->deny_set().IsTaskRevoked(claims.task_id)) {
      return Status(StatusCode::kPermissionDenied, "revocation.task_revoked",
                    "the task `" + claims.task_id + "` was revoked");
    }
    if (feed->deny_set().IsCredentialRevoked(claims.jti)) {
      return Status(StatusCode::kPermissionDenied, "revocation.credential_revoked",
                    "the step credential was revoked");
    }
    if (feed->deny_set().IsIssuedBeforeRevokeAll(claims.issued_at)) {
      return Status(StatusCode::kPermissionDenied, "revocation.task_revoked",
                    "the task `" + claims.task_id + "` was revoked with every task (scope `all`)");
    }
    return Status();
  };
  verifier_ = std::make_unique<credential::CredentialVerifier>(
      std::move(issuer), [&keys] { return keys.Current(); }, std::move(revocation), clock,
      credential::VerifierOptions{.replay_capacity = replay_capacity,
                                  .sealing_keys = sealing == nullptr
                                                      ? credential::SealingKeySource()
                                                      : [sealing] { return sealing->Current(); }});
  dpop_ = std::make_unique<credential::DpopVerifier>(
      clock, credential::DpopOptions{.replay_capacity = replay_capacity});
}

StepCredentialClient::~StepCredentialClient() = default;

int64_t StepCredentialClient::local_decisions() const { return local_decisions_.load(); }

Decision StepCredentialClient::Authorize(const AuthorizeRequest& request) {
  if (!LooksLikeStepCredential(request.agent.task_token)) return inner_.Authorize(request);
  ++local_decisions_;
  return *Verify(request, true);
}

std::optional<Decision> StepCredentialClient::TryAuthorizeWithoutWaiting(
    const AuthorizeRequest& request) {
  // The verifier asks AuthorityKeys::Current, which fetches only when the keys are stale: fresh
  // now means no fetch (short of the ttl running out in the microseconds in between).
  switch (StepCredentialFormOf(request.agent.task_token)) {
    case StepCredentialForm::kNone:
      return std::nullopt;
    case StepCredentialForm::kSigned:
      if (!keys_.CurrentIfFresh()) return std::nullopt;
      break;
    case StepCredentialForm::kSealed:
      if (sealing_ != nullptr && !sealing_->CurrentIfFresh()) return std::nullopt;
      break;
  }
  auto decision = Verify(request, false);
  if (decision) ++local_decisions_;
  return decision;
}

std::optional<Decision> StepCredentialClient::Verify(const AuthorizeRequest& request,
                                                     bool may_wait) const {
  auto audience = audiences_.find(request.system);
  const std::string& aud = audience == audiences_.end() ? request.system : audience->second;
  const std::string& token = request.agent.task_token;
  // Spent only once every check below passed: a refused attempt (a thief without the key, a
  // call the credential does not cover) leaves the agent's credential usable.
  constexpr auto kDefer = credential::SingleUse::kDefer;
  auto claims = verifier_->VerifyStepCredential(token, aud, kDefer);
  if (!claims && claims.error().reason() == "jws.kid_unknown") {
    if (!may_wait) return std::nullopt;  // the refetch below is a network call
    if (keys_.RefreshForUnknownKid()) {
      claims = verifier_->VerifyStepCredential(token, aud, kDefer);  // the authority rotated
    }
  }
  if (!claims && claims.error().reason() == "jws.sealing_key_unknown" && sealing_ != nullptr) {
    if (!may_wait) return std::nullopt;
    if (sealing_->RefreshForUnknownKid()) {
      claims = verifier_->VerifyStepCredential(token, aud, kDefer);
    }
    if (!claims && claims.error().reason() == "jws.sealing_key_unknown") {
      // Fail closed, and say why when the keys could not be fetched (e.g. a token not scoped
      // to this audience).
      Status why = sealing_->last_error();
      if (!why.ok()) {
        return FromStatus(Unauthenticated("jws.sealing_key_unknown",
                                          claims.error().message() + ": " + why.message()));
      }
    }
  }
  if (!claims) return FromStatus(claims.error());
  const credential::CredentialClaims& c = **claims;
  // Whatever the outcome, the credential's claims are now known: they go into the audit record.
  const bool bound = !request.agent.connection_jkt.empty() && request.agent.connection_jkt == c.jkt;
  auto about = [&](Decision d) {
    d.task_id = c.task_id;
    d.step = c.step;
    d.agent = c.agent;
    d.credential_id = c.jti;
    d.proof = !request.agent.dpop_proof.empty() ? "dpop" : bound ? "bound_connection" : "";
    return d;
  };
  if (c.action != request.action || c.resource != request.resource) {
    return about(Refusal("credential", "credential.scope_mismatch",
                         "the step credential is for `" + c.action + "` on `" + c.resource +
                             "`, not `" + request.action + "` on `" + request.resource + "`"));
  }
  // Fail closed: a credential without the claim (minted before arguments were bound) is refused.
  if (c.args.empty() || c.args != credential::ArgumentsClaim(request.args)) {
    return about(Refusal("credential", "credential.arguments_mismatch",
                         c.args.empty() ? "the step credential does not bind the call's "
                                          "arguments; ask the authority for a new one"
                                        : "the call's arguments are not the ones the step "
                                          "credential was issued for"));
  }
  if (request.agent.dpop_proof.empty()) {
    if (!bound) {
      return about(Refusal("authentication", "dpop.missing",
                           "a step credential needs a `DPoP` proof of the agent's key"));
    }
  } else {
    auto proof = dpop_->Verify(
        {request.agent.dpop_proof, request.agent.method, request.agent.url, token, c.jkt});
    if (!proof) return about(FromStatus(proof.error()));
  }
  if (Status spent = verifier_->ConsumeSingleUse(c); !spent.ok()) return about(FromStatus(spent));
  Decision d = about(Decision{});
  d.verdict = Verdict::kAllow;
  d.credential_expires_at = c.expires_at;
  if (!request.agent.dpop_proof.empty()) d.proven_jkt = c.jkt;
  return d;
}

}  // namespace mandate::enforce::internal
