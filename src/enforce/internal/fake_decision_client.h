// A DecisionClient for unit tests: records what it was asked and answers with preset values.
// Thread-safety: not thread-safe; one test at a time.
#pragma once

#include <string>
#include <vector>

#include "src/enforce/decision.h"

namespace mandate::enforce::internal {

class FakeDecisionClient : public DecisionClient {
 public:
  Decision Authorize(const AuthorizeRequest& request) override {
    asked.push_back(request);
    return answer;
  }
  Result<std::vector<std::string>> AllowedActions(const AgentCredentials&,
                                                  std::string_view) override {
    ++lists;
    if (!reachable) return Err(StatusCode::kUnavailable, "authority.unavailable", "down");
    return allowed;
  }

  Decision answer;
  std::vector<AuthorizeRequest> asked;
  std::vector<std::string> allowed;
  bool reachable = true;
  int lists = 0;
};

}  // namespace mandate::enforce::internal
