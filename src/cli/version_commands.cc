#include <iostream>

#include "src/cli/commands.h"

namespace mandate::cli {

void AddVersionCommand(CLI::App& app, int& exit_code) {
  app.add_subcommand("version", "print the version")->callback([&exit_code] {
    std::cout << "mandate " << MANDATE_VERSION << "\n";
    exit_code = 0;
  });
}

}  // namespace mandate::cli
