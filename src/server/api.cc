// The HTTP API of docs/api.md: a thin adapter that parses, authenticates the caller's role,
// delegates to the authority and maps outcomes to status codes.
#include <sodium.h>

#include <boost/json.hpp>
#include <chrono>
#include <tuple>

#include "src/authority/explain.h"
#include "src/json/json.h"
#include "src/json/writer.h"
#include "src/server/internal_api.h"

namespace mandate::server {

using http::Request;
using http::Response;

// Helpers shared with the other route files (internal_api.h).

constexpr json::Limits kBodyLimits{.max_bytes = 1 << 20, .max_depth = 32};

int HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

// A token or proof that does not verify is 401 whatever its cause (a malformed JWS is an
// invalid argument to the verifier, but to the caller it is a failed authentication).
bool IsCredentialFailure(std::string_view reason) {
  for (std::string_view family :
       {"jws.", "jwt.", "jwks.", "dpop.", "oidc.", "svid.", "spiffe.", "replay.", "credential."}) {
    if (reason.substr(0, family.size()) == family) return true;
  }
  return false;
}

Response ErrorResponse(const Status& s) {
  return Response::Error(IsCredentialFailure(s.reason()) ? 401 : HttpStatus(s.code()), s.reason(),
                         s.message());
}

bool SameSecret(std::string_view presented, const std::string& expected) {
  return !expected.empty() && presented.size() == expected.size() &&
         sodium_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::string_view Credential(const Request& req, std::string_view scheme) {
  return AuthorizationCredential(req.Header("authorization").value_or(""), scheme);
}

bool IsOperator(const Request& req, const ApiContext& api) {
  return SameSecret(Credential(req, "Bearer"), api.admin_token);
}
bool IsEnforcementPoint(const Request& req, const ApiContext& api) {
  auto caller = AuthenticateEnforcementPoint(req, api);
  return caller && caller->has_value();
}

// The absolute URL the agent's proof must name: what it sent us (Host + path).
std::string RequestUrl(const Request& req) {
  const std::string_view host = req.Header("host").value_or("");
  const std::string_view path = req.path();
  std::string url;  // one allocation: every call with a proof builds it
  url.reserve(8 + host.size() + path.size());
  url.append(req.connection().tls ? "https://" : "http://").append(host).append(path);
  return url;
}

namespace {

// The authority may bind the caller to this connection; the binding must end with it (ids are
// never reused, but the table of bindings is bounded).
void ForgetOnClose(const ApiContext& api, http::ConnectionInfo& connection) {
  if (connection.user_data) return;
  struct Unbind {
    authority::Authority* authority;
    uint64_t id;
    ~Unbind() { authority->ForgetConnection(id); }
  };
  connection.user_data = std::shared_ptr<Unbind>(new Unbind{api.authority, connection.id});
}

}  // namespace

Result<TaskCaller> ReadTaskCaller(const Request& req, const ApiContext& api) {
  TaskCaller c;
  if (auto token = Credential(req, "DPoP"); !token.empty()) {
    c.token = token;
    c.dpop = req.Header("dpop").value_or("");
    c.method = req.method();
    if (!c.dpop.empty()) c.url = RequestUrl(req);  // only a proof names a URL
    c.connection = req.connection().id;
    ForgetOnClose(api, req.connection());
    return c;
  }
  if (IsEnforcementPoint(req, api)) {
    c.token = req.Header("x-mandate-task-token").value_or("");
    c.dpop = req.Header("x-mandate-dpop").value_or("");
    c.method = req.Header("x-mandate-method").value_or("");
    c.url = std::string(req.Header("x-mandate-url").value_or(""));
    if (!c.token.empty()) return c;
    return Err(Unauthenticated("authentication.task_token_missing",
                               "the enforcement point forwarded no `X-Mandate-Task-Token`"));
  }
  return Err(Unauthenticated("authentication.missing",
                             "send `Authorization: DPoP <task token>` with a `DPoP` proof"));
}

Result<boost::json::object> ReadObject(const Request& req, boost::json::storage_ptr storage) {
  auto body = json::Parse(req.body(), kBodyLimits, std::move(storage));
  if (!body) return Err(body.error());
  if (!body->is_object())
    return Err(InvalidArgument("request.invalid", "the body must be a JSON object"));
  return std::move(body->as_object());
}

Result<std::optional<std::string_view>> StringFieldView(const boost::json::object& o,
                                                        std::string_view key, bool required) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required) {
      return Err(
          InvalidArgument("request.missing_field", "field `" + std::string(key) + "` is required"));
    }
    return std::nullopt;
  }
  if (!v->is_string()) {
    return Err(InvalidArgument("request.invalid_field",
                               "field `" + std::string(key) + "` must be a string"));
  }
  return std::string_view(v->as_string());
}

