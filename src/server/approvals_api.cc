// Approval routes (docs/delegation.md, "Approvals"): list, show (with a long poll for the
// waiting agent), approve and deny, and the webhooks for approvals and revocations.
//
// Who decides: the operator (admin token, recorded as `operator`), or a person presenting an
// OIDC token of a configured issuer whose `email` or `<issuer>#<subject>` is the mandate's
// owner or a member of the mandate's approver group (governance `mandate_approvers`). The
// agent whose call is held can never approve it.
#include <boost/json.hpp>
#include <charconv>
#include <condition_variable>
#include <thread>

#include "src/json/json.h"
#include "src/server/internal_api.h"
#include "src/server/webhooks.h"

namespace mandate::server {

using http::Request;
using http::Response;

namespace {

boost::json::object ApprovalObject(const authority::ApprovalView& v) {
  return {{"approval_id", v.id},
          {"task_id", v.task_id},
          {"state", v.state},
          {"call_digest", v.call_digest},
          {"decided_by", v.decided_by},
          {"created_at", v.created_at},
          {"expires_at", v.expires_at},
          {"agent", v.agent},
          {"mandate", v.mandate},
          {"owner", v.owner},
          {"step", v.step},
          {"call", {{"system", v.system}, {"action", v.action}, {"resource", v.resource}}},
          {"rule", v.rule},
          {"used", v.used}};
}

Response ApprovalResponse(const authority::ApprovalView& v) {
  return Response::Json(200, json::Serialize(ApprovalObject(v)));
}

// `30s`, `1500ms` or `30` (seconds), capped at 60 s.
std::optional<int64_t> ParseWaitMs(std::string_view text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  if (unit == "ms") return std::min<int64_t>(n, 60'000);
  if (unit == "s" || unit.empty()) return std::min<int64_t>(n, 60) * 1000;
  return std::nullopt;
}

// The identity names of the caller when it presents a verified OIDC token (or JWT-SVID).
Result<std::vector<std::string>> PersonNames(ApiContext& api, const Request& req) {
  const std::string_view token = Credential(req, "Bearer");
  if (token.empty()) {
    return Err(Unauthenticated("authentication.missing",
                               "send the admin token or an approver's OIDC token as Bearer"));
  }
  auto who = api.authority->VerifyUser(token);
  if (!who) {
    return Err(
        Unauthenticated("authentication.invalid", "approver credential: " + who.error().message()));
  }
  std::vector<std::string> names{who->id};
  if (const auto* email = who->claims.if_contains("email"); email && email->is_string()) {
    names.emplace_back(email->as_string());
  }
  return names;
}

// Who decides `v`: `operator`, or the approver's name; else an error.
Result<std::string> Approver(ApiContext& api, const Request& req,
                             const authority::ApprovalView& v) {
  if (IsOperator(req, api)) return std::string("operator");
  auto names = PersonNames(api, req);
  if (!names) return Err(names.error());
  const auto group = api.governance->mandate_approvers.find(v.mandate);
  for (const std::string& name : *names) {
    if (name == v.agent) break;  // the held agent never approves itself
    if (name == v.owner) return name;
    if (group == api.governance->mandate_approvers.end()) continue;
    const auto& members = api.governance->approver_groups.at(group->second);
    if (std::find(members.begin(), members.end(), name) != members.end()) return name;
  }
  return Err(PermissionDenied("approval.not_approver",
                              "only the owner of mandate `" + v.mandate +
                                  "`, its approver group or the operator decide this approval"));
}

}  // namespace

// Long polls of GET /v1/approvals/{id}?wait=: answered when the approval is decided (Wake) or
// when the wait runs out, from one thread, so a waiting agent holds no HTTP worker.
class ApprovalWaiters {
 public:
  explicit ApprovalWaiters(authority::Authority& authority)
      : authority_(authority), thread_([this] { Run(); }) {}
  ~ApprovalWaiters() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Wait(std::string id, int64_t wait_ms, http::Responder responder) {
    std::lock_guard lock(mu_);
    waiters_.push_back(
        {std::move(id), Now() + std::chrono::milliseconds(wait_ms), std::move(responder)});
    cv_.notify_all();
  }
  void Wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }

 private:
  using Clock = std::chrono::steady_clock;
  static Clock::time_point Now() { return Clock::now(); }
  struct Waiter {
    std::string id;
    Clock::time_point until;
    http::Responder responder;
  };
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      // Expiry of pending approvals is by time: look again at least every 250 ms.
      cv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping_ || woken_; });
      woken_ = false;
      std::vector<Waiter> ready;
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        auto view = authority_.GetApproval(it->id);
        if (stopping_ || !view || view->state != "pending" || Now() >= it->until) {
          ready.push_back(std::move(*it));
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
      const bool stop = stopping_;
      lock.unlock();
      for (Waiter& w : ready) {
        auto view = authority_.GetApproval(w.id);
        w.responder.Send(view ? ApprovalResponse(*view) : ErrorResponse(view.error()));
      }
      if (stop) return;
      lock.lock();
    }
  }

  authority::Authority& authority_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> waiters_;  // GUARDED_BY(mu_)
  bool woken_ = false;           // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)
  std::thread thread_;
};

