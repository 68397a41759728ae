// What an enforcement point asks the authority, and the answer it gets back: the small
// `DecisionClient` interface every enforcement point knows (Envoy ext_authz style), so the
// gateway and the MCP proxy never depend on how the authority is reached.
// Thread-safety: value types; DecisionClient implementations must be thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/status.h"

namespace mandate::enforce {

// Three outcomes plus "pending" (a human must approve). kError means "could not decide" and is
// always enforced as a refusal (fail closed).
enum class Verdict { kAllow, kDeny, kPending, kError };
std::string_view VerdictName(Verdict verdict);  // "allow", "deny", "pending", "error"

// One reason of a decision, as docs/api.md defines it.
struct Reason {
  std::string check;  // authentication, revocation, chain, guard, policy, budget, deadline, ...
  std::string code;   // stable, e.g. `chain.out_of_order`
  std::string message;
  std::string rule;  // Cedar policy id or mandate step, when one decided
};

struct Decision {
  Verdict verdict = Verdict::kError;
  std::string task_id;
  std::string step;
  // The step credential (JWT) the authority issued on allow; empty for a held one checked
  // locally (the agent holds it already: copying it per call was CPU for nothing).
  std::string credential;
  int64_t credential_expires_at = 0;
  std::string approval_id;  // on pending
  bool task_revoked = false;
  std::vector<Reason> reasons;
  // Set for a well-formed authority answer: the authority appended the audit record itself.
  // Anything else an enforcement point answers (a held step credential decided locally, its
  // own refusals) it must record itself (src/enforce/internal/decision_audit.h).
  bool recorded_by_authority = false;
  // Decided locally from a step credential: its `sub` and `jti`, and how possession was shown
  // (`dpop` or `bound_connection`), for that record.
  std::string agent;
  std::string credential_id;
  std::string proof;
  // Decided locally with a DPoP proof: the key it proved (`cnf.jkt`), which the connection may
  // be bound to (docs/identity.md). Empty otherwise.
  std::string proven_jkt;

  // The first reason's code, or a code naming the verdict when the authority gave none.
  std::string PrimaryCode() const;
  // The first reason's message, or a generic one.
  std::string PrimaryMessage() const;
};

// A decision that could not be obtained (transport failure, bad answer): kError + one reason.
Decision ErrorDecision(std::string code, std::string message);

// The agent's identity as presented to the enforcement point.
struct AgentCredentials {
  std::string task_token;  // from `Authorization: DPoP <token>` (or the stdio environment)
  std::string dpop_proof;  // for `method` + `url` below; may be empty on a bound connection
  std::string method;      // the agent's original request method and URL (proof's htm / htu)
  std::string url;
  // The key (RFC 7638 thumbprint) a DPoP proof proved earlier on this same keep-alive
  // connection (the "bound connection" of docs/api.md); empty: none. A step credential bound to
  // that key (`cnf.jkt`) needs no proof now; any other key still does.
  std::string connection_jkt;
};

struct AuthorizeRequest {
  AgentCredentials agent;
  std::string system;
  std::string action;
  std::string resource;
  boost::json::object args;
};

class DecisionClient {
 public:
  virtual ~DecisionClient() = default;
  // Decides one tool call. Never throws; transport failures come back as kError.
  virtual Decision Authorize(const AuthorizeRequest& request) = 0;
  // Decides when that needs no network round trip and no wait (a held step credential checked
  // against cached keys and the local deny set); nullopt when the caller must use Authorize
  // from a thread that may block. Lets an event-loop thread decide inline.
  virtual std::optional<Decision> TryAuthorizeWithoutWaiting(const AuthorizeRequest& request) {
    (void)request;
    return std::nullopt;
  }
  // The actions of `system` the task's mandate could ever allow (for hiding MCP tools).
  // Reasons: `authority.unavailable`, `authority.rejected` (the authority said no).
  [[nodiscard]] virtual Result<std::vector<std::string>> AllowedActions(
      const AgentCredentials& agent, std::string_view system) = 0;
};

// Reads a `/v1/authorize` answer (docs/api.md). Anything but a well-formed 200 answer is kError
// with reason `authority.bad_answer` (or the authority's own error code for 4xx/5xx).
Decision ParseAuthorizeResponse(int http_status, std::string_view body);

// The `/v1/authorize` request body for `request` (system, action, resource, args).
std::string AuthorizeRequestBody(const AuthorizeRequest& request);

}  // namespace mandate::enforce
