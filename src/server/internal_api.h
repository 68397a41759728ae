// The HTTP API routes (docs/api.md) over the authority: parsing, authentication of callers
// and mapping of outcomes to status codes. No decision logic lives here.
#pragma once

#include <memory>
#include <string>

#include "src/authority/authority.h"
#include "src/enforce/route_table.h"
#include "src/http/server.h"
#include "src/server/durable_responder.h"
#include "src/server/service_metrics.h"

namespace mandate::server {

struct ApiContext {
  authority::Authority* authority = nullptr;
  store::Store* store = nullptr;
  DurableResponder* durable = nullptr;
  std::string admin_token;                                  // operator bearer token
  std::string enforcement_token;                            // enforcement points' bearer token
  std::shared_ptr<const enforce::RouteTable> check_routes;  // may be null: /v1/check refuses
  std::string audit_chain = "main";
  ServiceMetrics* metrics = nullptr;  // may be null: decisions are not counted
};

// The credential after `<scheme> ` in an Authorization header value (case-insensitive scheme),
// or empty.
std::string_view AuthorizationCredential(std::string_view header, std::string_view scheme);

// Authority::Authorize, counted and timed in `api.metrics` (every decision route goes through it).
authority::Decision Decide(ApiContext& api, std::string_view task_token,
                           const authority::Proof& proof, const authority::ToolCall& call);

// Adds every route of docs/api.md to `router`. `api` must outlive the server.
[[nodiscard]] Status AddApiRoutes(http::Router& router, ApiContext& api);
// `/v1/check` for nginx auth_request and Envoy ext_authz (check.cc).
[[nodiscard]] Status AddCheckRoutes(http::Router& router, ApiContext& api);

}  // namespace mandate::server
