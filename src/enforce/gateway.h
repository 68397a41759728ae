// `mandate gateway`: an HTTP reverse proxy in front of tool APIs. Per system it maps requests to
// actions with the route table, asks the authority for each call, strips the agent's own
// credentials, injects the system's real credential only into allowed requests, and answers
// refusals with 403 JSON naming the reason. The agent never holds the upstream secret. Calls it
// decides itself (held step credentials, its own refusals) go to the authority's audit trail in
// batches (src/enforce/internal/decision_audit.h); it refuses everything once they fall behind.
//
// Configuration (YAML), see docs/enforcement.md:
//   listen: 127.0.0.1:8080          # port 0 picks a free port (printed at start)
//   tls: {cert: gw.crt, key: gw.key, client_ca: agents-ca.pem}   # HTTPS; client_ca: mTLS
//   authority: http://127.0.0.1:7070
//   ep_token_file: /etc/mandate/ep.token
//   revocation_grace_ms: 5000
//   audit_grace_ms: 5000            # local decisions not in the audit trail by then: refuse
//   audit_flush_ms: 50              # how often they are sent to the authority
//   audit_batch: 32                 # at most this many records per request
//   audit_spool: /var/lib/mandate/gw   # write-ahead folder: a killed gateway loses no record
//   threads: 1                      # server threads (held step credentials are decided on them)
//   decision_threads: 16            # concurrent authority round trips (task-token calls)
//   bind_connections: true          # a proven held credential needs no new proof on its connection
//   upstream_spin_us: 0             # watch for the upstream's answer this long before sleeping
//   health_path: /healthz           # GET: 200 while calls can be allowed, else 503 and why
//   issuer: mandate                 # `iss` of step credentials verified locally
//   systems:
//     - name: tracker
//       upstream: http://127.0.0.1:9000
//       audience: https://tracker.example.org   # the mandate's audience (default: the name)
//       credential: {type: header, header: X-Api-Key, secret: "file:/etc/mandate/tracker.key"}
//       routes:
//         - {method: GET, path: "/issues/{id}", action: read_issue, resource: "issues/{id}",
//            types: {id: long}}
// Thread-safety: configs are immutable values; RunGateway blocks its calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/enforce/route_table.h"
#include "src/http/server.h"
#include "src/util/status.h"

namespace mandate::enforce {

// Where a secret comes from: `file:/path` (owner-only file), `env:NAME`, `store:NAME` (the
// store's encrypted secrets).
struct SecretRef {
  enum class Source { kFile, kEnv, kStore };
  Source source = Source::kFile;
  std::string name;
};
[[nodiscard]] Result<SecretRef> ParseSecretRef(std::string_view text);

// Looks up `store:` secrets; the CLI provides it when a store is configured.
using StoreSecretLookup = std::function<Result<std::string>(std::string_view name)>;

// Reads a secret. Files must not be readable by group or others; a trailing newline is dropped;
// empty secrets and secrets holding CR, LF or NUL are refused. Reasons: `secret.unavailable`,
// `secret.invalid`, `secret.insecure_file`.
[[nodiscard]] Result<std::string> ResolveSecret(const SecretRef& ref,
                                                const StoreSecretLookup& store = {});

// The real credential a system's upstream expects.
struct InjectedCredential {
  enum class Kind { kNone, kHeader, kBearer, kBasic };
  Kind kind = Kind::kNone;
  std::string header;    // kHeader: header name, e.g. `X-Api-Key`
  std::string username;  // kBasic
  SecretRef secret;
};

struct SystemUpstream {
  std::string upstream;  // absolute http(s) URL of the upstream's root
  // The system's `audience` in mandates: the `aud` of step credentials for it (default: name).
  std::string audience;
  InjectedCredential credential;
};

struct GatewayConfig {
  std::string listen = "127.0.0.1:8080";
  // HTTPS for agents (PEM files); with a client CA, only agents presenting a certificate it
  // issued get a connection (mTLS).
  std::optional<http::TlsOptions> tls;
  std::string authority;      // absolute URL of `mandate serve`
  std::string ep_token_file;  // enforcement-point token (docs/api.md)
  std::string public_url;     // the gateway's URL as agents see it (DPoP `htu`); default from Host
  std::string issuer = "mandate";  // `iss` of step credentials (the authority's --issuer)
  int64_t revocation_grace_ms = 5000;
  // The gateway's own decisions (held step credentials, its refusals) are delivered to the
  // authority's audit trail in batches; once the oldest undelivered one is older than this,
  // every call is refused with 503 `audit.unavailable` until they are delivered.
  int64_t audit_grace_ms = 5000;
  // Records are sent every `audit_flush_ms`, at most `audit_batch` per request: the authority
  // appends a request's records in one go, and a smaller request is a shorter burst of its CPU
  // that a call's thread may have to wait behind on a small machine (docs/enforcement.md).
  int64_t audit_flush_ms = 50;
  int64_t audit_batch = 32;
  // Each record is also written here before its call is answered, so a gateway killed outright
  // loses none: the next one started on the folder delivers them (internal/audit_spool.h).
  std::string audit_spool;
  size_t max_body_bytes = 1 << 20;
  // Server threads: each reads, decides held step credentials and forwards without blocking.
  int server_threads = 1;
  // Threads waiting on authority round trips (calls presenting a task token), one call each.
  int decision_threads = 16;
  // A keep-alive connection that proved possession for a held step credential may present it
  // again without a proof (the authority's "bound connection", docs/api.md).
  bool bind_connections = true;
  // Microseconds a server thread watches an upstream connection for the answer before sleeping
  // (0: never). Saves a wake-up per call when the upstream answers that fast, for that CPU.
  int64_t upstream_spin_us = 0;
  // GET (or HEAD) on this path answers the gateway's readiness for a load balancer: 200
  // `{"status":"ok"}` while it can allow calls, else 503 with the code every call gets then
  // (`revocation.not_synced`, `revocation.stream_lost`, `audit.unavailable`). Empty: none. A
  // route of a system may not match it (a config error, not a shadowed tool path).
  std::string health_path = "/healthz";
  std::vector<SystemRoutes> systems;                // routes per system
  std::map<std::string, SystemUpstream> upstreams;  // by system name
};

// Parses the YAML configuration. Reasons: `config.invalid` (with the YAML line), and those of
// RouteTable::Build and ParseSecretRef.
[[nodiscard]] Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml);
[[nodiscard]] Result<GatewayConfig> LoadGatewayConfigFile(const std::string& path);

// The route table of a gateway configuration file (what `/v1/check` uses).
[[nodiscard]] Result<RouteTable> LoadRouteTableFile(const std::string& path);

// Runs the gateway until `stop` becomes true; prints `gateway listening on http://HOST:PORT` once
// ready. Returns the reason it could not start or had to stop.
Status RunGateway(const GatewayConfig& config, const std::atomic<bool>& stop,
                  const StoreSecretLookup& store = {});

}  // namespace mandate::enforce
