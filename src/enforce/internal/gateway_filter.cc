#include "src/enforce/internal/gateway_filter.h"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include "src/http/proxy.h"

namespace mandate::enforce::internal {
namespace {

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void ReplaceAll(std::string& text, std::string_view needle, std::string_view with) {
  if (needle.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), with);
    pos += with.size();
  }
}

// Splits `Authorization: DPoP <token>` into the token. Empty if absent or another scheme.
std::string TaskToken(const http::HeaderList& headers) {
  auto auth = http::FindHeader(headers, "authorization");
  if (!auth) return {};
  std::string_view v = *auth;
  constexpr std::string_view kScheme = "dpop ";
  if (v.size() <= kScheme.size() || !http::EqualsIgnoreCase(v.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  v.remove_prefix(kScheme.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return std::string(v);
}

}  // namespace

std::string InjectedHeaderValue(const InjectedCredential& credential, const std::string& secret) {
  switch (credential.kind) {
    case InjectedCredential::Kind::kBearer:
      return "Bearer " + secret;
    case InjectedCredential::Kind::kBasic:
      return "Basic " + Base64(credential.username + ":" + secret);
    case InjectedCredential::Kind::kHeader:
    case InjectedCredential::Kind::kNone:
      return secret;
  }
  return secret;
}

bool GatewayFilter::IsAgentCredentialHeader(std::string_view name) {
  // Case-insensitive without a lowercase copy: this runs for every header of every call.
  constexpr std::string_view kPrefix = "x-mandate-";
  for (std::string_view exact :
       {"authorization", "proxy-authorization", "dpop", "cookie", "cookie2"}) {
    if (http::EqualsIgnoreCase(name, exact)) return true;
  }
  return name.size() >= kPrefix.size() &&
         http::EqualsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix);
}

GatewayFilter::GatewayFilter(RouteTable table, std::map<std::string, SystemRuntime> systems,
                             std::string public_url, DecisionClient& client,
                             const RevocationFeed* feed, const DecisionAudit* audit)
    : table_(std::move(table)),
      systems_(std::move(systems)),
      public_url_(std::move(public_url)),
      client_(client),
      feed_(feed),
      audit_(audit) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
  for (const auto& [name, runtime] : systems_) {
    if (runtime.secret.empty()) continue;
    std::vector<std::string>& list = sensitive_[name];
    // Longest first, so a header value is redacted whole before its secret part.
    list.push_back(InjectedHeaderValue(runtime.upstream.credential, runtime.secret));
    list.push_back(Base64(runtime.upstream.credential.username + ":" + runtime.secret));
    list.push_back(runtime.secret);
  }
}

GatewayOutcome GatewayFilter::Refuse(int status, std::string code, std::string message,
                                     const Decision* decision) const {
  GatewayOutcome out;
  out.forward = false;
  out.status = status;
  boost::json::object body;
  body["error"] = {{"code", code}, {"message", message}};
  if (decision != nullptr) {
    out.decision = *decision;
    body["decision"] = VerdictName(decision->verdict);
    if (!decision->task_id.empty()) body["task_id"] = decision->task_id;
    if (!decision->approval_id.empty()) body["approval_id"] = decision->approval_id;
    boost::json::array reasons;
    for (const Reason& r : decision->reasons) {
      boost::json::object o{{"check", r.check}, {"code", r.code}, {"message", r.message}};
      if (!r.rule.empty()) o["rule"] = r.rule;
      reasons.push_back(std::move(o));
    }
    body["reasons"] = std::move(reasons);
  } else {
    out.decision = ErrorDecision(code, message);
  }
  out.reply_body = boost::json::serialize(body);
  out.reply_headers = {{"Content-Type", "application/json"},
                       {"Cache-Control", "no-store"},
                       {"X-Mandate-Reason", code}};
  if (status == 401)
    out.reply_headers.emplace_back("WWW-Authenticate", "DPoP algs=\"ES256 EdDSA\"");
  return out;
}

GatewayOutcome GatewayFilter::OnRequest(const GatewayRequest& request, bool without_waiting) const {
  AuthorizeRequest ask;
  GatewayOutcome out = Decide(request, without_waiting, ask);
  if (!ask.system.empty()) {  // the route matched: name the call in the outcome
    out.system = std::move(ask.system);
    out.action = std::move(ask.action);
    out.resource = std::move(ask.resource);
    out.args = std::move(ask.args);
  }
  return out;
}

Status GatewayFilter::Ready() const { return EnforcementReady(feed_, audit_); }

