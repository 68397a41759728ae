// On behalf of a user (docs/delegation.md): a task started with a user's OIDC token acts for
// that user, and each call must be allowed twice: by the mandate (what the agent may do) and
// by the user policies (what the user may do). The token is verified at task start and then
// forgotten: it is never stored, put in a credential or handed to the agent.
#include "src/authority/internal/impl.h"
#include "src/authority/internal/persist.h"

namespace mandate::authority {

inline constexpr std::string_view kCedarUserType = "User";

Status Authority::Impl::LoadUserPolicies() {
  if (deps.user_policies.empty()) return Status();
  auto policies = cedar::ParsePolicies(deps.user_policies);
  if (!policies) return policies.error().WithContext("user policies");
  auto authorizer = cedar::Authorizer::Build(*policies);
  if (!authorizer) return authorizer.error().WithContext("user policies");
  user_policies = std::move(*authorizer);
  if (!deps.user_entities.empty()) {
    auto entities = cedar::EntitiesFromJson(deps.user_entities);
    if (!entities) return entities.error().WithContext("user entities");
    user_entities = std::move(*entities);
  }
  return Status();
}

// The user's name as policies see it: the token's `email` when it has one, else
// `<issuer>#<subject>`.
Result<std::string> Authority::Impl::VerifyPrincipal(std::string_view user_token) {
  if (!user_policies) {
    return Err(StatusCode::kFailedPrecondition, "on_behalf.not_configured",
               "no user policies are configured: tasks cannot act on behalf of a user");
  }
  identity::VerifyOptions verify{.audience = options.bootstrap_audience};
  Status first = Unauthenticated("on_behalf.no_issuer", "no OIDC issuer is configured");
  for (const auto& issuer : deps.oidc_issuers) {
    auto user = identity::VerifyOidcToken(user_token, issuer.issuer, *issuer.keys, verify, clock);
    if (user) {
      if (const auto* email = user->claims.if_contains("email"); email && email->is_string()) {
        return std::string(email->as_string());
      }
      return user->id;
    }
    if (user.error().reason() != "jwt.iss_mismatch" || first.reason() == "on_behalf.no_issuer") {
      first = user.error();
    }
  }
  return Err(first.WithContext("user token (on_behalf_of)"));
}

Decision Authority::Impl::CheckUserEntitled(const LiveTask& task, const Step& step,
                                            const ToolCall& call, Decision allowed,
                                            int64_t now_us) const {
  auto deny = [&](std::string code, std::string message, std::string rule) {
    Decision d;
    d.outcome = Outcome::kDeny;
    d.step = step.id;
    d.reasons.push_back({"policy", std::move(code), std::move(message), std::move(rule)});
    return d;
  };
  if (!user_policies) {
    return deny("on_behalf.not_configured", "no user policies are configured (fail closed)", "");
  }
  cedar::Request request;
  request.principal = cedar::EntityUid(std::string(kCedarUserType), task.principal);
  request.action = cedar::EntityUid(std::string(kCedarActionType), step.id);
  request.resource = cedar::EntityUid(std::string(kCedarSystemType), std::string(call.system));
  request.context =
      cedar::RecordBuilder()
          .Add("call", cedar::RecordBuilder()
                           .Add("system", cedar::Value::String(std::string(call.system)))
                           .Add("action", cedar::Value::String(std::string(call.action)))
                           .Add("resource", cedar::Value::String(std::string(call.resource)))
                           .Build())
          .Add("agent", cedar::Value::String(task.agent.str()))
          .Add("inputs", InputsValue(*mandates[task.mandate].mandate, task.inputs.Unpack()))
          .Add("now", cedar::Value::Long(now_us / 1'000'000))
          .Build();
  cedar::Response r = user_policies->Authorize(request, user_entities);
  if (!r.errors.empty()) {
    return deny("on_behalf.policy_error",
                "user policy `" + r.errors[0].policy_id +
                    "` could not be evaluated (fail closed): " + r.errors[0].message,
                r.errors[0].policy_id);
  }
  if (r.decision != cedar::Decision::kAllow) {
    return deny("on_behalf.user_not_entitled",
                "user `" + task.principal + "` may not do step `" + step.id +
                    "` themselves, so the agent may not do it for them",
                r.reasons.empty() ? "" : r.reasons.front());
  }
  return allowed;
}

}  // namespace mandate::authority
