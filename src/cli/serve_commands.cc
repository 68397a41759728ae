// `mandate serve`: the authority server on the embedded store (or PostgreSQL).
#include <signal.h>

#include <fstream>
#include <iostream>

#include "src/cli/commands.h"
#include "src/server/server.h"

namespace mandate::cli {
namespace {

bool SplitListen(const std::string& listen, std::string* host, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  try {
    const int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host->empty();
}

}  // namespace

void AddTlsListenerFlags(CLI::App* cmd, http::TlsOptions* flags) {
  cmd->add_option("--tls-cert", flags->cert_file, "serve HTTPS with this PEM certificate chain");
  cmd->add_option("--tls-key", flags->key_file, "the PEM private key of --tls-cert");
  cmd->add_option("--tls-client-ca", flags->client_ca_file,
                  "mTLS: accept only clients with a certificate from this PEM CA bundle");
}

Result<std::optional<http::TlsOptions>> TlsListener(const http::TlsOptions& flags) {
  if (flags.cert_file.empty() && flags.key_file.empty() && flags.client_ca_file.empty()) {
    return std::optional<http::TlsOptions>();
  }
  if (flags.cert_file.empty() || flags.key_file.empty()) {
    return Err(InvalidArgument("cli.usage",
                               "HTTPS needs both --tls-cert and --tls-key (--tls-client-ca too)"));
  }
  http::TlsOptions tls = flags;
  if (!tls.client_ca_file.empty()) tls.client_auth = http::ClientAuth::kRequired;
  return std::optional<http::TlsOptions>(std::move(tls));
}

void AddServeCommands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "run the authority server");
  auto options = std::make_shared<server::ServeOptions>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8181");
  auto port_file = std::make_shared<std::string>();
  cmd->add_option("--listen", *listen, "HOST:PORT to listen on (port 0 picks one)")
      ->capture_default_str();
  cmd->add_option("--mandates", options->mandates_dir, "folder of mandates (YAML/JSON)")
      ->capture_default_str();
  cmd->add_option("--data", options->data_dir, "data folder (store, tokens, master key)")
      ->capture_default_str();
  cmd->add_option("--store", options->store_url, "store URL: sqlite:///path or postgresql://...");
  cmd->add_option_function<std::string>(
         "--durability",
         [options](const std::string& name) {
           auto durability = store::ParseDurability(name);
           if (!durability)
             throw CLI::ValidationError("--durability", durability.error().message());
           options->durability = *durability;
         },
         "what an acknowledged decision survives: process (kill -9; default) or power "
         "(also power loss: fsync per commit)")
      ->default_str("process");
  cmd->add_option("--audit-chain", options->audit_chain,
                  "the audit chain this server writes: one per replica on a shared PostgreSQL "
                  "(letters, digits, `.`, `_`, `-`)")
      ->capture_default_str()
      ->check([](const std::string& name) -> std::string {
        const bool ok = !name.empty() && name.size() <= 64 && name.front() != '.' &&
                        name.find_first_not_of(
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
                            "XYZ0123456789._-") == std::string::npos;
        return ok ? "" : "1-64 letters, digits, `.`, `_` or `-`, not starting with `.`";
      });
  cmd->add_option("--trust-bundle", options->trust_bundles,
                  "trusted SPIFFE trust domain: spiffe://TD=BUNDLE_FILE (repeatable)");
  cmd->add_option("--oidc-issuer", options->oidc_issuers, "trusted OIDC issuer URL (repeatable)");
  cmd->add_option("--seal-step-credentials", options->sealed_audiences,
                  "seal step credentials for this audience (system) as HS256 under a key only "
                  "its enforcement points fetch (repeatable; docs/enforcement.md)");
  cmd->add_option("--issuer", options->issuer,
                  "issuer name of Mandate's tokens; agents use it as audience")
      ->capture_default_str();
  cmd->add_option("--check-routes", options->check_routes,
                  "gateway config whose routes /v1/check (nginx, Envoy) maps requests with");
  cmd->add_option("--governance", options->governance_file,
                  "governance YAML: delegation policies, approvers, webhooks, known owners");
  cmd->add_option("--threads", options->threads, "HTTP worker threads")->capture_default_str();
  cmd->add_option("--bound-connections", options->bound_connections,
                  "keep-alive connections a DPoP proof may bind, so later calls on them may omit "
                  "it; 0: every call proves (behind a proxy that pools connections)")
      ->capture_default_str();
  cmd->add_option("--port-file", *port_file, "write the bound port to this file once listening");
  auto tls = std::make_shared<http::TlsOptions>();
  AddTlsListenerFlags(cmd, tls.get());
  cmd->callback([options, listen, port_file, tls, &exit_code] {
    if (!SplitListen(*listen, &options->host, &options->port)) {
      std::cerr << "mandate serve: --listen `" << *listen << "` is not HOST:PORT\n";
      exit_code = 2;
      return;
    }
    auto listener_tls = TlsListener(*tls);
    if (!listener_tls) {
      exit_code = Fail("serve", listener_tls.error());
      return;
    }
    options->tls = *listener_tls;
    // Block the stop signals before any thread starts, then wait for one here.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    auto service = server::Service::Start(*options);
    if (!service) {
      std::cerr << "mandate serve: " << service.error().ToString() << "\n";
      exit_code = 1;
      return;
    }
    const uint16_t port = (*service)->port();
    std::cerr << "mandate serve: listening on " << (options->tls ? "https://" : "http://")
              << options->host << ":" << port << " (mandates: " << options->mandates_dir
              << ", data: " << options->data_dir << ")\n";
    if (!port_file->empty()) {
      const std::string tmp = *port_file + ".tmp";
      std::ofstream(tmp) << port << "\n";
      std::rename(tmp.c_str(), port_file->c_str());
    }
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    std::cerr << "mandate serve: stopping\n";
    (*service)->Stop();
    exit_code = 0;
  });
}

}  // namespace mandate::cli
