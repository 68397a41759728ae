// `mandate kill`: the kill switch. Revokes every task (and everything they delegated) of an
// agent, an owner, a mandate, or all of them, at every enforcement point, through the server's
// revocation API. Asks for confirmation unless `--yes`.
#include <iostream>

#include "src/cli/commands.h"
#include "src/cli/operator_client.h"

namespace mandate::cli {

void AddKillCommands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("kill", "revoke every task of an agent, owner, mandate or all");
  auto client = OperatorClient::AddOptions(cmd);
  struct Args {
    std::string agent, owner, mandate, reason = "kill switch";
    bool all = false, yes = false;
  };
  auto args = std::make_shared<Args>();
  auto* agent = cmd->add_option("--agent", args->agent, "an agent identity (SPIFFE ID, ...)");
  auto* owner = cmd->add_option("--owner", args->owner, "an owner (every mandate they own)");
  auto* mandate = cmd->add_option("--mandate", args->mandate, "a mandate name");
  auto* all = cmd->add_flag("--all", args->all, "every task");
  agent->excludes(owner, mandate, all);
  owner->excludes(mandate, all);
  mandate->excludes(all);
  cmd->add_option("--reason", args->reason, "recorded with the revocation")->capture_default_str();
  cmd->add_flag("--yes,-y", args->yes, "do not ask for confirmation");
  cmd->callback([client, args, &exit_code] {
    std::string scope, value;
    if (!args->agent.empty()) scope = "agent", value = args->agent;
    if (!args->owner.empty()) scope = "owner", value = args->owner;
    if (!args->mandate.empty()) scope = "mandate", value = args->mandate;
    if (args->all) scope = "all";
    if (scope.empty()) {
      std::cerr << "mandate kill: name one of --agent, --owner, --mandate or --all\n";
      exit_code = 2;
      return;
    }
    const std::string what =
        scope == "all" ? "EVERY task" : "every task of " + scope + " `" + value + "`";
    if (!args->yes) {
      std::cerr << "mandate kill: this revokes " << what
                << " and all it delegated, everywhere. Type `yes` to go on: ";
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "yes") {
        std::cerr << "mandate kill: not confirmed, nothing revoked\n";
        exit_code = 1;
        return;
      }
    }
    boost::json::object body{{"scope", scope}, {"reason", args->reason}};
    if (scope != "all") body["value"] = value;
    auto r = client->Call("POST", "/v1/revocations", &body);
    if (!r) {
      std::cerr << "mandate kill: " << r.error().ToString() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "revocation " << JsonText(r->at("revocation_id")) << ": revoked " << what << " ("
              << JsonText(r->at("tasks_revoked")) << " live tasks)\n";
    for (const auto& t : r->at("tasks").as_array()) std::cout << "  " << JsonText(t) << "\n";
    exit_code = 0;
  });
}

}  // namespace mandate::cli
