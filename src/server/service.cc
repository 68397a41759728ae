// The composition root: builds the service top to bottom in pipeline order and tears it down
// in reverse (members are declared in build order, so destruction runs backwards).
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "src/enforce/gateway.h"
#include "src/server/internal_api.h"
#include "src/server/server.h"
#include "src/util/file.h"

namespace mandate::server {
namespace {

// The issuer's signing keys kept in the store (private keys sealed under the master key).
class StoreKeyStore final : public credential::SigningKeyStore {
 public:
  explicit StoreKeyStore(store::Store& store) : store_(store) {}
  Result<std::vector<credential::StoredSigningKey>> LoadSigningKeys() override {
    auto keys = store_.ListSigningKeys();
    if (!keys) return Err(keys.error());
    std::vector<credential::StoredSigningKey> out;
    for (const auto& k : *keys) {
      if (k.private_key.empty()) continue;  // deleted
      out.push_back(
          {k.kid, k.private_key, k.created_micros / 1'000'000, k.retires_micros / 1'000'000});
    }
    return out;
  }
  Status SaveSigningKey(const credential::StoredSigningKey& key) override {
    store::SigningKeyRecord r{.kid = key.kid,
                              .alg = "",
                              .private_key = key.private_jwk,
                              .public_jwk = "",
                              .created_micros = key.created_at * 1'000'000,
                              .activates_micros = key.created_at * 1'000'000,
                              .retires_micros = key.retire_at * 1'000'000};
    Status s = store_.UpdateSigningKey(r);
    if (s.code() == StatusCode::kNotFound) return store_.PutSigningKey(r);
    return s;
  }
  Status DeleteSigningKey(std::string_view kid) override {
    // The store keeps key history; a deleted key keeps its record without private material.
    auto keys = store_.ListSigningKeys();
    if (!keys) return keys.error();
    for (auto k : *keys) {
      if (k.kid != kid) continue;
      k.private_key.clear();
      return store_.UpdateSigningKey(k);
    }
    return Status();
  }

 private:
  store::Store& store_;
};

}  // namespace

Result<std::string> EnsureSecretFile(const std::string& path) {
  auto existing = ReadTrimmedFile(path);
  if (existing) {
    if (existing->empty()) {
      return Err(InvalidArgument("config.secret_file", "`" + path + "` is empty"));
    }
    return existing;
  }
  // Any other failure than a missing file: the create below (O_EXCL) reports it.
  if (existing.error().reason() == "file.too_large") return Err(existing.error());
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  char hex[65];
  sodium_bin2hex(hex, sizeof(hex), bytes, sizeof(bytes));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Err(Internal("config.secret_file", "cannot create `" + path + "`"));
  const std::string line = std::string(hex) + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return Err(Internal("config.secret_file", "cannot write `" + path + "`"));
  return std::string(hex);
}

Result<std::unique_ptr<store::Store>> OpenDataStore(const std::string& data_dir,
                                                    const std::string& store_url,
                                                    store::Durability durability) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Err(Internal("config.data_dir", "cannot create `" + data_dir + "`: " + ec.message()));
  }
  auto master = store::LoadMasterKey();
  if (!master) return Err(master.error());
  std::string master_key = *master;
  if (master_key.empty()) {
    auto hex = EnsureSecretFile(data_dir + "/master.key");
    if (!hex) return Err(hex.error());
    master_key.resize(32);
    size_t len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(master_key.data()), 32, hex->data(),
                       hex->size(), nullptr, &len, nullptr) != 0 ||
        len != 32) {
      return Err(InvalidArgument("store.master_key", "`master.key` must hold 64 hex digits"));
    }
  }
  return store::OpenStore(store_url.empty() ? data_dir : store_url,
                          {.master_key = master_key, .durability = durability});
}

std::unique_ptr<credential::SigningKeyStore> NewStoreSigningKeyStore(store::Store& store) {
  return std::make_unique<StoreKeyStore>(store);
}

struct Service::Impl {
  SystemClock system_clock;
  const Clock* clock = nullptr;
  ServiceMetrics metrics;  // first built, last destroyed: the audit decorator counts into it
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<audit::AuditLog> metered_audit;  // `audit`, counted
  std::unique_ptr<credential::SigningKeyStore> key_store;
  std::shared_ptr<credential::KeyRing> keys;
  identity::TrustBundles bundles;
  std::unique_ptr<authority::Authority> authority;
  std::unique_ptr<DurableResponder> durable;
  ApiContext api;
  std::unique_ptr<http::Server> http;
  // Deadlines, idle timeouts, progress checkpoints and key rotation tick here.
  std::atomic<bool> stopping{false};
  std::thread ticker;

  ~Impl() {
    stopping = true;
    if (ticker.joinable()) ticker.join();
    if (http) http->Stop();
  }
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() { Stop(); }
uint16_t Service::port() const { return impl_->http ? impl_->http->port() : 0; }
void Service::Stop() {
  impl_->stopping = true;
  if (impl_->ticker.joinable()) impl_->ticker.join();
  if (impl_->http) impl_->http->Stop();
}

Result<std::unique_ptr<Service>> Service::Start(const ServeOptions& options) {
  if (sodium_init() < 0) return Err(Internal("crypto", "libsodium failed to start"));
  auto impl = std::make_unique<Impl>();
  impl->clock = options.clock ? options.clock : &impl->system_clock;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec)
    return Err(
        Internal("config.data_dir", "cannot create `" + options.data_dir + "`: " + ec.message()));

