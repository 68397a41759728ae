// The enforcement point's link to the authority (`mandate serve`, docs/api.md): a DecisionClient
// over HTTP with the enforcement-point token, and the agent's credentials forwarded in the
// `X-Mandate-*` headers.
// Thread-safety: HttpDecisionClient is thread-safe (a keep-alive connection pool inside).
#pragma once

#include <memory>
#include <string>

#include "src/enforce/decision.h"
#include "src/http/client.h"

namespace mandate::enforce {

struct AuthorityOptions {
  std::string url;       // e.g. http://127.0.0.1:7070 (no trailing slash needed)
  std::string ep_token;  // enforcement-point bearer token
  http::ClientOptions client;
};

// Reads the enforcement-point token from a file (trailing newline dropped; must be owner-only).
// Reasons: those of ResolveSecret.
[[nodiscard]] Result<std::string> ReadEpTokenFile(const std::string& path);

class HttpDecisionClient final : public DecisionClient {
 public:
  explicit HttpDecisionClient(AuthorityOptions options);
  ~HttpDecisionClient() override;

  // POST /v1/authorize. Transport failures: kError `authority.unavailable`.
  Decision Authorize(const AuthorizeRequest& request) override;
  // GET /v1/tasks/{task_id}/actions?system=S (task id read from the token's claims; the
  // authority verifies the token). Answer: {"actions":["read_file",...]}.
  Result<std::vector<std::string>> AllowedActions(const AgentCredentials& agent,
                                                  std::string_view system) override;

 private:
  http::HeaderList Headers(const AgentCredentials& agent) const;
  AuthorityOptions options_;
  std::unique_ptr<http::ClientPool> pool_;
};

// The `task_id` claim of a task token, read WITHOUT verification (only to build a URL; the
// authority verifies the token). Reasons: `token.malformed`.
[[nodiscard]] Result<std::string> UnverifiedTaskId(std::string_view task_token);

}  // namespace mandate::enforce