GatewayOutcome GatewayFilter::Decide(const GatewayRequest& request, bool without_waiting,
                                     AuthorizeRequest& ask) const {
  if (Status ready = Ready(); !ready.ok()) {
    return Refuse(503, std::string(ready.reason()), ready.message(), nullptr);
  }
  auto match = table_.Match(request.method, request.target, request.body);
  if (!match) {
    const Status& s = match.error();
    int status = s.code() == StatusCode::kInvalidArgument ? 400 : 403;
    return Refuse(status, std::string(s.reason()), s.message(), nullptr);
  }
  ask.system = match->system;
  ask.action = match->action;
  ask.resource = match->resource;
  ask.args = std::move(match->args);
  ask.agent.task_token = TaskToken(request.headers);
  if (ask.agent.task_token.empty()) {
    return Refuse(401, "authentication.missing",
                  "send the task token as `Authorization: DPoP <token>` with a `DPoP` proof",
                  nullptr);
  }
  if (auto proof = http::FindHeader(request.headers, "dpop")) ask.agent.dpop_proof = *proof;
  if (ask.agent.dpop_proof.empty()) ask.agent.connection_jkt = request.bound_jkt;
  if (ask.agent.dpop_proof.empty() && ask.agent.connection_jkt.empty()) {
    // Refused here: no round trip for what cannot pass.
    return Refuse(401, "dpop.missing", "send a `DPoP` proof of the task's key with the credential",
                  nullptr);
  }
  ask.agent.method = request.method;
  std::string base = public_url_;
  if (base.empty()) {
    auto host = http::FindHeader(request.headers, "host");
    base = "http://" + std::string(host ? *host : "localhost");
  }
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));  // RFC 9449: htu has no query or fragment
  ask.agent.url = base + std::string(path);

  std::optional<Decision> decided =
      without_waiting ? client_.TryAuthorizeWithoutWaiting(ask) : client_.Authorize(ask);
  if (!decided) {
    GatewayOutcome wait;
    wait.must_wait = true;
    return wait;
  }
  Decision decision = std::move(*decided);
  if (decision.verdict == Verdict::kAllow && feed_ != nullptr && !decision.task_id.empty() &&
      feed_->deny_set().IsTaskRevoked(decision.task_id)) {
    // The stream already told us; an authority replica that lags must not win.
    decision.verdict = Verdict::kDeny;
    decision.reasons = {{"revocation", "revocation.task_revoked", "the task was revoked", ""}};
  }
  switch (decision.verdict) {
    case Verdict::kAllow:
      break;
    case Verdict::kDeny: {
      bool unauthenticated =
          !decision.reasons.empty() && decision.reasons.front().check == "authentication";
      return Refuse(unauthenticated ? 401 : 403, decision.PrimaryCode(), decision.PrimaryMessage(),
                    &decision);
    }
    case Verdict::kPending:
      return Refuse(403, decision.PrimaryCode(), decision.PrimaryMessage(), &decision);
    case Verdict::kError:
      return Refuse(503, decision.PrimaryCode(), decision.PrimaryMessage(), &decision);
  }

  auto it = systems_.find(ask.system);
  if (it == systems_.end()) {
    return Refuse(500, "gateway.misconfigured", "no upstream for the system", &decision);
  }
  const SystemRuntime& runtime = it->second;
  GatewayOutcome out;
  out.forward = true;
  out.decision = std::move(decision);
  out.upstream_url = runtime.upstream.upstream + match->upstream_target;
  const std::string_view connection = http::FindHeader(request.headers, "connection").value_or("");
  const std::string& injected = runtime.upstream.credential.header;
  for (const auto& [name, value] : request.headers) {
    // `Expect` too: the gateway already read the whole body, the upstream must not wait for 100.
    if (IsAgentCredentialHeader(name) || http::IsHopByHopHeader(name, connection) ||
        http::EqualsIgnoreCase(name, "expect")) {
      continue;
    }
    if (!injected.empty() && http::EqualsIgnoreCase(name, injected)) continue;
    out.upstream_headers.emplace_back(name, value);
  }
  const InjectedCredential& cred = runtime.upstream.credential;
  if (cred.kind == InjectedCredential::Kind::kHeader) {
    out.upstream_headers.emplace_back(cred.header, runtime.secret);
  } else if (cred.kind != InjectedCredential::Kind::kNone) {
    out.upstream_headers.emplace_back("Authorization", InjectedHeaderValue(cred, runtime.secret));
  }
  if (!out.decision.step.empty())
    out.upstream_headers.emplace_back("X-Mandate-Step", out.decision.step);
  if (!out.decision.task_id.empty()) {
    out.upstream_headers.emplace_back("X-Mandate-Task", out.decision.task_id);
  }
  return out;
}

void GatewayFilter::ScrubResponse(std::string_view system, http::HeaderList& headers,
                                  std::string& body) const {
  auto it = sensitive_.find(std::string(system));
  if (it == sensitive_.end()) return;
  for (const std::string& needle : it->second) {
    ReplaceAll(body, needle, "[redacted]");
    for (auto& [name, value] : headers) ReplaceAll(value, needle, "[redacted]");
  }
}

}  // namespace mandate::enforce::internal