Result<std::string> StringField(const boost::json::object& o, std::string_view key, bool required,
                                std::string fallback) {
  auto view = StringFieldView(o, key, required);
  if (!view) return Err(view.error());
  return *view ? std::string(**view) : std::move(fallback);
}

namespace {

// A tool call named in a request body: `system`, `action`, `resource`, `args` (views into
// `body`, which must outlive the call).
Result<authority::ToolCall> ReadCall(const boost::json::object& body) {
  authority::ToolCall call;
  for (auto [key, field, required] :
       {std::tuple{"system", &call.system, true}, std::tuple{"action", &call.action, true},
        std::tuple{"resource", &call.resource, false}}) {
    auto value = StringFieldView(body, key, required);
    if (!value) return Err(value.error());
    *field = value->value_or("");
  }
  if (const auto* v = body.if_contains("args"); v && !v->is_null()) {
    if (!v->is_object())
      return Err(InvalidArgument("request.invalid_field", "field `args` must be an object"));
    call.args = &v->as_object();
  }
  return call;
}

// Written without a DOM: every authorize answer builds one (json/writer.h escapes).
std::string DecisionJson(const authority::Decision& d) {
  std::string out;
  out.reserve(160 + d.credential.size());
  out += '{';
  json::AppendMember(out, "decision", authority::OutcomeName(d.outcome));
  json::AppendMember(out, "task_id", d.task_id);
  out += ",\"step\":";
  if (d.step.empty()) {
    out += "null";
  } else {
    json::AppendString(out, d.step);
  }
  if (!d.credential.empty()) {
    json::AppendMember(out, "credential", d.credential);
    json::AppendMember(out, "credential_expires_at", d.credential_expires_at);
  }
  if (!d.approval_id.empty()) json::AppendMember(out, "approval_id", d.approval_id);
  if (d.task_revoked) out += ",\"task_revoked\":true";
  if (d.shadow) out += ",\"shadow\":true";
  out += ",\"reasons\":[";
  for (size_t i = 0; i < d.reasons.size(); ++i) {
    const authority::Reason& r = d.reasons[i];
    out += i == 0 ? "{" : ",{";
    json::AppendMember(out, "check", r.check);
    json::AppendMember(out, "code", r.code);
    json::AppendMember(out, "message", r.message);
    if (!r.rule.empty()) json::AppendMember(out, "rule", r.rule);
    out += '}';
  }
  out += "],\"audit_seq\":";
  json::AppendInt(out, static_cast<int64_t>(d.audit_ticket));
  out += '}';
  return out;
}

std::string TaskJson(const authority::TaskView& t) {
  boost::json::object steps;
  for (const auto& [id, n] : t.steps_done) steps[id] = n;
  boost::json::array labels;
  for (const auto& l : t.labels_read) labels.emplace_back(l);
  boost::json::object o{{"task_id", t.task_id},
                        {"state", t.state},
                        {"mandate", {{"name", t.mandate}, {"version", t.version}}},
                        {"agent", t.agent},
                        {"owner", t.owner},
                        {"created_at", t.created_at},
                        {"deadline", t.deadline},
                        {"calls", t.calls},
                        {"steps_done", std::move(steps)},
                        {"labels_read", std::move(labels)}};
  o["parent_task"] =
      t.parent_task.empty() ? boost::json::value(nullptr) : boost::json::value(t.parent_task);
  if (!t.principal.empty()) o["on_behalf_of"] = t.principal;
  return json::Serialize(o);
}

Response StartTask(ApiContext& api, const Request& req) {
  auto body = ReadObject(req);
  if (!body) return ErrorResponse(body.error());
  auto delegated = StringField(*body, "delegated_task", false);  // docs/delegation.md
  if (!delegated) return ErrorResponse(delegated.error());
  auto mandate = StringField(*body, "mandate", delegated->empty());
  if (!mandate) return ErrorResponse(mandate.error());
  auto version = StringField(*body, "version", false);
  if (!version) return ErrorResponse(version.error());
  auto on_behalf = StringField(*body, "on_behalf_of", false);  // a user's OIDC token
  if (!on_behalf) return ErrorResponse(on_behalf.error());
  boost::json::object inputs;
  if (const auto* v = body->if_contains("inputs"); v && !v->is_null()) {
    if (!v->is_object())
      return Response::Error(400, "request.invalid_field", "field `inputs` must be an object");
    inputs = v->as_object();
  }
  const std::string_view bootstrap = Credential(req, "Bearer");
  // Without a token, the X.509-SVID of an mTLS connection is the agent's identity.
  const std::vector<std::string>& svid = req.connection().peer_certificates;
  if (bootstrap.empty() && svid.empty()) {
    return Response::Error(401, "authentication.missing",
                           "send the agent's JWT-SVID or OIDC token as `Authorization: Bearer`, "
                           "or connect over mTLS with its X.509-SVID");
  }
  const std::string url = RequestUrl(req);
  auto started =
      api.authority->StartTask({.bootstrap_token = bootstrap,
                                .proof = {req.Header("dpop").value_or(""), req.method(), url, 0},
                                .mandate = *mandate,
                                .version = *version,
                                .inputs = std::move(inputs),
                                .delegated_task = *delegated,
                                .on_behalf_of = *on_behalf,
                                .client_certificates = svid});
  if (!started) return ErrorResponse(started.error());
  boost::json::object o{{"task_id", started->task_id},
                        {"task_token", started->task_token},
                        {"expires_at", started->expires_at},
                        {"mandate", {{"name", started->mandate}, {"version", started->version}}}};
  return Response::Json(201, json::Serialize(o));
}

void Authorize(ApiContext& api, const Request& req, http::Responder responder) {
  auto caller = ReadTaskCaller(req, api);
  if (!caller) return responder.Send(ErrorResponse(caller.error()));
  // The body lives only while its call is decided (the authority copies what it keeps): its
  // values come from a buffer on the stack, released at once, where a heap DOM's allocations
  // and frees cost ~7k instructions a call. Bodies past the buffer spill to the heap.
  unsigned char arena_buffer[4096];
  boost::json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  auto body = ReadObject(req, &arena);
  if (!body) return responder.Send(ErrorResponse(body.error()));
  auto call = ReadCall(*body);
  if (!call) return responder.Send(ErrorResponse(call.error()));
  if (const auto* v = body->if_contains("credential"); v && v->is_bool()) {
    call->mint_credential = v->as_bool();
  }
  auto approval = StringFieldView(*body, "approval_id", false);  // docs/delegation.md
  if (!approval) return responder.Send(ErrorResponse(approval.error()));
  call->approval_id = approval->value_or("");
  authority::Decision d = Decide(api, caller->token, caller->proof(), *call);
  // An agent's connection is served where its task's other calls are decided (an enforcement
  // point's connection carries many tasks: it keeps no affinity).
  if (caller->connection != 0 && !d.task_id.empty() && req.connection().affinity == 0) {
    req.connection().affinity = std::hash<std::string>()(d.task_id) | 1;
  }
  NotifyDecision(api, d);
  api.durable->Submit(d.audit_ticket, std::move(responder), Response::Json(200, DecisionJson(d)));
}

// Why a call would be allowed or denied for a live task, stage by stage. Operator only: it
// reveals guards and policies. Changes nothing (no progress, no audit record, no revocation).
Response Explain(ApiContext& api, const Request& req) {
  if (!IsOperator(req, api)) {
    return Response::Error(401, "authentication.operator", "explain needs the operator token");
  }
  auto body = ReadObject(req);
  if (!body) return ErrorResponse(body.error());
  auto task = StringField(*body, "task_id", true);
  if (!task) return ErrorResponse(task.error());
  auto call = ReadCall(*body);
  if (!call) return ErrorResponse(call.error());
  auto why = api.authority->Explain(*task, *call);
  if (!why) return ErrorResponse(why.error());
  boost::json::object out = authority::ExplanationJson(*why);
  out["task_id"] = *task;
  return Response::Json(200, json::Serialize(out));
}

// RFC 7662-shaped introspection of a step credential, for enforcement points and upstreams
// that are handed one: `{"token","audience"}` -> `{"active":true,...claims}` or
// `{"active":false,"reason":code}` (a revoked or ended task's credentials are inactive).
Response Introspect(ApiContext& api, const Request& req) {
  auto caller = AuthenticateEnforcementPoint(req, api);
  if (!caller) return ErrorResponse(caller.error());
  if (!*caller) {
    return Response::Error(401, "authentication.enforcement_point",
                           "introspection needs the enforcement-point or operator token");
  }
  auto body = ReadObject(req);
  if (!body) return ErrorResponse(body.error());
  auto token = StringField(*body, "token", true);
  if (!token) return ErrorResponse(token.error());
  auto audience = StringField(*body, "audience", true);
  if (!audience) return ErrorResponse(audience.error());
  // A token scoped to some audiences introspects (and so spends) their credentials only.
  if (!(*caller)->MayServe(*audience)) return (*caller)->AudienceForbidden(*audience);
  auto claims = api.authority->VerifyStepCredential(*token, *audience);
  if (!claims) {
    return Response::Json(200, json::Serialize(boost::json::object{
                                   {"active", false}, {"reason", claims.error().reason()}}));
  }
  const credential::CredentialClaims& c = **claims;
  return Response::Json(200, json::Serialize(boost::json::object{{"active", true},
                                                                 {"token_type", "mandate-step+jwt"},
                                                                 {"sub", c.agent},
                                                                 {"aud", c.audience},
                                                                 {"task_id", c.task_id},
                                                                 {"step", c.step},
                                                                 {"action", c.action},
                                                                 {"resource", c.resource},
                                                                 {"args", c.args},
                                                                 {"jti", c.jti},
                                                                 {"iat", c.issued_at},
                                                                 {"exp", c.expires_at}}));
}

}  // namespace

