#include "src/enforce/internal/step_credentials.h"

#include "src/credential/jose.h"
#include "src/http/client.h"

namespace mandate::enforce::internal {
namespace {

Decision Refusal(std::string check, std::string code, std::string message) {
  Decision d;
  d.verdict = Verdict::kDeny;
  d.reasons.push_back({std::move(check), std::move(code), std::move(message), ""});
  return d;
}

// Verification failures name the check the refusal belongs to: a revoked credential is a
// revocation (403), everything else about the credential or its proof is authentication (401).
Decision FromStatus(const Status& status) {
  const std::string_view reason = status.reason();
  const bool revoked = reason.rfind("revocation.", 0) == 0;
  return Refusal(revoked ? "revocation" : "authentication", std::string(reason), status.message());
}

bool HasStepCredentialType(std::string_view token) {
  auto decoded = credential::DecodeJws(token);
  if (!decoded) return false;
  const boost::json::value* typ = decoded->header.if_contains("typ");
  if (typ == nullptr || !typ->is_string()) return false;
  std::string value(typ->as_string());
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == credential::kStepCredentialType;
}

}  // namespace

AuthorityKeys::AuthorityKeys(Fetch fetch, const Clock& clock, int64_t ttl_seconds,
                             int64_t min_refresh_seconds)
    : fetch_(std::move(fetch)),
      clock_(clock),
      ttl_seconds_(ttl_seconds),
      min_refresh_seconds_(min_refresh_seconds),
      keys_(std::make_shared<credential::KeySet>()) {}

bool AuthorityKeys::FetchLocked() {
  const int64_t now = clock_.NowSeconds();
  if (attempted_ && now < attempted_at_ + min_refresh_seconds_) return false;
  attempted_ = true;
  attempted_at_ = now;
  ++fetches_;
  auto text = fetch_();
  if (!text) return false;
  auto set = credential::KeySet::FromJwks(*text);
  if (!set) return false;  // keep serving the last good keys
  keys_ = std::make_shared<const credential::KeySet>(std::move(*set));
  fetched_at_ = now;
  return true;
}

std::shared_ptr<const credential::KeySet> AuthorityKeys::Current() {
  std::lock_guard lock(mu_);
  if (fetched_at_ == 0 || clock_.NowSeconds() >= fetched_at_ + ttl_seconds_) FetchLocked();
  return keys_;
}

std::shared_ptr<const credential::KeySet> AuthorityKeys::CurrentIfFresh() {
  std::lock_guard lock(mu_);
  if (fetched_at_ == 0 || clock_.NowSeconds() >= fetched_at_ + ttl_seconds_) return nullptr;
  return keys_;
}

bool AuthorityKeys::RefreshForUnknownKid() {
  std::lock_guard lock(mu_);
  return FetchLocked();
}

int AuthorityKeys::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

AuthorityKeys::Fetch JwksFetcher(std::string authority_url) {
  while (!authority_url.empty() && authority_url.back() == '/') authority_url.pop_back();
  return [url = authority_url + "/.well-known/jwks.json"]() -> Result<std::string> {
    http::ClientOptions options;
    options.timeout = std::chrono::milliseconds(5'000);
    options.max_response_body = 256 << 10;
    auto response = http::Get(url, options);
    if (!response) return Err(response.error());
    if (response->status != 200) {
      return Err(StatusCode::kUnavailable, "authority.bad_answer",
                 "jwks answered http " + std::to_string(response->status));
    }
    return std::move(response->body);
  };
}

bool LooksLikeStepCredential(std::string_view token) {
  if (token.size() > credential::kMaxTokenBytes) return false;
  // An agent presents the same credential call after call: remember the last answer per thread
  // (the exact bytes), so the header is decoded once, not per request.
  thread_local std::string last_token;
  thread_local bool last_answer = false;
  if (!last_token.empty() && token == last_token) return last_answer;
  last_answer = HasStepCredentialType(token);
  last_token.assign(token);
  return last_answer;
}

StepCredentialClient::StepCredentialClient(DecisionClient& inner, AuthorityKeys& keys,
                                           const RevocationFeed* feed, std::string issuer,
                                           std::map<std::string, std::string> audiences,
                                           const Clock& clock)
    : inner_(inner), keys_(keys), audiences_(std::move(audiences)) {
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
    return Status();
  };
  verifier_ = std::make_unique<credential::CredentialVerifier>(
      std::move(issuer), [&keys] { return keys.Current(); }, std::move(revocation), clock);
  dpop_ = std::make_unique<credential::DpopVerifier>(clock);
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
  if (!LooksLikeStepCredential(request.agent.task_token) || !keys_.CurrentIfFresh()) {
    return std::nullopt;
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
  auto claims = verifier_->VerifyStepCredential(token, aud);
  if (!claims && claims.error().reason() == "jws.kid_unknown") {
    if (!may_wait) return std::nullopt;  // the refetch below is a network call
    if (keys_.RefreshForUnknownKid()) {
      claims = verifier_->VerifyStepCredential(token, aud);  // the authority rotated its key
    }
  }
  if (!claims) return FromStatus(claims.error());
  const credential::CredentialClaims& c = **claims;
  // Whatever the outcome, the credential's claims are now known: they go into the audit record.
  auto about = [&](Decision d) {
    d.task_id = c.task_id;
    d.step = c.step;
    d.agent = c.agent;
    d.credential_id = c.jti;
    d.proof = request.agent.dpop_proof.empty()
                  ? (request.agent.proven_on_connection ? "bound_connection" : "")
                  : "dpop";
    return d;
  };
  if (c.action != request.action || c.resource != request.resource) {
    return about(Refusal("credential", "credential.scope_mismatch",
                         "the step credential is for `" + c.action + "` on `" + c.resource +
                             "`, not `" + request.action + "` on `" + request.resource + "`"));
  }
  if (request.agent.dpop_proof.empty()) {
    if (!request.agent.proven_on_connection) {
      return about(Refusal("authentication", "dpop.missing",
                           "a step credential needs a `DPoP` proof of the agent's key"));
    }
  } else {
    auto proof = dpop_->Verify(
        {request.agent.dpop_proof, request.agent.method, request.agent.url, token, c.jkt});
    if (!proof) return about(FromStatus(proof.error()));
  }
  Decision d = about(Decision{});
  d.verdict = Verdict::kAllow;
  d.credential = token;
  d.credential_expires_at = c.expires_at;
  return d;
}

}  // namespace mandate::enforce::internal
