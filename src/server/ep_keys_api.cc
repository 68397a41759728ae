// Enforcement-point identities (the full token, or a token scoped to audiences) and
// `GET /v1/ep/keys`, the sealing keys of the audiences an enforcement point serves (docs/api.md).
#include <boost/json.hpp>

#include "src/credential/ep_token.h"
#include "src/http/internal/url.h"
#include "src/server/internal_api.h"

namespace mandate::server {

bool EnforcementPointCaller::MayServe(std::string_view audience) const {
  if (all_audiences) return true;
  for (const auto& a : audiences) {
    if (a == audience) return true;
  }
  return false;
}

http::Response EnforcementPointCaller::AudienceForbidden(std::string_view audience) const {
  return http::Response::Error(403, "ep.audience_forbidden",
                               "this enforcement-point token (`" + name +
                                   "`) is not scoped to audience `" + std::string(audience) + "`");
}

Result<std::optional<EnforcementPointCaller>> AuthenticateEnforcementPoint(const http::Request& req,
                                                                           const ApiContext& api) {
  const std::string_view presented = Credential(req, "Bearer");
  if (SameSecret(presented, api.enforcement_token) || IsOperator(req, api)) {
    return EnforcementPointCaller{.all_audiences = true, .name = "", .audiences = {}};
  }
  if (!credential::LooksLikeScopedEpToken(presented)) return std::nullopt;
  // An enforcement point presents the same token on every call: the last one verified is
  // remembered per thread (with the full token it was verified under), so the hot path is a
  // comparison, not an HMAC and a JSON parse.
  struct Last {
    std::string full, token;
    EnforcementPointCaller caller;
  };
  thread_local Last last;
  // Compared in constant time: the remembered token is a bearer secret, `presented` the
  // caller's guess.
  if (!last.token.empty() && last.full == api.enforcement_token &&
      SameSecret(presented, last.token)) {
    return last.caller;
  }
  auto scope = credential::VerifyScopedEpToken(presented, api.enforcement_token);
  if (!scope) return Err(scope.error());
  last = {api.enforcement_token,
          std::string(presented),
          {.all_audiences = false, .name = scope->name, .audiences = scope->audiences}};
  return last.caller;
}

namespace {

constexpr size_t kMaxRequestedAudiences = 64;

// Every `audience` query parameter, percent-decoded; at least one, at most 64.
Result<std::vector<std::string>> RequestedAudiences(std::string_view query) {
  std::vector<std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != "audience") continue;
    auto value = http::internal::PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!value || value->empty() || value->size() > 256) {
      return Err(InvalidArgument("request.invalid", "`audience` must be 1 to 256 bytes"));
    }
    if (out.size() == kMaxRequestedAudiences) {
      return Err(InvalidArgument("request.invalid", "at most 64 `audience` parameters"));
    }
    out.push_back(std::move(*value));
  }
  if (out.empty()) {
    return Err(InvalidArgument("request.invalid", "name at least one `audience` parameter"));
  }
  return out;
}

http::Response EnforcementPointKeys(const ApiContext& api, const http::Request& req) {
  auto caller = AuthenticateEnforcementPoint(req, api);
  if (!caller) return ErrorResponse(caller.error());
  if (!*caller) {
    return http::Response::Error(401, "authentication.enforcement_point",
                                 "sealing keys need an enforcement-point token");
  }
  auto audiences = RequestedAudiences(req.query());
  if (!audiences) return ErrorResponse(audiences.error());
  for (const auto& a : *audiences) {
    if (!(*caller)->MayServe(a)) return (*caller)->AudienceForbidden(a);
  }
  // Audiences the authority does not seal for simply have no keys.
  auto keys = api.keys ? api.keys->SealingKeys() : std::make_shared<credential::SealingKeySet>();
  http::Response response = http::Response::Json(200, keys->ToJson(*audiences));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

Status AddEnforcementKeyRoutes(http::Router& router, ApiContext& api) {
  ApiContext* a = &api;
  return router.Add("GET", "/v1/ep/keys",
                    [a](const http::Request& r) { return EnforcementPointKeys(*a, r); });
}

}  // namespace mandate::server
