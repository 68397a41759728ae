// The HTTP API routes (docs/api.md) over the authority: parsing, authentication of callers
// and mapping of outcomes to status codes. No decision logic lives here.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "src/authority/authority.h"
#include "src/enforce/route_table.h"
#include "src/http/server.h"
#include "src/server/durable_responder.h"
#include "src/server/governance.h"
#include "src/server/service_metrics.h"

namespace mandate::server {

class WebhookNotifier;  // webhooks.h
class ApprovalWaiters;  // approvals_api.cc

struct ApiContext {
  authority::Authority* authority = nullptr;
  store::Store* store = nullptr;
  DurableResponder* durable = nullptr;
  std::string admin_token;                                  // operator bearer token
  std::string enforcement_token;                            // enforcement points' bearer token
  std::shared_ptr<const enforce::RouteTable> check_routes;  // may be null: /v1/check refuses
  std::string audit_chain = "main";
  ServiceMetrics* metrics = nullptr;                    // may be null: decisions are not counted
  std::shared_ptr<const Governance> governance;         // never null once serving
  std::shared_ptr<WebhookNotifier> webhooks = nullptr;  // set by AddDelegationRoutes
  std::shared_ptr<ApprovalWaiters> approval_waiters = nullptr;
  audit::AuditLog* audit = nullptr;  // enforcement points' records (ep_audit_api.cc); may be null
  // The issuer's keys, for the sealing keys of `GET /v1/ep/keys`; may be null: none served.
  std::shared_ptr<const credential::KeyRing> keys = nullptr;
  // The audiences each system name has in the loaded mandates: what a scoped
  // enforcement-point token may deliver audit records for (ep_audit_api.cc).
  std::map<std::string, std::vector<std::string>, std::less<>> system_audiences = {};
};

// An authenticated enforcement point (ep_keys_api.cc): the full token (or the operator's) acts
// for every audience, a scoped token (src/credential/ep_token.h) for the ones it names.
struct EnforcementPointCaller {
  bool all_audiences = false;
  std::string name;
  std::vector<std::string> audiences;
  bool MayServe(std::string_view audience) const;
  // 403 `ep.audience_forbidden` for an audience it may not serve.
  http::Response AudienceForbidden(std::string_view audience) const;
};
// nullopt when the caller presents no enforcement-point token; `ep.token_invalid` (401) for a
// scoped token that does not verify. Constant-time comparisons throughout.
Result<std::optional<EnforcementPointCaller>> AuthenticateEnforcementPoint(const http::Request& req,
                                                                           const ApiContext& api);

// The credential after `<scheme> ` in an Authorization header value (case-insensitive scheme),
// or empty.
std::string_view AuthorizationCredential(std::string_view header, std::string_view scheme);

// Authority::Authorize, counted and timed in `api.metrics` (every decision route goes through it).
authority::Decision Decide(ApiContext& api, std::string_view task_token,
                           const authority::Proof& proof, const authority::ToolCall& call);
// ---- helpers shared by the route files (api.cc)
// Who the task caller is and the proof it gave, for agent calls and for enforcement points
// forwarding an agent's call (docs/api.md, "Who is calling").
// The views point into the request: use it only while handling that request.
struct TaskCaller {
  std::string_view token;
  std::string_view dpop;
  std::string_view method;
  std::string url;  // rebuilt from Host and path
  uint64_t connection = 0;
  authority::Proof proof() const { return {dpop, method, url, connection}; }
};
int HttpStatus(StatusCode code);
http::Response ErrorResponse(const Status& s);
bool SameSecret(std::string_view presented, const std::string& expected);
std::string_view Credential(const http::Request& req, std::string_view scheme);
bool IsOperator(const http::Request& req, const ApiContext& api);
bool IsEnforcementPoint(const http::Request& req, const ApiContext& api);
std::string RequestUrl(const http::Request& req);
Result<TaskCaller> ReadTaskCaller(const http::Request& req, const ApiContext& api);
// The body as a JSON object, its memory from `storage` (default: the heap).
Result<boost::json::object> ReadObject(const http::Request& req,
                                       boost::json::storage_ptr storage = {});
// A string member as a view into `o`: absent or null -> nullopt (or an error when required),
// wrong type -> error.
Result<std::optional<std::string_view>> StringFieldView(const boost::json::object& o,
                                                        std::string_view key, bool required);
// The same as a copy: absent -> `fallback`.
Result<std::string> StringField(const boost::json::object& o, std::string_view key, bool required,
                                std::string fallback = "");
// A revocation as the stream and the webhooks send it.
std::string NoticeJson(const authority::RevocationNotice& n);
// The task id of the path (`{id}`) when the caller is that task's agent or the operator.
Result<std::string> TaskAccess(ApiContext& api, const http::Request& req);

// Delegation, approvals and governance routes (delegation_api.cc, approvals_api.cc); also
// starts the webhook notifier and the approvals' long-poll waiters.
[[nodiscard]] Status AddDelegationRoutes(http::Router& router, ApiContext& api);
[[nodiscard]] Status AddApprovalRoutes(http::Router& router, ApiContext& api);
// Tells the approvers' webhooks about a call that opened an approval.
void NotifyDecision(ApiContext& api, const authority::Decision& d);

// `POST /v1/revocations` and `GET /v1/revocations/stream` (revocation_api.cc).
[[nodiscard]] Status AddRevocationRoutes(http::Router& router, ApiContext& api);
// Adds every route of docs/api.md to `router`. `api` must outlive the server.
[[nodiscard]] Status AddApiRoutes(http::Router& router, ApiContext& api);
// `POST /v1/ep/audit`: enforcement points' own decisions into the audit trail (ep_audit_api.cc).
[[nodiscard]] Status AddEnforcementAuditRoutes(http::Router& router, ApiContext& api);
// `GET /v1/ep/keys`: sealing keys for an enforcement point's audiences (ep_keys_api.cc).
[[nodiscard]] Status AddEnforcementKeyRoutes(http::Router& router, ApiContext& api);
// `/v1/check` for nginx auth_request and Envoy ext_authz (check.cc).
[[nodiscard]] Status AddCheckRoutes(http::Router& router, ApiContext& api);

}  // namespace mandate::server