// Task-scoped endpoints accept the task's own agent (token + proof) or the operator.
Result<std::string> TaskAccess(ApiContext& api, const Request& req) {
  const std::string id(req.PathParam("id"));
  if (IsOperator(req, api)) return id;
  auto caller = ReadTaskCaller(req, api);
  if (!caller) return Err(caller.error());
  auto task = api.authority->AuthenticateTask(caller->token, caller->proof());
  if (!task) return Err(task.error());
  if (*task != id) {
    return Err(PermissionDenied("authentication.wrong_task", "the task token is for another task"));
  }
  return id;
}

namespace {

Response EndTask(ApiContext& api, const Request& req, bool complete) {
  auto id = TaskAccess(api, req);
  if (!id) return ErrorResponse(id.error());
  std::string reason;
  if (!req.body().empty()) {
    auto body = ReadObject(req);
    if (!body) return ErrorResponse(body.error());
    auto r = StringField(*body, "reason", false);
    if (!r) return ErrorResponse(r.error());
    reason = *r;
  }
  auto view =
      complete ? api.authority->CompleteTask(*id, reason) : api.authority->FailTask(*id, reason);
  if (!view) return ErrorResponse(view.error());
  return Response::Json(200, TaskJson(*view));
}

Response Audit(ApiContext& api, const Request& req) {
  if (!IsOperator(req, api))
    return Response::Error(401, "authentication.operator",
                           "the audit trail needs the operator token");
  const int64_t since =
      std::max<int64_t>(1, std::atoll(req.QueryParam("since").value_or("1").c_str()));
  const int64_t limit =
      std::clamp<int64_t>(std::atoll(req.QueryParam("limit").value_or("1000").c_str()), 1, 10000);
  auto rows = api.store->ReadAudit(api.audit_chain, since, static_cast<size_t>(limit));
  if (!rows) return ErrorResponse(rows.error());
  std::string out;
  for (const auto& row : *rows) {
    out += "{\"sequence\":" + std::to_string(row.sequence) + ",\"hash\":\"" + row.hash +
           "\",\"prev_hash\":\"" + row.prev_hash + "\",\"record\":" + row.body + "}\n";
  }
  return Response{200, "application/x-ndjson", std::move(out), {}, false};
}

// Unhealthy (503) once the audit trail cannot be written: every decision is refused then, so a
// load balancer should send agents elsewhere.
Response Health(const ApiContext& api) {
  return Response::Health(api.audit != nullptr ? api.audit->failure() : Status());
}

Response AllowedActions(ApiContext& api, const Request& req) {
  // An enforcement point may ask with the task token alone (no proof spent): the answer only
  // hides tools, it grants nothing.
  Result<std::string> id = std::string(req.PathParam("id"));
  if (!IsOperator(req, api) && IsEnforcementPoint(req, api) && !req.Header("x-mandate-dpop")) {
    auto task = api.authority->TaskOfToken(req.Header("x-mandate-task-token").value_or(""));
    if (!task) return ErrorResponse(task.error());
    if (*task != *id)
      return Response::Error(403, "authentication.wrong_task",
                             "the task token is for another task");
  } else {
    id = TaskAccess(api, req);
  }
  if (!id) return ErrorResponse(id.error());
  const std::string system = req.QueryParam("system").value_or("");
  auto actions = api.authority->AllowedActions(*id, system);
  if (!actions) return ErrorResponse(actions.error());
  boost::json::array a;
  for (const auto& s : *actions) a.emplace_back(s);
  return Response::Json(
      200, json::Serialize(boost::json::object{{"system", system}, {"actions", std::move(a)}}));
}

}  // namespace

