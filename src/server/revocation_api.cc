// Revocation routes (docs/api.md): `POST /v1/revocations` by the operator, and the stream
// enforcement points keep their deny sets from.
#include <boost/json.hpp>
#include <mutex>

#include "src/json/json.h"
#include "src/server/internal_api.h"

namespace mandate::server {

using http::Request;
using http::Response;

std::string NoticeJson(const authority::RevocationNotice& n) {
  boost::json::array tasks;
  for (const auto& t : n.tasks) tasks.emplace_back(t);
  return json::Serialize(boost::json::object{{"id", n.id},
                                             {"scope", n.scope},
                                             {"value", n.value},
                                             {"reason", n.reason},
                                             {"tasks", std::move(tasks)},
                                             {"at", n.at}});
}

namespace {

Response Revoke(ApiContext& api, const Request& req) {
  if (!IsOperator(req, api)) {
    return Response::Error(401, "authentication.operator", "revocation needs the operator token");
  }
  auto body = ReadObject(req);
  if (!body) return ErrorResponse(body.error());
  auto scope_name = StringField(*body, "scope", true);
  if (!scope_name) return ErrorResponse(scope_name.error());
  auto scope = store::ParseRevocationScope(*scope_name);
  if (!scope) return ErrorResponse(scope.error());
  auto value = StringField(*body, "value", *scope != store::RevocationScope::kAll);
  auto reason = StringField(*body, "reason", false, "revoked by the operator");
  if (!value) return ErrorResponse(value.error());
  if (!reason) return ErrorResponse(reason.error());
  auto result = api.authority->Revoke(
      {.scope = *scope, .value = *value, .reason = *reason, .actor = "operator"});
  if (!result) return ErrorResponse(result.error());
  boost::json::array tasks;
  for (const auto& t : result->tasks) tasks.emplace_back(t);
  return Response::Json(
      201, json::Serialize(boost::json::object{{"revocation_id", result->revocation_id},
                                               {"tasks_revoked", result->tasks.size()},
                                               {"tasks", std::move(tasks)}}));
}

// SSE: subscribe first, then replay what the client missed, de-duplicating by id.
void RevocationStream(ApiContext& api, const Request& req, http::Responder responder) {
  if (!IsEnforcementPoint(req, api)) {
    return responder.Send(
        Response::Error(401, "authentication.enforcement_point",
                        "the revocation stream needs the enforcement-point token"));
  }
  int64_t after = 0;
  if (auto h = req.Header("last-event-id")) {
    after = std::atoll(std::string(*h).c_str());
  } else if (auto q = req.QueryParam("after")) {
    after = std::atoll(q->c_str());
  }
  auto stream = responder.StartEvents();
  struct State {
    std::mutex mu;
    int64_t last = 0;
  };
  auto state = std::make_shared<State>();
  state->last = after;
  auto send = [stream, state](const authority::RevocationNotice& n) {
    std::lock_guard lock(state->mu);
    if (n.id <= state->last) return;
    state->last = n.id;
    stream->Send({std::to_string(n.id), "revocation", NoticeJson(n), std::nullopt});
  };
  std::lock_guard lock(state->mu);  // hold live events until the replay is sent
  authority::Authority* authority = api.authority;
  const uint64_t handle =
      authority->Subscribe([send](const authority::RevocationNotice& n) { send(n); });
  stream->OnClose([authority, handle] { authority->Unsubscribe(handle); });
  auto missed = authority->RevocationsSince(after);
  if (!missed) {
    stream->Close();
    return;
  }
  for (const auto& n : *missed) {
    if (n.id <= state->last) continue;
    state->last = n.id;
    stream->Send({std::to_string(n.id), "revocation", NoticeJson(n), std::nullopt});
  }
}

}  // namespace

Status AddRevocationRoutes(http::Router& router, ApiContext& api) {
  ApiContext* a = &api;
  MANDATE_RETURN_IF_ERROR(
      router.Add("POST", "/v1/revocations", [a](const Request& r) { return Revoke(*a, r); }));
  return router.AddAsync(
      "GET", "/v1/revocations/stream",
      [a](const Request& r, http::Responder resp) { RevocationStream(*a, r, std::move(resp)); });
}

}  // namespace mandate::server
