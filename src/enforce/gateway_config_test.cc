#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "src/enforce/gateway.h"

namespace mandate::enforce {
namespace {

constexpr const char* kConfig = R"(
listen: 127.0.0.1:0
authority: http://127.0.0.1:7070
ep_token_file: /tmp/ep.token
revocation_grace_ms: 2000
audit_grace_ms: 3000
audit_flush_ms: 10
audit_batch: 32
audit_spool: /var/lib/mandate/gw
upstream_spin_us: 40
systems:
  - name: tracker
    upstream: http://127.0.0.1:9000/
    credential: {type: header, header: X-Api-Key, secret: "env:TRACKER_KEY"}
    routes:
      - {method: get, path: "/issues/{id}", action: read_issue, resource: "issues/{id}",
         types: {id: long}}
      - {method: POST, path: /issues, action: create_issue, resource: issues, body_args: true}
      - {method: PUT, path: "/files/{name}", action: upload, resource: "files/{name}",
         opaque_body: true}
  - name: bank
    prefix: /b
    upstream: https://bank.example
    credential: {type: basic, username: svc, secret: "file:/etc/bank.key"}
    routes: []
)";

TEST(GatewayConfig, ParsesSystemsRoutesAndCredentials) {
  auto config = ParseGatewayConfig(kConfig);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->listen, "127.0.0.1:0");
  EXPECT_EQ(config->revocation_grace_ms, 2000);
  EXPECT_EQ(config->audit_grace_ms, 3000);
  EXPECT_EQ(config->upstream_spin_us, 40);
  EXPECT_EQ(config->audit_flush_ms, 10);
  EXPECT_EQ(config->audit_batch, 32);
  EXPECT_EQ(config->audit_spool, "/var/lib/mandate/gw");
  ASSERT_EQ(config->systems.size(), 2u);
  EXPECT_EQ(config->systems[0].routes[0].method, "GET");
  EXPECT_EQ(config->systems[0].routes[0].arg_types.at("id"), ArgType::kLong);
  EXPECT_TRUE(config->systems[0].routes[1].body_args);
  EXPECT_FALSE(config->systems[0].routes[1].opaque_body);
  EXPECT_TRUE(config->systems[0].routes[2].opaque_body);
  const SystemUpstream& tracker = config->upstreams.at("tracker");
  EXPECT_EQ(tracker.upstream, "http://127.0.0.1:9000");
  EXPECT_EQ(tracker.credential.kind, InjectedCredential::Kind::kHeader);
  EXPECT_EQ(tracker.credential.secret.source, SecretRef::Source::kEnv);
  EXPECT_EQ(config->upstreams.at("bank").credential.username, "svc");
}

TEST(GatewayConfig, RejectsUnknownKeysWithTheLine) {
  auto config = ParseGatewayConfig("authority: http://a\nep_token_file: x\nlisten_addr: 1\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().reason(), "config.invalid");
  EXPECT_NE(config.error().message().find("line 3"), std::string::npos) << config.error().message();
  EXPECT_NE(config.error().message().find("`listen_addr`"), std::string::npos);
}

TEST(GatewayConfig, RejectsOutOfRangeGraceSpinAndAuditBatching) {
  const std::string base =
      "authority: http://a\nep_token_file: x\nsystems: [{name: s, upstream: "
      "http://127.0.0.1:1, routes: []}]\n";
  for (const char* bad :
       {"audit_grace_ms: -1\n", "upstream_spin_us: 1001\n", "upstream_spin_us: -5\n",
        "audit_flush_ms: 0\n", "audit_batch: 0\n", "audit_batch: 10001\n"}) {
    auto config = ParseGatewayConfig(base + bad);
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().reason(), "config.invalid");
  }
  ASSERT_TRUE(ParseGatewayConfig(base)) << ParseGatewayConfig(base).error().ToString();
}

TEST(GatewayConfig, HealthPathDefaultsToHealthzAndMayNotShadowARoute) {
  const std::string base =
      "authority: http://a\nep_token_file: x\nsystems: [{name: s, prefix: /, upstream: "
      "http://127.0.0.1:1, routes: [{method: GET, path: \"/{page}\", action: read, "
      "resource: \"pages/{page}\"}]}]\n";
  // `/{page}` matches `/healthz`: refused with the line and the way out, not shadowed.
  auto shadowed = ParseGatewayConfig(base);
  ASSERT_FALSE(shadowed);
  EXPECT_EQ(shadowed.error().reason(), "config.invalid");
  EXPECT_NE(shadowed.error().message().find("`health_path` `/healthz` is also a route of system "
                                            "`s`: set `health_path` to another path"),
            std::string::npos)
      << shadowed.error().message();
  auto moved = ParseGatewayConfig(base + "health_path: /.mandate/health\n");
  ASSERT_TRUE(moved) << moved.error().ToString();
  EXPECT_EQ(moved->health_path, "/.mandate/health");
  auto none = ParseGatewayConfig(base + "health_path: \"\"\n");
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_EQ(none->health_path, "");
  EXPECT_EQ(ParseGatewayConfig(kConfig)->health_path, "/healthz");
  // The same file as `mandate serve --check-routes` reads it: only its routes count there.
  const std::string file = ::testing::TempDir() + "/health_routes.yaml";
  std::ofstream(file) << base;
  EXPECT_TRUE(LoadRouteTableFile(file)) << LoadRouteTableFile(file).error().ToString();
  EXPECT_EQ(LoadGatewayConfigFile(file).error().reason(), "config.invalid");
  for (const char* bad :
       {"health_path: healthz\n", "health_path: /h?x=1\n", "health_path: [1]\n"}) {
    auto config = ParseGatewayConfig(base + bad);
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().reason(), "config.invalid") << bad;
  }
}

