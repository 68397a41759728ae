// `mandate owners report`: accountability. Every agent and mandate has an owner; this lists
// the mandates, agents and live tasks whose owner is missing or not a known owner (the
// governance file's `owners`). Reads the mandates folder and the store directly, so it works
// whether or not the server runs. Exit code 1 when anything is flagged.
#include <algorithm>
#include <iostream>
#include <set>

#include "src/cli/commands.h"
#include "src/mandate/mandate.h"
#include "src/server/governance.h"
#include "src/store/store.h"

namespace mandate::cli {
namespace {

std::string AgentName(const AgentMatcher& a) {
  if (!a.spiffe_id.empty()) return a.spiffe_id;
  if (!a.spiffe_prefix.empty()) return a.spiffe_prefix + "*";
  return a.oidc_issuer + "#" + a.oidc_subject;
}

bool Admits(const AgentMatcher& a, const std::string& agent) {
  if (!a.spiffe_id.empty()) return agent == a.spiffe_id;
  if (!a.spiffe_prefix.empty()) return agent.starts_with(a.spiffe_prefix);
  return agent == a.oidc_issuer + "#" + a.oidc_subject;
}

}  // namespace

void AddOwnersCommands(CLI::App& app, int& exit_code) {
  auto* owners = app.add_subcommand("owners", "ownership of agents, mandates and tasks");
  owners->require_subcommand(1);
  auto* report = owners->add_subcommand(
      "report", "list agents, mandates and live tasks whose owner is missing or unknown");
  struct Args {
    std::string mandates = "mandates", data = "mandate-data", store, governance;
  };
  auto args = std::make_shared<Args>();
  report->add_option("--mandates", args->mandates, "folder of mandates")->capture_default_str();
  report->add_option("--data", args->data, "the server's data folder")->capture_default_str();
  report->add_option("--store", args->store, "store URL (default: sqlite in --data)");
  report->add_option("--governance", args->governance, "governance YAML naming the known owners")
      ->required();
  report->callback([args, &exit_code] {
    auto governance = server::LoadGovernanceFile(args->governance);
    if (!governance) {
      std::cerr << "mandate owners report: " << governance.error().ToString() << "\n";
      exit_code = 2;
      return;
    }
    const std::set<std::string> known(governance->owners.begin(), governance->owners.end());
    auto problem = [&](const std::string& owner) -> std::string {
      if (owner.empty()) return "owner missing";
      if (!known.count(owner)) return "owner `" + owner + "` unknown";
      return "";
    };
    MandateCatalog catalog = LoadMandateDirectory(args->mandates);
    size_t flagged = 0;
    auto flag = [&](const std::string& kind, const std::string& what, const std::string& why) {
      std::cout << kind << "\t" << what << "\t" << why << "\n";
      ++flagged;
    };
    for (const auto& m : catalog.mandates) {
      if (auto why = problem(m->owner); !why.empty()) {
        flag("mandate", m->name + "@" + m->version, why);
      }
      for (const AgentMatcher& a : m->agents) {
        if (auto why = problem(m->owner); !why.empty()) {
          flag("agent", AgentName(a), why + " (via mandate `" + m->name + "`)");
        }
      }
    }
    auto store = store::OpenStore(args->store.empty() ? args->data : args->store, {});
    if (!store) {
      std::cerr << "mandate owners report: " << store.error().ToString() << "\n";
      exit_code = 2;
      return;
    }
    auto tasks = (*store)->LoadLiveTasks();
    if (!tasks) {
      std::cerr << "mandate owners report: " << tasks.error().ToString() << "\n";
      exit_code = 2;
      return;
    }
    for (const store::TaskRecord& t : *tasks) {
      const auto m = catalog.Find(t.mandate, t.mandate_version);
      if (m == nullptr) {
        flag("task", t.id,
             "mandate `" + t.mandate + "@" + t.mandate_version +
                 "` is not loaded: owner unknown (agent " + t.agent + ")");
        continue;
      }
      if (auto why = problem(t.owner); !why.empty()) {
        flag("task", t.id, why + " (agent " + t.agent + ", mandate `" + t.mandate + "`)");
      }
      // An agent no mandate admits (and no delegation handed work to) has nobody to answer for.
      const bool admitted = !t.parent_id.empty() ||
                            std::any_of(m->agents.begin(), m->agents.end(),
                                        [&](const AgentMatcher& a) { return Admits(a, t.agent); });
      if (!admitted) flag("agent", t.agent, "owner missing (no mandate admits it)");
    }
    std::cout << flagged << " without a known owner (" << catalog.mandates.size() << " mandates, "
              << tasks->size() << " live tasks checked)\n";
    exit_code = flagged ? 1 : 0;
  });
}

}  // namespace mandate::cli
