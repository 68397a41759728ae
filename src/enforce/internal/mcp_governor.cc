#include "src/enforce/internal/mcp_governor.h"

#include <algorithm>
#include <boost/json.hpp>

#include "src/enforce/internal/decision_audit.h"
#include "src/json/json.h"

namespace mandate::enforce::internal {
namespace {

json::Limits MessageLimits() {
  json::Limits limits;
  limits.max_bytes = 4 << 20;  // MCP tool arguments and results can be large
  limits.max_depth = 64;
  return limits;
}

std::string IsErrorResult(std::string_view id_json, std::string text) {
  boost::json::object result;
  result["content"] = boost::json::array{boost::json::object{{"type", "text"}, {"text", text}}};
  result["isError"] = true;
  boost::json::object reply{{"jsonrpc", "2.0"}};
  reply["id"] = boost::json::parse(id_json);
  reply["result"] = std::move(result);
  return boost::json::serialize(reply);
}

bool Contains(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

bool IsUnknownToolReason(std::string_view code) {
  return code == "chain.unknown_action" || code == "chain.unknown_system";
}

McpGovernor::McpGovernor(DecisionClient& client, const RevocationFeed* feed, std::string system,
                         std::string resource, DecisionAudit* audit)
    : client_(client),
      feed_(feed),
      audit_(audit),
      system_(std::move(system)),
      resource_(resource.empty() ? system_ : std::move(resource)) {}

std::string McpGovernor::ErrorReply(std::string_view id_json, int code, std::string_view message) {
  boost::json::object reply{{"jsonrpc", "2.0"}};
  reply["id"] = boost::json::parse(id_json);
  reply["error"] = boost::json::object{{"code", code}, {"message", message}};
  return boost::json::serialize(reply);
}

McpClientOutcome McpGovernor::OnClientMessage(std::string_view text,
                                              const AgentCredentials& agent) const {
  McpClientOutcome out;
  auto doc = json::Parse(text, MessageLimits());
  if (!doc) {
    out.reply = ErrorReply("null", kParseError, "parse error: " + doc.error().message());
    return out;
  }
  if (doc->is_array()) {
    // Reject the whole batch: one error per request that expects an answer.
    boost::json::array replies;
    for (const boost::json::value& item : doc->as_array()) {
      const boost::json::value* id =
          item.is_object() ? item.as_object().if_contains("id") : nullptr;
      if (id == nullptr) continue;
      replies.push_back(boost::json::parse(ErrorReply(
          boost::json::serialize(*id), kInvalidRequest,
          "json-rpc batches are not accepted by the mandate proxy; send one message at a time")));
    }
    if (replies.empty()) {
      out.reply = ErrorReply("null", kInvalidRequest, "json-rpc batches are not accepted");
    } else {
      out.reply = boost::json::serialize(replies);
    }
    return out;
  }
  if (!doc->is_object()) {
    out.reply = ErrorReply("null", kInvalidRequest, "a json-rpc message must be an object");
    return out;
  }
  const boost::json::object& msg = doc->as_object();
  const boost::json::value* method = msg.if_contains("method");
  const boost::json::value* id = msg.if_contains("id");
  if (method == nullptr) {  // a response to a server request: pass through
    out.forward = true;
    return out;
  }
  std::string id_json = id ? boost::json::serialize(*id) : "null";
  if (!method->is_string()) {
    out.reply = ErrorReply(id_json, kInvalidRequest, "`method` must be a string");
    return out;
  }
  out.method = std::string(method->as_string());
  if (out.method == "tools/call") {
    if (id == nullptr) {  // a notification cannot carry a call: refuse to forward it
      out.reply = ErrorReply("null", kInvalidRequest, "`tools/call` needs an id");
      return out;
    }
    const boost::json::value* params = msg.if_contains("params");
    if (params == nullptr || !params->is_object()) {
      out.reply = ErrorReply(id_json, kInvalidParams, "`tools/call` needs `params`");
      return out;
    }
    return OnToolsCall(id_json, params->as_object(), agent);
  }
  if (out.method == "tools/list" && id != nullptr) {
    auto allowed = client_.AllowedActions(agent, system_);
    out.tools_list_id = id_json;
    if (allowed) out.allowed_tools = std::move(*allowed);  // on error: hide every tool
  }
  out.forward = true;
  return out;
}

McpClientOutcome McpGovernor::OnToolsCall(const std::string& id_json,
                                          const boost::json::object& params,
                                          const AgentCredentials& agent) const {
  McpClientOutcome out;
  out.method = "tools/call";
  const boost::json::value* name = params.if_contains("name");
  if (name == nullptr || !name->is_string() || name->as_string().empty()) {
    out.reply = ErrorReply(id_json, kInvalidParams, "`tools/call` needs a tool `name`");
    return out;
  }
  out.tool = std::string(name->as_string());
  AuthorizeRequest ask;
  ask.agent = agent;
  ask.system = system_;
  ask.action = out.tool;
  ask.resource = resource_;
  if (const boost::json::value* args = params.if_contains("arguments")) {
    if (!args->is_object()) {
      out.reply = ErrorReply(id_json, kInvalidParams, "`arguments` must be an object");
      return out;
    }
    ask.args = args->as_object();
  }
  // What the governor refuses on its own no authority decision records: it goes to the trail here.
  auto record_own = [&](const Decision& d, std::string_view outcome) {
    if (audit_ != nullptr) {
      audit_->Record(RecordOfDecision(d, system_, out.tool, resource_, outcome, ask.args));
    }
  };
  if (feed_ != nullptr) {
    if (Status ready = feed_->Ready(); !ready.ok()) {
      out.decision = ErrorDecision(std::string(ready.reason()), ready.message());
      record_own(out.decision, "error");
      out.reply = ErrorReply(id_json, kInternalError,
                             "mandate: " + std::string(ready.reason()) + ": " + ready.message());
      return out;
    }
  }
  Decision decision = client_.Authorize(ask);
  if (decision.verdict == Verdict::kAllow && feed_ != nullptr && !decision.task_id.empty() &&
      feed_->deny_set().IsTaskRevoked(decision.task_id)) {
    decision.verdict = Verdict::kDeny;
    decision.reasons = {{"revocation", "revocation.task_revoked", "the task was revoked", ""}};
    record_own(decision, "deny");
  }
  out.decision = decision;
  switch (decision.verdict) {
    case Verdict::kAllow:
      out.forward = true;
      return out;
    case Verdict::kError:
      out.reply =
          ErrorReply(id_json, kInternalError,
                     "mandate: " + decision.PrimaryCode() + ": " + decision.PrimaryMessage());
      return out;
    case Verdict::kPending:
      out.reply = IsErrorResult(
          id_json, "mandate: tool `" + out.tool + "` needs approval (" + decision.PrimaryCode() +
                       ", approval `" + decision.approval_id + "`): " + decision.PrimaryMessage());
      return out;
    case Verdict::kDeny:
      break;
  }
  // A tool no step of the mandate names is "unknown" to this task (the authority says so with
  // `chain.unknown_action`, or `chain.unknown_system` when the mandate never names this server);
  // anything else (arguments, order, budget, revocation) is a refusal the model can act on.
  const std::string code = decision.PrimaryCode();
  if (IsUnknownToolReason(code)) {
    out.reply = ErrorReply(id_json, kInvalidParams,
                           "Unknown tool: " + out.tool + " (not in the task's mandate)");
    return out;
  }
  out.reply = IsErrorResult(id_json, "mandate denied tool `" + out.tool + "`: " + code + ": " +
                                         decision.PrimaryMessage());
  return out;
}

std::optional<std::string> McpGovernor::ResponseId(std::string_view text) {
  auto doc = json::Parse(text, MessageLimits());
  if (!doc || !doc->is_object()) return std::nullopt;
  const boost::json::object& msg = doc->as_object();
  if (msg.contains("method")) return std::nullopt;
  const boost::json::value* id = msg.if_contains("id");
  if (id == nullptr) return std::nullopt;
  return boost::json::serialize(*id);
}

std::string McpGovernor::FilterToolsList(std::string_view text, std::string_view list_id,
                                         const std::vector<std::string>& allowed) {
  auto doc = json::Parse(text, MessageLimits());
  if (!doc || !doc->is_object()) return std::string(text);
  boost::json::object& msg = doc->as_object();
  const boost::json::value* id = msg.if_contains("id");
  if (id == nullptr || msg.contains("method") || boost::json::serialize(*id) != list_id) {
    return std::string(text);
  }
  boost::json::value* result = msg.if_contains("result");
  if (result == nullptr || !result->is_object()) return std::string(text);
  boost::json::value* tools = result->as_object().if_contains("tools");
  if (tools == nullptr || !tools->is_array()) return std::string(text);
  boost::json::array kept;
  for (boost::json::value& tool : tools->as_array()) {
    const boost::json::value* name =
        tool.is_object() ? tool.as_object().if_contains("name") : nullptr;
    if (name != nullptr && name->is_string() && Contains(allowed, name->as_string())) {
      kept.push_back(std::move(tool));
    }
  }
  *tools = std::move(kept);
  return boost::json::serialize(msg);
}

}  // namespace mandate::enforce::internal
