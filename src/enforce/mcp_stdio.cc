// The stdio transport of `mandate mcp-proxy`: spawns the server command with pipes, runs every
// client line through the McpGovernor, and filters tools/list answers on the way back.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "src/credential/jose.h"
#include "src/enforce/authority_client.h"
#include "src/enforce/gateway.h"
#include "src/enforce/internal/decision_audit.h"
#include "src/enforce/internal/line_io.h"
#include "src/enforce/internal/mcp_governor.h"
#include "src/enforce/internal/proof_minting_client.h"
#include "src/enforce/internal/revocation_stream.h"
#include "src/enforce/mcp_proxy.h"

extern char** environ;

namespace mandate::enforce {
namespace {

constexpr size_t kMaxLineBytes = 16 << 20;

struct Child {
  pid_t pid = -1;
  int to_child = -1;    // its stdin
  int from_child = -1;  // its stdout
};

Result<Child> Spawn(const std::vector<std::string>& command) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) {
    return Err(StatusCode::kInternal, "mcp.spawn_failed", "cannot create pipes");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // The server never sees the task token or the agent key.
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("MANDATE_TASK_TOKEN=", 0) == 0 || kv.rfind("MANDATE_AGENT_KEY=", 0) == 0) continue;
    env_store.emplace_back(kv);
  }
  std::vector<char*> envp;
  for (std::string& kv : env_store) envp.push_back(kv.data());
  envp.push_back(nullptr);
  Child child;
  int rc = posix_spawnp(&child.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    return Err(StatusCode::kFailedPrecondition, "mcp.spawn_failed",
               "cannot start `" + command.front() + "`: " + std::strerror(rc));
  }
  child.to_child = in_pipe[1];
  child.from_child = out_pipe[0];
  return child;
}

std::string EnvOr(const std::string& value, const char* name) {
  if (!value.empty()) return value;
  const char* env = std::getenv(name);
  return env == nullptr ? std::string() : std::string(env);
}

}  // namespace

Result<int> RunMcpStdioProxy(const McpProxyOptions& options, const std::atomic<bool>& stop) {
  if (options.command.empty()) {
    return Err(StatusCode::kInvalidArgument, "mcp.usage", "give the server command after `--`");
  }
  std::string task_token = EnvOr(options.task_token, "MANDATE_TASK_TOKEN");
  if (task_token.empty()) {
    return Err(StatusCode::kUnauthenticated, "authentication.missing",
               "set MANDATE_TASK_TOKEN to the task token");
  }
  std::string key_file = EnvOr(options.agent_key_file, "MANDATE_AGENT_KEY");
  if (key_file.empty()) {
    return Err(StatusCode::kUnauthenticated, "authentication.missing",
               "give the agent's private JWK with --agent-key (or MANDATE_AGENT_KEY)");
  }
  auto key_text = ResolveSecret({SecretRef::Source::kFile, key_file});
  if (!key_text) return Err(key_text.error().WithContext("agent key"));
  auto key = credential::SigningKey::FromJwkText(*key_text);
  if (!key) return Err(key.error().WithContext("agent key"));
  auto ep_token = ReadEpTokenFile(options.ep_token_file);
  if (!ep_token) return Err(ep_token.error());

  SystemClock clock;
  RevocationFeed feed(clock, options.revocation_grace_ms * 1000);
  auto subscription = internal::SubscribeRevocations(feed, {options.authority, *ep_token});

  AuthorityOptions authority{options.authority, *ep_token, {}};
  HttpDecisionClient http_client(authority);
  std::string authorize_url = options.authority;
  while (!authorize_url.empty() && authorize_url.back() == '/') authorize_url.pop_back();
  authorize_url += "/v1/authorize";
  internal::ProofMintingClient client(http_client, std::move(*key), authorize_url, clock);
  // Calls the authority decides are in its trail; what this proxy refuses on its own (stream
  // lost, task in the deny set) is delivered there in batches.
  internal::DecisionAudit audit(
      internal::HttpAuditSink(options.authority, *ep_token), clock,
      {.enforcement_point = "mcp-proxy", .spool_dir = options.audit_spool});
  internal::McpGovernor governor(client, &feed, options.system, options.resource, &audit);

  auto child = Spawn(options.command);
  if (!child) return Err(child.error());
  ::signal(SIGPIPE, SIG_IGN);
  internal::LineWriter to_agent(1);
  internal::LineWriter to_server(child->to_child);
  std::mutex pending_mu;
  std::map<std::string, std::vector<std::string>> pending_lists;  // GUARDED_BY(pending_mu)

  std::thread server_to_agent([&] {
    internal::LineReader reader(child->from_child, kMaxLineBytes);
    while (auto line = reader.Next()) {
      if (reader.oversized()) {
        std::cerr << "mandate mcp-proxy: dropped a server message over 16 MiB\n";
        continue;
      }
      std::string out = std::move(*line);
      bool has_pending = false;
      {
        std::lock_guard lock(pending_mu);
        has_pending = !pending_lists.empty();
      }
      if (has_pending) {
        if (auto id = internal::McpGovernor::ResponseId(out)) {
          std::lock_guard lock(pending_mu);
          auto it = pending_lists.find(*id);
          if (it != pending_lists.end()) {
            out = internal::McpGovernor::FilterToolsList(out, *id, it->second);
            pending_lists.erase(it);
          }
        }
      }
      if (!to_agent.Write(out)) break;
    }
  });

  AgentCredentials agent{task_token, "", "", "", ""};
  internal::LineReader from_agent(0, kMaxLineBytes);
  while (!stop.load()) {
    auto line = from_agent.Next();
    if (!line) break;
    if (from_agent.oversized()) {
      to_agent.Write(internal::McpGovernor::ErrorReply("null", internal::kParseError,
                                                       "message larger than 16 MiB"));
      continue;
    }
    if (line->empty()) continue;
    internal::McpClientOutcome outcome = governor.OnClientMessage(*line, agent);
    if (!outcome.tool.empty()) {
      std::cerr << "mandate mcp-proxy: tools/call `" << outcome.tool
                << "`: " << VerdictName(outcome.decision.verdict)
                << (outcome.forward ? "" : " (" + outcome.decision.PrimaryCode() + ")") << "\n";
    }
    if (!outcome.forward) {
      to_agent.Write(outcome.reply);
      continue;
    }
    if (outcome.tools_list_id) {
      std::lock_guard lock(pending_mu);
      pending_lists[*outcome.tools_list_id] = outcome.allowed_tools;
    }
    if (!to_server.Write(*line)) break;
  }
  to_server.Close();  // the server sees end of input and exits
  int status = 0;
  ::waitpid(child->pid, &status, 0);
  server_to_agent.join();
  ::close(child->from_child);
  subscription->Stop();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace mandate::enforce
