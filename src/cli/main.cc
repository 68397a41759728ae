#include <CLI/CLI.hpp>
#include <iostream>

#include "src/cli/commands.h"

namespace mandate::cli {

int Fail(std::string_view command, const Status& status) {
  std::cerr << "mandate " << command << ": " << status.ToString() << "\n";
  return status.reason() == "cli.usage" ? 2 : 1;
}

}  // namespace mandate::cli

int main(int argc, char** argv) {
  CLI::App app{"mandate: a runtime authority for AI agents' tool calls"};
  app.require_subcommand(1);
  int exit_code = 0;
  mandate::cli::AddVersionCommand(app, exit_code);
  mandate::cli::AddMandateCommands(app, exit_code);
  mandate::cli::AddTokenCommands(app, exit_code);
  mandate::cli::AddKeysCommands(app, exit_code);
  mandate::cli::AddAuditCommands(app, exit_code);
  mandate::cli::AddCedarCommands(app, exit_code);
  mandate::cli::AddEnforceCommands(app, exit_code);
  mandate::cli::AddServeCommands(app, exit_code);
  mandate::cli::AddAgentCommands(app, exit_code);
  mandate::cli::AddTaskCommands(app, exit_code);
  mandate::cli::AddExplainCommand(app, exit_code);
  mandate::cli::AddApprovalsCommands(app, exit_code);
  mandate::cli::AddKillCommands(app, exit_code);
  mandate::cli::AddOwnersCommands(app, exit_code);
  mandate::cli::AddEpTokenCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
