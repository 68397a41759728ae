// `mandate audit verify|export`: check and export the hash-chained audit trail of a store.
#include <iostream>
#include <memory>
#include <string>

#include "src/audit/audit.h"
#include "src/cli/commands.h"
#include "src/store/store.h"

namespace mandate::cli {
namespace {

struct AuditTarget {
  std::string data_dir;   // --data: the SQLite data directory of `mandate serve`
  std::string store_url;  // --store: any store URL (postgresql://...)
  std::string chain;      // --chain: one chain; all chains when empty
};

void AddTargetOptions(CLI::App& command, AuditTarget& target) {
  auto* data = command.add_option("--data", target.data_dir, "data directory of the store")
                   ->check(CLI::ExistingDirectory);
  auto* url = command.add_option("--store", target.store_url,
                                 "store URL (sqlite:///path or postgresql://...)");
  data->excludes(url);
  command.add_option("--chain", target.chain, "audit chain (default: every chain)");
}

Result<std::unique_ptr<store::Store>> OpenTarget(const AuditTarget& target) {
  if (target.data_dir.empty() && target.store_url.empty()) {
    return Err(InvalidArgument("cli.usage", "give --data DIR or --store URL"));
  }
  // Audit commands never read secrets: no master key needed.
  return store::OpenStore(target.store_url.empty() ? target.data_dir : target.store_url);
}

Result<std::vector<std::string>> Chains(store::Store& store, const std::string& chain) {
  if (!chain.empty()) return std::vector<std::string>{chain};
  return store.ListAuditChains();
}

int Verify(const AuditTarget& target) {
  auto store = OpenTarget(target);
  if (!store) {
    std::cerr << "mandate audit verify: " << store.error().ToString() << "\n";
    return store.error().reason() == "cli.usage" ? 2 : 1;
  }
  auto chains = Chains(**store, target.chain);
  if (!chains) {
    std::cerr << "mandate audit verify: " << chains.error().ToString() << "\n";
    return 1;
  }
  int exit_code = 0;
  for (const std::string& chain : *chains) {
    auto report = audit::Verify(**store, chain);
    if (!report) {
      std::cerr << "mandate audit verify: " << report.error().ToString() << "\n";
      return 1;
    }
    if (!report->problem.ok()) {
      std::cout << "FAIL chain `" << chain << "` at record " << report->broken_sequence << ": "
                << report->problem.ToString() << "\n";
      exit_code = 1;
      continue;
    }
    std::cout << "ok chain `" << chain << "`: " << report->records << " records, head "
              << report->head.sequence << " " << report->head.hash << "\n";
  }
  if (chains->empty()) std::cout << "ok: no audit records\n";
  return exit_code;
}

int Export(const AuditTarget& target, int64_t since) {
  auto store = OpenTarget(target);
  if (!store) {
    std::cerr << "mandate audit export: " << store.error().ToString() << "\n";
    return store.error().reason() == "cli.usage" ? 2 : 1;
  }
  auto chains = Chains(**store, target.chain);
  if (!chains) {
    std::cerr << "mandate audit export: " << chains.error().ToString() << "\n";
    return 1;
  }
  for (const std::string& chain : *chains) {
    if (Status s = audit::ExportJsonl(**store, chain, since, std::cout); !s.ok()) {
      std::cerr << "mandate audit export: " << s.ToString() << "\n";
      return 1;
    }
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

void AddAuditCommands(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "verify or export the tamper-evident audit trail");
  audit->require_subcommand(1);

  auto verify_target = std::make_shared<AuditTarget>();
  auto* verify = audit->add_subcommand(
      "verify", "check every record's hash and link and the anchored head; exit 1 on tampering");
  AddTargetOptions(*verify, *verify_target);
  verify->callback([verify_target, &exit_code] { exit_code = Verify(*verify_target); });

  auto export_target = std::make_shared<AuditTarget>();
  auto since = std::make_shared<int64_t>(1);
  auto* exporter =
      audit->add_subcommand("export", "write the audit records as JSON lines to stdout");
  AddTargetOptions(*exporter, *export_target);
  exporter->add_option("--since", *since, "first sequence number to export")
      ->check(CLI::PositiveNumber);
  exporter->callback(
      [export_target, since, &exit_code] { exit_code = Export(*export_target, *since); });
}

}  // namespace mandate::cli
