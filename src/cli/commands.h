// The `mandate` command: one binary, a subcommand per role. Each concern adds its own
// subcommands here through one function, so main() reads as the list of roles.
// Every command callback stores its process exit code in `exit_code` (0 ok, 1 rejected or
// failed, 2 usage error).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string_view>

#include "src/http/server.h"
#include "src/util/status.h"

namespace mandate::cli {

void AddVersionCommand(CLI::App& app, int& exit_code);
void AddMandateCommands(CLI::App& app, int& exit_code);
void AddTokenCommands(CLI::App& app, int& exit_code);
void AddKeysCommands(CLI::App& app, int& exit_code);
void AddAuditCommands(CLI::App& app, int& exit_code);
void AddCedarCommands(CLI::App& app, int& exit_code);
void AddEnforceCommands(CLI::App& app, int& exit_code);
void AddServeCommands(CLI::App& app, int& exit_code);
void AddAgentCommands(CLI::App& app, int& exit_code);
void AddTaskCommands(CLI::App& app, int& exit_code);
void AddExplainCommand(CLI::App& app, int& exit_code);
void AddApprovalsCommands(CLI::App& app, int& exit_code);
void AddKillCommands(CLI::App& app, int& exit_code);
void AddOwnersCommands(CLI::App& app, int& exit_code);
void AddEpTokenCommands(CLI::App& app, int& exit_code);

// The HTTPS listener flags of a serving command: --tls-cert, --tls-key, --tls-client-ca (mTLS),
// into `flags`. TlsListener makes the listener's options of them: nullopt when none is set,
// InvalidArgument `cli.usage` when only some are.
void AddTlsListenerFlags(CLI::App* cmd, http::TlsOptions* flags);
Result<std::optional<http::TlsOptions>> TlsListener(const http::TlsOptions& flags);

// Prints `mandate <command>: <status>` on stderr and returns the exit code for it: 2 for a
// usage error (`cli.usage`), 1 otherwise.
int Fail(std::string_view command, const Status& status);

}  // namespace mandate::cli
