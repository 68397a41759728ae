// A DecisionClient decorator for enforcement points that hold the agent's key (the stdio MCP
// proxy): it signs a fresh DPoP proof for each authority call, over the authority URL it calls,
// with `ath` bound to the task token.
// Thread-safety: thread-safe (the inner client and the key are).
#pragma once

#include <string>

#include "src/credential/jose.h"
#include "src/enforce/decision.h"
#include "src/util/clock.h"

namespace mandate::enforce::internal {

class ProofMintingClient final : public DecisionClient {
 public:
  ProofMintingClient(DecisionClient& inner, credential::SigningKey agent_key,
                     std::string authorize_url, const Clock& clock)
      : inner_(inner), key_(std::move(agent_key)), url_(std::move(authorize_url)), clock_(clock) {}

  Decision Authorize(const AuthorizeRequest& request) override;
  Result<std::vector<std::string>> AllowedActions(const AgentCredentials& agent,
                                                  std::string_view system) override {
    return inner_.AllowedActions(agent, system);
  }

 private:
  DecisionClient& inner_;
  credential::SigningKey key_;
  std::string url_;
  const Clock& clock_;
};

}  // namespace mandate::enforce::internal