void NotifyDecision(ApiContext& api, const authority::Decision& d) {
  if (!d.approval_created || !api.webhooks) return;
  auto view = api.authority->GetApproval(d.approval_id);
  if (view) api.webhooks->Publish("approval.pending", json::Serialize(ApprovalObject(*view)));
}

namespace {

Response List(ApiContext& api, const Request& req) {
  std::optional<std::vector<std::string>> person;
  if (!IsOperator(req, api)) {
    auto names = PersonNames(api, req);
    if (!names) return ErrorResponse(names.error());
    person = std::move(*names);
  }
  const std::string state = req.QueryParam("state").value_or("");
  if (!state.empty() && !store::ParseApprovalState(state)) {
    return Response::Error(400, "request.invalid_field",
                           "`state` is one of pending, approved, denied, expired");
  }
  boost::json::array out;
  for (const auto& v : api.authority->ListApprovals(state)) {
    // A person sees the approvals they may decide.
    if (person && !Approver(api, req, v)) continue;
    out.push_back(ApprovalObject(v));
  }
  return Response::Json(200, json::Serialize(boost::json::object{{"approvals", std::move(out)}}));
}

void Show(ApiContext& api, const Request& req, http::Responder responder) {
  const std::string id(req.PathParam("id"));
  auto view = api.authority->GetApproval(id);
  if (!view) return responder.Send(ErrorResponse(view.error()));
  // The held task's agent, the operator or an approver.
  if (!IsOperator(req, api)) {
    Status denied;
    if (Credential(req, "DPoP").empty()) {
      if (auto who = Approver(api, req, *view); !who) denied = who.error();
    } else {
      auto caller = ReadTaskCaller(req, api);
      auto task = caller ? api.authority->AuthenticateTask(caller->token, caller->proof())
                         : Result<std::string>(Err(caller.error()));
      if (!task) {
        denied = task.error();
      } else if (*task != view->task_id) {
        denied =
            PermissionDenied("authentication.wrong_task", "the approval belongs to another task");
      }
    }
    if (!denied.ok()) return responder.Send(ErrorResponse(denied));
  }
  int64_t wait_ms = 0;
  if (auto wait = req.QueryParam("wait")) {
    auto ms = ParseWaitMs(*wait);
    if (!ms) {
      return responder.Send(Response::Error(400, "request.invalid_field",
                                            "`wait` is a duration like `30s` (at most 60 s)"));
    }
    wait_ms = *ms;
  }
  if (wait_ms == 0 || view->state != "pending") return responder.Send(ApprovalResponse(*view));
  api.approval_waiters->Wait(id, wait_ms, std::move(responder));
}

Response Decide(ApiContext& api, const Request& req, bool approve) {
  const std::string id(req.PathParam("id"));
  auto view = api.authority->GetApproval(id);
  if (!view) return ErrorResponse(view.error());
  auto who = Approver(api, req, *view);
  if (!who) return ErrorResponse(who.error());
  std::string note;
  if (!req.body().empty()) {
    auto body = ReadObject(req);
    if (!body) return ErrorResponse(body.error());
    auto reason = StringField(*body, "reason", false);
    if (!reason) return ErrorResponse(reason.error());
    note = *reason;
  }
  auto decided = api.authority->DecideApproval(id, approve, *who, note);
  if (!decided) return ErrorResponse(decided.error());
  api.approval_waiters->Wake();
  if (api.webhooks) {
    api.webhooks->Publish("approval.decided", json::Serialize(ApprovalObject(*decided)));
  }
  return ApprovalResponse(*decided);
}

}  // namespace

Status AddApprovalRoutes(http::Router& router, ApiContext& api) {
  ApiContext* a = &api;
  api.approval_waiters = std::make_shared<ApprovalWaiters>(*api.authority);
  api.webhooks = std::make_shared<WebhookNotifier>(api.governance->webhooks);
  if (!api.governance->webhooks.empty()) {
    std::shared_ptr<WebhookNotifier> hooks = api.webhooks;
    api.authority->Subscribe([hooks](const authority::RevocationNotice& n) {
      hooks->Publish("revocation", NoticeJson(n));
    });
  }
  MANDATE_RETURN_IF_ERROR(
      router.Add("GET", "/v1/approvals", [a](const Request& r) { return List(*a, r); }));
  MANDATE_RETURN_IF_ERROR(router.AddAsync(
      "GET", "/v1/approvals/{id}",
      [a](const Request& r, http::Responder resp) { Show(*a, r, std::move(resp)); }));
  MANDATE_RETURN_IF_ERROR(router.Add("POST", "/v1/approvals/{id}/approve",
                                     [a](const Request& r) { return Decide(*a, r, true); }));
  MANDATE_RETURN_IF_ERROR(router.Add("POST", "/v1/approvals/{id}/deny",
                                     [a](const Request& r) { return Decide(*a, r, false); }));
  return Status();
}

}  // namespace mandate::server
