// `mandate ep-token scope`: an enforcement-point token scoped to audiences (src/credential/
// ep_token.h), derived offline from the full token; the authority needs no state for it.
#include <iostream>
#include <memory>

#include "src/cli/commands.h"
#include "src/credential/ep_token.h"
#include "src/enforce/authority_client.h"

namespace mandate::cli {

void AddEpTokenCommands(CLI::App& app, int& exit_code) {
  auto* group = app.add_subcommand("ep-token", "enforcement-point tokens");
  group->require_subcommand(1);
  struct Options {
    std::string ep_token_file;
    std::string name;
    std::vector<std::string> audiences;
  };
  auto options = std::make_shared<Options>();
  auto* scope = group->add_subcommand(
      "scope",
      "print a token that authenticates one enforcement point for the named audiences only "
      "(rotating ep.token invalidates it)");
  scope->add_option("--ep-token-file", options->ep_token_file, "the full token (DATA/ep.token)")
      ->required();
  scope->add_option("--audience", options->audiences, "a system it serves (repeatable)")
      ->required();
  scope->add_option("--name", options->name, "a name for logs, e.g. gw-payments");
  scope->callback([options, &exit_code] {
    auto full = enforce::ReadEpTokenFile(options->ep_token_file);
    if (!full) {
      exit_code = Fail("ep-token scope", full.error());
      return;
    }
    auto token = credential::MintScopedEpToken(*full, {options->name, options->audiences});
    if (!token) {
      const Status& why = token.error();
      // A scope that cannot be (no audience, a duplicate, an oversized name) is a usage error.
      exit_code = Fail("ep-token scope", why.reason() == "ep.scope_invalid"
                                             ? InvalidArgument("cli.usage", why.message())
                                             : why);
      return;
    }
    std::cout << *token << "\n";
    exit_code = 0;
  });
}

}  // namespace mandate::cli
