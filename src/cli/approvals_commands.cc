// `mandate approvals list|approve|deny`: the human side of escalation (docs/delegation.md).
#include <iostream>

#include "src/cli/commands.h"
#include "src/cli/operator_client.h"

namespace mandate::cli {
namespace {

std::string Field(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? JsonText(*v) : "";
}

void PrintApproval(const boost::json::object& a) {
  const auto& call = a.at("call").as_object();
  std::cout << Field(a, "approval_id") << "  " << Field(a, "state") << "  " << Field(a, "mandate")
            << "/" << Field(a, "step") << "  " << Field(call, "system") << " "
            << Field(call, "action") << " " << Field(call, "resource") << "  task "
            << Field(a, "task_id") << "  agent " << Field(a, "agent") << "  expires "
            << Field(a, "expires_at");
  if (!Field(a, "decided_by").empty()) std::cout << "  by " << Field(a, "decided_by");
  std::cout << "\n";
}

}  // namespace

void AddApprovalsCommands(CLI::App& app, int& exit_code) {
  auto* approvals = app.add_subcommand("approvals", "list, approve or deny held tool calls");
  approvals->require_subcommand(1);

  auto* list = approvals->add_subcommand("list", "approvals (pending by default)");
  auto list_client = OperatorClient::AddOptions(list);
  auto state = std::make_shared<std::string>("pending");
  list->add_option("--state", *state, "pending, approved, denied, expired or all")
      ->capture_default_str();
  list->callback([list_client, state, &exit_code] {
    auto r = list_client->Call(
        "GET", "/v1/approvals" + (*state == "all" ? std::string() : "?state=" + *state));
    if (!r) {
      std::cerr << "mandate approvals list: " << r.error().ToString() << "\n";
      exit_code = 1;
      return;
    }
    for (const auto& a : r->at("approvals").as_array()) PrintApproval(a.as_object());
    exit_code = 0;
  });

  for (const bool approve : {true, false}) {
    auto* cmd = approvals->add_subcommand(
        approve ? "approve" : "deny",
        approve ? "let one held call through, once" : "refuse one held call");
    auto client = OperatorClient::AddOptions(cmd);
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    cmd->add_option("id", *id, "the approval id (a_...)")->required();
    cmd->add_option("--reason", *reason, "why (recorded in the audit trail)");
    cmd->callback([client, id, reason, approve, &exit_code] {
      boost::json::object body;
      if (!reason->empty()) body["reason"] = *reason;
      auto r =
          client->Call("POST", "/v1/approvals/" + *id + (approve ? "/approve" : "/deny"), &body);
      if (!r) {
        std::cerr << "mandate approvals " << (approve ? "approve" : "deny") << ": "
                  << r.error().ToString() << "\n";
        exit_code = 1;
        return;
      }
      PrintApproval(*r);
      exit_code = 0;
    });
  }
}

}  // namespace mandate::cli