authority::Decision Decide(ApiContext& api, std::string_view task_token,
                           const authority::Proof& proof, const authority::ToolCall& call) {
  const auto start = std::chrono::steady_clock::now();
  authority::Decision d = api.authority->Authorize(task_token, proof, call);
  if (api.metrics != nullptr) {
    api.metrics->CountDecision(
        d, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return d;
}

std::string_view AuthorizationCredential(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() + 1 || header[scheme.size()] != ' ') return {};
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return {};
    }
  }
  return header.substr(scheme.size() + 1);
}

Status AddApiRoutes(http::Router& router, ApiContext& api) {
  ApiContext* a = &api;
  MANDATE_RETURN_IF_ERROR(
      router.Add("POST", "/v1/tasks", [a](const Request& r) { return StartTask(*a, r); }));
  MANDATE_RETURN_IF_ERROR(router.AddAsync(
      "POST", "/v1/authorize",
      [a](const Request& r, http::Responder resp) { Authorize(*a, r, std::move(resp)); }));
  MANDATE_RETURN_IF_ERROR(router.Add("POST", "/v1/tasks/{id}/complete",
                                     [a](const Request& r) { return EndTask(*a, r, true); }));
  MANDATE_RETURN_IF_ERROR(router.Add("POST", "/v1/tasks/{id}/fail",
                                     [a](const Request& r) { return EndTask(*a, r, false); }));
  MANDATE_RETURN_IF_ERROR(router.Add("GET", "/v1/tasks/{id}", [a](const Request& r) {
    auto id = TaskAccess(*a, r);
    if (!id) return ErrorResponse(id.error());
    auto view = a->authority->GetTask(*id);
    return view ? Response::Json(200, TaskJson(*view)) : ErrorResponse(view.error());
  }));
  MANDATE_RETURN_IF_ERROR(router.Add("GET", "/v1/tasks/{id}/actions",
                                     [a](const Request& r) { return AllowedActions(*a, r); }));
  MANDATE_RETURN_IF_ERROR(
      router.Add("POST", "/v1/introspect", [a](const Request& r) { return Introspect(*a, r); }));
  MANDATE_RETURN_IF_ERROR(
      router.Add("POST", "/v1/explain", [a](const Request& r) { return Explain(*a, r); }));
  MANDATE_RETURN_IF_ERROR(
      router.Add("GET", "/v1/audit", [a](const Request& r) { return Audit(*a, r); }));
  MANDATE_RETURN_IF_ERROR(router.Add("GET", "/.well-known/jwks.json", [a](const Request&) {
    return Response::Json(200, a->authority->JwksJson());
  }));
  if (a->metrics != nullptr) {
    MANDATE_RETURN_IF_ERROR(router.Add("GET", "/metrics", [a](const Request&) {
      return Response{
          200, http::MetricsRegistry::kContentType, a->metrics->registry().Render(), {}, false};
    }));
  }
  MANDATE_RETURN_IF_ERROR(
      router.Add("GET", "/healthz", [a](const Request&) { return Health(*a); }));
  MANDATE_RETURN_IF_ERROR(AddRevocationRoutes(router, api));
  MANDATE_RETURN_IF_ERROR(AddDelegationRoutes(router, api));
  MANDATE_RETURN_IF_ERROR(AddEnforcementAuditRoutes(router, api));
  MANDATE_RETURN_IF_ERROR(AddEnforcementKeyRoutes(router, api));
  return AddCheckRoutes(router, api);
}

}  // namespace mandate::server
