#include "src/enforce/authority_client.h"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "src/credential/jose.h"
#include "src/enforce/gateway.h"
#include "src/json/json.h"

namespace mandate::enforce {
namespace {

std::string Encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

}  // namespace

Result<std::string> ReadEpTokenFile(const std::string& path) {
  auto token = ResolveSecret({SecretRef::Source::kFile, path});
  if (!token) return Err(token.error().WithContext("enforcement-point token"));
  return token;
}

Result<std::string> UnverifiedTaskId(std::string_view task_token) {
  size_t first = task_token.find('.');
  size_t second = first == std::string_view::npos ? first : task_token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return Err(StatusCode::kUnauthenticated, "token.malformed", "task token is not a compact jws");
  }
  auto payload = credential::Base64UrlDecode(task_token.substr(first + 1, second - first - 1));
  if (!payload)
    return Err(StatusCode::kUnauthenticated, "token.malformed", payload.error().message());
  auto claims = credential::ParseClaims(*payload);
  if (!claims)
    return Err(StatusCode::kUnauthenticated, "token.malformed", claims.error().message());
  const boost::json::value* id = claims->if_contains("task_id");
  if (id == nullptr || !id->is_string() || id->as_string().empty()) {
    return Err(StatusCode::kUnauthenticated, "token.malformed", "task token has no `task_id`");
  }
  return std::string(id->as_string());
}

HttpDecisionClient::HttpDecisionClient(AuthorityOptions options)
    : options_(std::move(options)), pool_(std::make_unique<http::ClientPool>(options_.client)) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

HttpDecisionClient::~HttpDecisionClient() = default;

http::HeaderList HttpDecisionClient::Headers(const AgentCredentials& agent) const {
  http::HeaderList headers = {{"Authorization", "Bearer " + options_.ep_token},
                              {"X-Mandate-Task-Token", agent.task_token}};
  if (!agent.dpop_proof.empty()) headers.emplace_back("X-Mandate-DPoP", agent.dpop_proof);
  if (!agent.method.empty()) headers.emplace_back("X-Mandate-Method", agent.method);
  if (!agent.url.empty()) headers.emplace_back("X-Mandate-URL", agent.url);
  return headers;
}

Decision HttpDecisionClient::Authorize(const AuthorizeRequest& request) {
  for (const auto& [name, value] : Headers(request.agent)) {
    if (!http::IsValidHeader(name, value)) {
      Decision d = ErrorDecision("authentication.malformed", "agent credential holds bad bytes");
      d.verdict = Verdict::kDeny;
      d.reasons.front().check = "authentication";
      return d;
    }
  }
  http::ClientRequest req;
  req.method = "POST";
  req.url = options_.url + "/v1/authorize";
  req.headers = Headers(request.agent);
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = AuthorizeRequestBody(request);
  auto response = pool_->Send(req);
  if (!response) {
    return ErrorDecision("authority.unavailable",
                         "authority unreachable: " + std::string(response.error().reason()));
  }
  return ParseAuthorizeResponse(response->status, response->body);
}

Result<std::vector<std::string>> HttpDecisionClient::AllowedActions(const AgentCredentials& agent,
                                                                    std::string_view system) {
  auto task_id = UnverifiedTaskId(agent.task_token);
  if (!task_id) return Err(task_id.error());
  http::ClientRequest req;
  req.method = "GET";
  req.url = options_.url + "/v1/tasks/" + Encode(*task_id) + "/actions?system=" + Encode(system);
  // Read-only and limited to the task's own allowances: the proof is not spent on it.
  AgentCredentials no_proof = agent;
  no_proof.dpop_proof.clear();
  req.headers = Headers(no_proof);
  for (const auto& [name, value] : req.headers) {
    if (!http::IsValidHeader(name, value)) {
      return Err(StatusCode::kInvalidArgument, "authentication.malformed", "bad header bytes");
    }
  }
  auto response = pool_->Send(req);
  if (!response) {
    return Err(StatusCode::kUnavailable, "authority.unavailable",
               "authority unreachable: " + std::string(response.error().reason()));
  }
  if (response->status != 200) {
    return Err(
        StatusCode::kPermissionDenied, "authority.rejected",
        "authority answered http " + std::to_string(response->status) + " for allowed actions");
  }
  auto doc = json::Parse(response->body);
  const boost::json::value* actions =
      doc && doc->is_object() ? doc->as_object().if_contains("actions") : nullptr;
  if (actions == nullptr || !actions->is_array()) {
    return Err(StatusCode::kUnavailable, "authority.bad_answer", "`actions` missing");
  }
  std::vector<std::string> out;
  for (const boost::json::value& a : actions->as_array()) {
    if (a.is_string()) out.emplace_back(a.as_string());
  }
  return out;
}

}  // namespace mandate::enforce
