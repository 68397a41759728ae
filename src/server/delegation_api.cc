// Delegation routes (docs/delegation.md): a thin adapter that parses the handoff, checks the
// caller is the parent task's agent, and delegates to Authority::Delegate.
#include <boost/json.hpp>

#include "src/json/json.h"
#include "src/server/internal_api.h"

namespace mandate::server {
namespace {

using http::Request;
using http::Response;

constexpr size_t kMaxListItems = 64;

Status Invalid(std::string field, std::string what) {
  return InvalidArgument("request.invalid_field", "field `" + field + "` " + what);
}

Result<std::vector<std::string>> StringList(const boost::json::value& v, const std::string& field) {
  if (!v.is_array() || v.as_array().size() > kMaxListItems) {
    return Err(Invalid(field, "must be a list of at most 64 strings"));
  }
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) {
    if (!e.is_string() || e.as_string().empty()) {
      return Err(Invalid(field, "must hold non-empty strings"));
    }
    out.emplace_back(e.as_string());
  }
  return out;
}

Result<uint32_t> Count(const boost::json::value& v, const std::string& field) {
  if (!v.is_int64() || v.as_int64() < 0 || v.as_int64() > UINT32_MAX) {
    return Err(Invalid(field, "must be a non-negative integer"));
  }
  return static_cast<uint32_t>(v.as_int64());
}

Result<authority::DelegatedStep> ParseStep(const boost::json::value& v) {
  authority::DelegatedStep step;
  if (v.is_string()) {
    step.id = std::string(v.as_string());
    return step;
  }
  if (!v.is_object()) return Err(Invalid("steps", "must hold step ids or objects"));
  for (const auto& [key, value] : v.as_object()) {
    if (key == "id" && value.is_string()) {
      step.id = std::string(value.as_string());
    } else if (key == "actions" || key == "resources") {
      auto list = StringList(value, "steps[]." + std::string(key));
      if (!list) return Err(list.error());
      (key == "actions" ? step.actions : step.resources) = std::move(*list);
    } else if (key == "max_calls") {
      auto n = Count(value, "steps[].max_calls");
      if (!n) return Err(n.error());
      step.max_calls = *n;
    } else {
      return Err(InvalidArgument("request.unknown_field",
                                 "unknown or mistyped field `steps[]." + std::string(key) + "`"));
    }
  }
  if (step.id.empty()) return Err(Invalid("steps[].id", "is required"));
  return step;
}

Result<authority::DelegateRequest> ParseDelegation(const boost::json::object& body) {
  authority::DelegateRequest d;
  for (const auto& [key, v] : body) {
    const std::string k(key);
    if (k == "agent" || k == "mandate" || k == "version") {
      if (!v.is_string()) return Err(Invalid(k, "must be a string"));
      (k == "agent" ? d.agent : k == "mandate" ? d.mandate : d.version) = v.as_string();
    } else if (k == "inputs") {
      if (!v.is_object()) return Err(Invalid(k, "must be an object"));
      d.inputs = v.as_object();
    } else if (k == "steps") {
      if (!v.is_array() || v.as_array().size() > kMaxListItems) {
        return Err(Invalid(k, "must be a list of steps"));
      }
      for (const auto& s : v.as_array()) {
        auto step = ParseStep(s);
        if (!step) return Err(step.error());
        d.steps.push_back(std::move(*step));
      }
    } else if (k == "labels") {
      auto labels = StringList(v, k);
      if (!labels) return Err(labels.error());
      d.labels = std::move(*labels);
    } else if (k == "max_calls") {
      auto n = Count(v, k);
      if (!n) return Err(n.error());
      d.max_calls = *n;
    } else if (k == "deadline") {
      if (!v.is_int64()) return Err(Invalid(k, "must be unix seconds"));
      d.deadline = v.as_int64();
    } else if (k == "may_delegate") {
      if (!v.is_bool()) return Err(Invalid(k, "must be a boolean"));
      d.may_delegate = v.as_bool();
    } else {
      return Err(InvalidArgument("request.unknown_field", "unknown field `" + k + "`"));
    }
  }
  if (d.agent.empty()) {
    return Err(InvalidArgument("request.missing_field", "field `agent` is required"));
  }
  if (d.steps.empty()) {
    return Err(InvalidArgument("request.missing_field", "field `steps` is required"));
  }
  return d;
}

// Only the parent task's own agent hands its work on (the operator starts no delegations:
// the actor chain must name a real delegator).
Response Delegate(ApiContext& api, const Request& req) {
  auto caller = ReadTaskCaller(req, api);
  if (!caller) return ErrorResponse(caller.error());
  auto task = api.authority->AuthenticateTask(caller->token, caller->proof());
  if (!task) return ErrorResponse(task.error());
  if (*task != req.PathParam("id")) {
    return Response::Error(403, "authentication.wrong_task", "the task token is for another task");
  }
  auto body = ReadObject(req);
  if (!body) return ErrorResponse(body.error());
  auto request = ParseDelegation(*body);
  if (!request) return ErrorResponse(request.error());
  request->parent_task = *task;
  auto delegation = api.authority->Delegate(*request);
  if (!delegation) return ErrorResponse(delegation.error());
  if (Status s = api.authority->WaitDurable(delegation->audit_ticket); !s.ok()) {
    return ErrorResponse(s);
  }
  boost::json::object o{
      {"task_id", delegation->task_id},
      {"parent_task", delegation->parent_task},
      {"agent", delegation->agent},
      {"mandate", {{"name", delegation->mandate}, {"version", delegation->version}}},
      {"deadline", delegation->deadline},
      {"grant", delegation->grant}};
  return Response::Json(201, json::Serialize(o));
}

}  // namespace

Status AddDelegationRoutes(http::Router& router, ApiContext& api) {
  ApiContext* a = &api;
  MANDATE_RETURN_IF_ERROR(router.Add("POST", "/v1/tasks/{id}/delegations",
                                     [a](const Request& r) { return Delegate(*a, r); }));
  return AddApprovalRoutes(router, api);
}

}  // namespace mandate::server
