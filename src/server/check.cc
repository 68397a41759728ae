// `/v1/check`: the decision endpoint for nginx `auth_request` and Envoy `ext_authz` (HTTP
// service). The original request comes from `X-Original-Method` / `X-Original-URI` (nginx) or
// from the method and the path after `/v1/check` (Envoy's path_prefix); the route table maps it
// to system, action, resource and arguments. 200 allows (with `X-Mandate-Step`), 401 when the
// agent is not authenticated, 403 denies (with `X-Mandate-Reason`); bodies are JSON.
#include <boost/json.hpp>

#include "src/json/json.h"
#include "src/server/internal_api.h"

namespace mandate::server {
namespace {

using http::Request;
using http::Response;

Response CheckAnswer(const authority::Decision& d) {
  const authority::Reason* r = d.reasons.empty() ? nullptr : &d.reasons.front();
  if (d.outcome == authority::Outcome::kAllow) {
    Response ok = Response::Json(200, R"({"decision":"allow"})");
    ok.headers.emplace_back("X-Mandate-Step", d.step);
    ok.headers.emplace_back("X-Mandate-Task", d.task_id);
    return ok;
  }
  const bool unauthenticated = r != nullptr && r->check == "authentication";
  Response deny = Response::Error(unauthenticated ? 401 : 403, r ? r->code : "decision.error",
                                  r ? r->message : "the call could not be decided");
  deny.headers.emplace_back("X-Mandate-Reason", r ? r->code : "decision.error");
  return deny;
}

void Check(ApiContext& api, const Request& req, http::Responder responder) {
  if (!api.check_routes) {
    return responder.Send(
        Response::Error(503, "check.no_routes", "the server was started without --check-routes"));
  }
  std::string method(req.Header("x-original-method").value_or(req.method()));
  // nginx names the original target in a header; Envoy appends it to the check path.
  constexpr std::string_view kPrefix = "/v1/check";
  std::string_view original =
      req.Header("x-original-uri").value_or(req.target().substr(kPrefix.size()));
  const std::string target(original.empty() ? std::string_view("/") : original);
  auto match = api.check_routes->Match(method, target);
  if (!match) {
    Response deny = Response::Error(403, match.error().reason(), match.error().message());
    deny.headers.emplace_back("X-Mandate-Reason", std::string(match.error().reason()));
    return responder.Send(std::move(deny));
  }
  const std::string_view token =
      AuthorizationCredential(req.Header("authorization").value_or(""), "DPoP");
  if (token.empty()) {
    Response deny = Response::Error(401, "authentication.missing",
                                    "send `Authorization: DPoP <task token>` with a `DPoP` proof");
    deny.headers.emplace_back("X-Mandate-Reason", "authentication.missing");
    deny.headers.emplace_back("WWW-Authenticate", "DPoP");
    return responder.Send(std::move(deny));
  }
  const std::string scheme(
      req.Header("x-forwarded-proto").value_or(req.connection().tls ? "https" : "http"));
  const std::string host(req.Header("x-original-host").value_or(req.Header("host").value_or("")));
  const std::string path = target.substr(0, target.find('?'));
  std::string url;  // built by appends: g++ 12 warns falsely (-Wrestrict) on a + chain here
  url.append(scheme).append("://").append(host).append(path);
  authority::Decision d = Decide(api, token, {req.Header("dpop").value_or(""), method, url, 0},
                                 {.system = match->system,
                                  .action = match->action,
                                  .resource = match->resource,
                                  .args = &match->args,
                                  .mint_credential = false});
  api.durable->Submit(d.audit_ticket, std::move(responder), CheckAnswer(d));
}

}  // namespace

Status AddCheckRoutes(http::Router& router, ApiContext& api) {
  ApiContext* a = &api;
  for (std::string_view method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    auto handler = [a](const Request& r, http::Responder resp) { Check(*a, r, std::move(resp)); };
    MANDATE_RETURN_IF_ERROR(router.AddAsync(method, "/v1/check", handler));
    MANDATE_RETURN_IF_ERROR(router.AddAsync(method, "/v1/check/{rest...}", handler));
  }
  return Status();
}

}  // namespace mandate::server
