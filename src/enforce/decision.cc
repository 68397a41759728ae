#include "src/enforce/decision.h"

#include <boost/json.hpp>

#include "src/json/json.h"

namespace mandate::enforce {
namespace {

std::string StringMember(const boost::json::object& obj, std::string_view key) {
  const boost::json::value* v = obj.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllow:
      return "allow";
    case Verdict::kDeny:
      return "deny";
    case Verdict::kPending:
      return "pending";
    case Verdict::kError:
      return "error";
  }
  return "error";
}

std::string Decision::PrimaryCode() const {
  if (!reasons.empty() && !reasons.front().code.empty()) return reasons.front().code;
  switch (verdict) {
    case Verdict::kAllow:
      return "decision.allow";
    case Verdict::kDeny:
      return "decision.deny";
    case Verdict::kPending:
      return "approval.required";
    case Verdict::kError:
      return "authority.unavailable";
  }
  return "authority.unavailable";
}

std::string Decision::PrimaryMessage() const {
  if (!reasons.empty() && !reasons.front().message.empty()) return reasons.front().message;
  switch (verdict) {
    case Verdict::kAllow:
      return "allowed";
    case Verdict::kDeny:
      return "denied by the authority";
    case Verdict::kPending:
      return "waiting for a human's approval";
    case Verdict::kError:
      return "the authority could not decide";
  }
  return "the authority could not decide";
}

Decision ErrorDecision(std::string code, std::string message) {
  Decision d;
  d.verdict = Verdict::kError;
  d.reasons.push_back({"authority", std::move(code), std::move(message), ""});
  return d;
}

Decision ParseAuthorizeResponse(int http_status, std::string_view body) {
  json::Limits limits;
  limits.max_bytes = 256 * 1024;
  auto doc = json::Parse(body, limits);
  if (http_status != 200) {
    // An HTTP error from the authority: keep its stable code when the body is the error shape.
    if (doc && doc->is_object()) {
      const boost::json::value* err = doc->as_object().if_contains("error");
      if (err != nullptr && err->is_object()) {
        std::string code = StringMember(err->as_object(), "code");
        std::string message = StringMember(err->as_object(), "message");
        if (!code.empty()) {
          Decision d = ErrorDecision(code, message);
          // 401/403 from the authority are refusals it decided, not failures to decide.
          if (http_status == 401 || http_status == 403) {
            d.verdict = Verdict::kDeny;
            d.reasons.front().check = "authentication";
          }
          return d;
        }
      }
    }
    return ErrorDecision("authority.bad_answer",
                         "authority answered http " + std::to_string(http_status));
  }
  if (!doc || !doc->is_object()) {
    return ErrorDecision("authority.bad_answer", "authority answer is not a json object");
  }
  const boost::json::object& obj = doc->as_object();
  Decision d;
  std::string verdict = StringMember(obj, "decision");
  if (verdict == "allow") {
    d.verdict = Verdict::kAllow;
  } else if (verdict == "deny") {
    d.verdict = Verdict::kDeny;
  } else if (verdict == "pending") {
    d.verdict = Verdict::kPending;
  } else {
    return ErrorDecision("authority.bad_answer", "unknown decision `" + verdict + "`");
  }
  d.task_id = StringMember(obj, "task_id");
  d.step = StringMember(obj, "step");
  d.credential = StringMember(obj, "credential");
  d.approval_id = StringMember(obj, "approval_id");
  if (const boost::json::value* v = obj.if_contains("credential_expires_at"); v && v->is_int64()) {
    d.credential_expires_at = v->as_int64();
  }
  if (const boost::json::value* v = obj.if_contains("task_revoked"); v && v->is_bool()) {
    d.task_revoked = v->as_bool();
  }
  if (const boost::json::value* v = obj.if_contains("reasons"); v && v->is_array()) {
    for (const boost::json::value& r : v->as_array()) {
      if (!r.is_object()) continue;
      const boost::json::object& ro = r.as_object();
      d.reasons.push_back({StringMember(ro, "check"), StringMember(ro, "code"),
                           StringMember(ro, "message"), StringMember(ro, "rule")});
    }
  }
  d.recorded_by_authority = true;
  return d;
}

std::string AuthorizeRequestBody(const AuthorizeRequest& request) {
  boost::json::object body;
  body["system"] = request.system;
  body["action"] = request.action;
  body["resource"] = request.resource;
  body["args"] = request.args;
  return boost::json::serialize(body);
}

}  // namespace mandate::enforce