  // 1. Store (the master key seals signing keys and secrets at rest).
  auto store = OpenDataStore(options.data_dir, options.store_url, options.durability);
  if (!store) return Err(store.error());
  impl->store = std::move(*store);

  // 2. Audit trail.
  auto audit = audit::AuditLog::Open(*impl->store, *impl->clock, {.chain = options.audit_chain});
  if (!audit) return Err(audit.error());
  impl->audit = std::move(*audit);
  impl->metered_audit = impl->metrics.Metered(*impl->audit);
  impl->metrics.WatchAudit(*impl->audit);

  // 3. The issuer's signing keys.
  impl->key_store = NewStoreSigningKeyStore(*impl->store);
  auto keys = credential::KeyRing::Open(*impl->key_store, *impl->clock,
                                        {.sealed_audiences = options.sealed_audiences});
  if (!keys) return Err(keys.error());
  impl->keys = std::move(*keys);

  // 4. Trust sources for agents.
  authority::Deps deps;
  for (const std::string& spec : options.trust_bundles) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || spec.rfind("spiffe://", 0) != 0) {
      return Err(InvalidArgument("config.trust_bundle",
                                 "`" + spec + "`: expected spiffe://TRUST_DOMAIN=FILE"));
    }
    auto bundle = identity::LoadSpiffeBundleFile(spec.substr(9, eq - 9), spec.substr(eq + 1));
    if (!bundle) return Err(bundle.error());
    impl->bundles.Set(std::move(*bundle));
  }
  deps.bundles = &impl->bundles;
  auto fetcher = identity::NewHttpFetcher();
  for (const std::string& issuer : options.oidc_issuers) {
    deps.oidc_issuers.push_back(
        {issuer, identity::NewOidcDiscoverySource(issuer, fetcher, *impl->clock)});
  }

  // 5. Mandates.
  MandateCatalog catalog = LoadMandateDirectory(options.mandates_dir);
  for (const Diagnostic& d : catalog.diagnostics) {
    if (d.severity == Severity::kError)
      return Err(InvalidArgument("mandate.invalid", d.ToString()));
  }
  deps.mandates = catalog.mandates;
  std::map<std::string, std::vector<std::string>, std::less<>> system_audiences;
  for (const auto& mandate : catalog.mandates) {
    for (const System& system : mandate->systems) {
      auto& audiences = system_audiences[system.name];
      if (std::find(audiences.begin(), audiences.end(), system.audience) == audiences.end()) {
        audiences.push_back(system.audience);
      }
    }
  }
  auto governance = std::make_shared<Governance>();
  if (!options.governance_file.empty()) {
    auto loaded = LoadGovernanceFile(options.governance_file);
    if (!loaded) return Err(loaded.error());
    *governance = std::move(*loaded);
  }
  deps.delegation_policies = governance->delegation_policies;
  deps.user_entities = governance->user_entities;
  deps.user_policies = governance->user_policies;

  // 6. The authority.
  deps.clock = impl->clock;
  deps.store = impl->store.get();
  deps.audit = impl->metered_audit.get();
  deps.keys = impl->keys;
  authority::Options authority_options{.issuer = options.issuer,
                                       .bootstrap_audience = options.issuer};
  authority_options.approval_ttl_seconds = governance->approval_ttl_seconds;
  authority_options.bound_connections = options.bound_connections;
  auto authority = authority::Authority::Open(std::move(deps), authority_options);
  if (!authority) return Err(authority.error());
  impl->authority = std::move(*authority);
  impl->metrics.WatchAuthority(*impl->authority);
  ServiceMetrics* metrics = &impl->metrics;
  impl->authority->Subscribe(
      [metrics](const authority::RevocationNotice& n) { metrics->CountRevocation(n.scope); });

  // 7. The HTTP API.
  impl->durable = std::make_unique<DurableResponder>(*impl->audit);
  auto admin = EnsureSecretFile(options.data_dir + "/admin.token");
  if (!admin) return Err(admin.error());
  auto ep = EnsureSecretFile(options.data_dir + "/ep.token");
  if (!ep) return Err(ep.error());
  impl->api = {.authority = impl->authority.get(),
               .store = impl->store.get(),
               .durable = impl->durable.get(),
               .admin_token = *admin,
               .enforcement_token = *ep,
               .check_routes = nullptr,
               .audit_chain = options.audit_chain,
               .metrics = &impl->metrics,
               .governance = governance};
  impl->api.audit = impl->metered_audit.get();
  impl->api.keys = impl->keys;
  impl->api.system_audiences = std::move(system_audiences);
  if (!options.check_routes.empty()) {
    auto routes = enforce::LoadRouteTableFile(options.check_routes);
    if (!routes) return Err(routes.error());
    impl->api.check_routes = std::make_shared<const enforce::RouteTable>(std::move(*routes));
  }
  http::Router router;
  MANDATE_RETURN_IF_ERROR(AddApiRoutes(router, impl->api));
  http::ServerOptions http_options;
  http_options.host = options.host;
  http_options.port = options.port;
  http_options.threads = options.threads;
  http_options.tls = options.tls;
  auto http = http::Server::Start(std::move(http_options), std::move(router));
  if (!http) return Err(http.error());
  impl->http = std::move(*http);

  Impl* raw = impl.get();
  impl->ticker = std::thread([raw] {
    int ticks = 0;
    while (!raw->stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      raw->authority->ExpireDue();
      (void)raw->authority->FollowRevocations();
      if (++ticks % 4 == 0) (void)raw->authority->Checkpoint();
      if (ticks % 1200 == 0) (void)raw->keys->RotateIfDue();
    }
    (void)raw->authority->Checkpoint();
  });
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

}  // namespace mandate::server