TEST(GatewayConfig, RejectsBrokenDocuments) {
  EXPECT_EQ(ParseGatewayConfig("a: [").error().reason(), "config.invalid");
  EXPECT_EQ(ParseGatewayConfig("- 1").error().reason(), "config.invalid");
  EXPECT_EQ(ParseGatewayConfig("authority: x\nep_token_file: y\nsystems: []").error().reason(),
            "config.invalid");
  // kConfig with one piece of text replaced; the reason its parse is refused with.
  const auto refused = [](std::string_view from, std::string_view to) {
    std::string config = kConfig;
    config.replace(config.find(from), from.size(), to);
    auto parsed = ParseGatewayConfig(config);
    return parsed ? std::string("accepted") : std::string(parsed.error().reason());
  };
  EXPECT_EQ(refused("env:TRACKER_KEY", "vault:x"), "secret.invalid");
  EXPECT_EQ(refused("\"issues/{id}\"", "\"issues/{x}\""), "config.route_invalid");
  // `opaque_body` must be a boolean, and cannot stand beside `body_args`.
  EXPECT_EQ(refused("opaque_body: true", "opaque_body: maybe"), "config.invalid");
  EXPECT_EQ(refused("opaque_body: true", "opaque_body: true, body_args: true"),
            "config.route_invalid");
}

TEST(GatewayConfig, TlsTakesACertificateKeyAndOptionalClientCa) {
  auto plain = ParseGatewayConfig(kConfig);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls.has_value());
  const auto with = [](std::string_view tls) {
    return ParseGatewayConfig(std::string(kConfig) + "tls: " + std::string(tls) + "\n");
  };
  auto https = with("{cert: /etc/gw.pem, key: /etc/gw.key}");
  ASSERT_TRUE(https) << https.error().ToString();
  EXPECT_EQ(https->tls->cert_file, "/etc/gw.pem");
  EXPECT_EQ(https->tls->key_file, "/etc/gw.key");
  EXPECT_EQ(https->tls->client_auth, http::ClientAuth::kNone);
  auto mtls = with("{cert: a, key: b, client_ca: /etc/agents-ca.pem}");
  ASSERT_TRUE(mtls) << mtls.error().ToString();
  EXPECT_EQ(mtls->tls->client_ca_file, "/etc/agents-ca.pem");
  EXPECT_EQ(mtls->tls->client_auth, http::ClientAuth::kRequired);
  for (const char* bad : {"on", "{cert: a}", "{key: b}", "{cert: a, key: b, client_ca: []}",
                          "{cert: a, key: b, ca: c}", "{cert: '', key: b}"}) {
    auto refused = with(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().reason(), "config.invalid") << bad;
  }
}

TEST(GatewayConfig, ThreadCountsDefaultSmallAndAreBounded) {
  auto defaults = ParseGatewayConfig(kConfig);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->server_threads, 1);
  EXPECT_EQ(defaults->decision_threads, 16);
  auto set = ParseGatewayConfig(std::string(kConfig) + "threads: 2\ndecision_threads: 4\n");
  ASSERT_TRUE(set) << set.error().ToString();
  EXPECT_EQ(set->server_threads, 2);
  EXPECT_EQ(set->decision_threads, 4);
  auto zero = ParseGatewayConfig(std::string(kConfig) + "threads: 0\n");
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().reason(), "config.invalid");
  EXPECT_NE(zero.error().message().find("`threads` must be 1-256"), std::string::npos);
}

TEST(Secrets, FromEnvironmentAndOwnerOnlyFile) {
  ::setenv("MANDATE_TEST_SECRET", "s3cret-value", 1);
  auto env = ResolveSecret({SecretRef::Source::kEnv, "MANDATE_TEST_SECRET"});
  ASSERT_TRUE(env);
  EXPECT_EQ(*env, "s3cret-value");
  EXPECT_EQ(ResolveSecret({SecretRef::Source::kEnv, "MANDATE_NO_SUCH_VAR"}).error().reason(),
            "secret.unavailable");

  std::string path = ::testing::TempDir() + "/enforce_secret.key";
  {
    std::ofstream out(path);
    out << "file-secret\n";
  }
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(ResolveSecret({SecretRef::Source::kFile, path}).error().reason(),
            "secret.insecure_file");
  ::chmod(path.c_str(), 0600);
  auto file = ResolveSecret({SecretRef::Source::kFile, path});
  ASSERT_TRUE(file) << file.error().ToString();
  EXPECT_EQ(*file, "file-secret");
}

TEST(Secrets, StoreNeedsALookupAndRefusesLineBreaks) {
  EXPECT_EQ(ResolveSecret({SecretRef::Source::kStore, "k"}).error().reason(), "secret.unavailable");
  StoreSecretLookup store = [](std::string_view name) -> Result<std::string> {
    if (name == "k") return std::string("from-store");
    return std::string("bad\r\nX-Injected: 1");
  };
  EXPECT_EQ(*ResolveSecret({SecretRef::Source::kStore, "k"}, store), "from-store");
  EXPECT_EQ(ResolveSecret({SecretRef::Source::kStore, "other"}, store).error().reason(),
            "secret.invalid");
}

}  // namespace
}  // namespace mandate::enforce
