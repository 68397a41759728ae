// The authority service: the composition root that builds, in pipeline order, store -> audit
// -> signing keys -> trust sources -> mandates -> authority -> HTTP API, and shuts down in
// reverse. `mandate serve` is a thin command over it; tests and benchmarks start it in process.
//
// Thread-safety: Start/Stop from one thread; the running service is driven by its HTTP workers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/credential/credential.h"
#include "src/http/server.h"
#include "src/store/store.h"
#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::server {

struct ServeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8181;  // 0 = pick a free one (see Service::port)
  std::string mandates_dir = "mandates";
  std::string data_dir = "mandate-data";
  std::string store_url;  // default: sqlite in data_dir
  // What an acknowledged decision survives: kill -9 (kProcess) or also power loss (kPower).
  store::Durability durability = store::Durability::kProcess;
  // The audit chain this server appends to: each replica on a shared store writes its own.
  std::string audit_chain = "main";
  // SPIFFE trust domains whose JWT-SVIDs agents may present: "spiffe://td=FILE" (JWKS bundle).
  std::vector<std::string> trust_bundles;
  std::vector<std::string> oidc_issuers;  // issuer URLs (discovery)
  // Audiences (systems) whose step credentials are sealed (src/credential/sealing.h).
  std::vector<std::string> sealed_audiences;
  std::string issuer = "mandate";  // `iss` of our tokens and the audience agents use
  std::string check_routes;        // gateway YAML whose routes /v1/check maps requests with
  std::string governance_file;     // delegation policies, approvers, webhooks, known owners
  int threads = 2;
  // HTTPS (and with a client CA, mTLS: only clients with a certificate it issued connect).
  std::optional<http::TlsOptions> tls;
  // Keep-alive connections a proof may bind (later calls on them may omit it; docs/identity.md).
  // 0 disables binding: every call proves possession (behind a proxy that pools connections).
  size_t bound_connections = 1 << 16;
  const Clock* clock = nullptr;  // default: the system clock
};

class Service {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Service>> Start(const ServeOptions& options);
  ~Service();  // Stop()
  uint16_t port() const;
  void Stop();

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates `path` with 32 random bytes as hex (mode 0600) unless it exists; returns its content.
[[nodiscard]] Result<std::string> EnsureSecretFile(const std::string& path);

// Opens the store of a data folder exactly as Start does (master key from the environment, else
// DATA/master.key, created when missing); for offline commands such as `mandate keys`.
[[nodiscard]] Result<std::unique_ptr<store::Store>> OpenDataStore(
    const std::string& data_dir, const std::string& store_url,
    store::Durability durability = store::Durability::kProcess);
// The issuer's signing keys kept in `store` (private keys sealed under the master key).
std::unique_ptr<credential::SigningKeyStore> NewStoreSigningKeyStore(store::Store& store);

}  // namespace mandate::server
