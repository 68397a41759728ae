// `mandate gateway` and `mandate mcp-proxy`: the enforcement points (src/enforce/).
#include <atomic>
#include <csignal>
#include <iostream>

#include "src/cli/commands.h"
#include "src/enforce/gateway.h"
#include "src/enforce/mcp_proxy.h"

namespace mandate::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

}  // namespace

void AddEnforceCommands(CLI::App& app, int& exit_code) {
  auto* gateway = app.add_subcommand("gateway", "HTTP gateway with credential injection");
  auto gateway_config = std::make_shared<std::string>();
  gateway->add_option("--config", *gateway_config, "gateway YAML configuration")->required();
  gateway->callback([gateway_config, &exit_code] {
    auto config = enforce::LoadGatewayConfigFile(*gateway_config);
    if (!config) {
      std::cerr << "mandate gateway: " << config.error().ToString() << "\n";
      exit_code = 1;
      return;
    }
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    Status status = enforce::RunGateway(*config, g_stop);
    if (!status.ok()) {
      std::cerr << "mandate gateway: " << status.ToString() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });

  auto* proxy = app.add_subcommand("mcp-proxy", "govern MCP tools/call (stdio or Streamable HTTP)");
  auto options = std::make_shared<enforce::McpProxyOptions>();
  proxy->add_option("--authority", options->authority, "URL of `mandate serve`")->required();
  proxy->add_option("--ep-token-file", options->ep_token_file, "enforcement-point token file")
      ->required();
  proxy->add_option("--system", options->system, "the MCP server's system name in mandates")
      ->required();
  proxy->add_option("--resource", options->resource, "resource of every call (default: system)");
  proxy->add_option("--audience", options->audience,
                    "the system's audience in mandates, for step credentials (default: system)");
  proxy->add_option("--issuer", options->issuer, "`iss` of step credentials (default: mandate)");
  proxy->add_option("--revocation-grace-ms", options->revocation_grace_ms,
                    "refuse every call when the revocation stream is lost this long");
  proxy->add_option("--audit-spool", options->audit_spool,
                    "write-ahead folder for the audit records of calls it decides itself: a "
                    "killed proxy loses none (docs/enforcement.md)");
  proxy->add_option("--agent-key", options->agent_key_file,
                    "stdio: the agent's private JWK (default $MANDATE_AGENT_KEY)");
  proxy->add_option("--listen", options->listen, "http: address to listen on, e.g. 127.0.0.1:0");
  proxy->add_option("--upstream", options->upstream_url, "http: the MCP server's endpoint URL");
  proxy->add_option("command", options->command, "stdio: the server command, after `--`");
  auto tls = std::make_shared<http::TlsOptions>();
  AddTlsListenerFlags(proxy, tls.get());
  proxy->callback([options, tls, &exit_code] {
    auto listener_tls = TlsListener(*tls);
    if (!listener_tls) {
      exit_code = Fail("mcp-proxy", listener_tls.error());
      return;
    }
    options->tls = *listener_tls;
    if (options->tls && options->listen.empty()) {
      exit_code = Fail("mcp-proxy",
                       InvalidArgument("cli.usage", "--tls-* serve the http transport: --listen"));
      return;
    }
    if (!options->listen.empty() || !options->upstream_url.empty()) {
      std::signal(SIGINT, OnSignal);
      std::signal(SIGTERM, OnSignal);
      Status status = enforce::RunMcpHttpProxy(*options, g_stop);
      std::cerr << "mandate mcp-proxy: " << status.ToString() << "\n";
      exit_code = 1;
      return;
    }
    auto code = enforce::RunMcpStdioProxy(*options, g_stop);
    if (!code) {
      std::cerr << "mandate mcp-proxy: " << code.error().ToString() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = *code;
  });
}

}  // namespace mandate::cli
