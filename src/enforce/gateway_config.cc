#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <set>

#include "src/enforce/gateway.h"
#include "src/util/file.h"

namespace mandate::enforce {
namespace {

tl::unexpected<Status> ConfigError(const YAML::Node& node, std::string message) {
  std::string where;
  if (node.IsDefined() && node.Mark().line >= 0) {
    where = "line " + std::to_string(node.Mark().line + 1) + ": ";
  }
  return Err(StatusCode::kInvalidArgument, "config.invalid", "gateway config: " + where + message);
}

// Fails on members the schema does not know: a typo must not silently drop a setting.
Status CheckKeys(const YAML::Node& map, const std::set<std::string>& known, std::string_view what) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (known.count(key) == 0) {
      std::string where = "line " + std::to_string(kv.first.Mark().line + 1) + ": ";
      return InvalidArgument("config.invalid", "gateway config: " + where + std::string(what) +
                                                   ": unknown key `" + key + "`");
    }
  }
  return Status();
}

Result<std::string> RequiredString(const YAML::Node& map, const char* key, std::string_view what) {
  YAML::Node v = map[key];
  if (!v || !v.IsScalar() || v.as<std::string>().empty()) {
    return ConfigError(map, std::string(what) + ": missing `" + key + "`");
  }
  return v.as<std::string>();
}

Result<Route> ParseRoute(const YAML::Node& node, std::string_view what) {
  if (!node.IsMap()) return ConfigError(node, std::string(what) + ": must be a mapping");
  MANDATE_RETURN_IF_ERROR(CheckKeys(
      node, {"method", "path", "action", "resource", "body_args", "opaque_body", "types"}, what));
  Route route;
  auto method = RequiredString(node, "method", what);
  if (!method) return Err(method.error());
  route.method = *method;
  for (char& c : route.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto path = RequiredString(node, "path", what);
  if (!path) return Err(path.error());
  route.path = *path;
  auto action = RequiredString(node, "action", what);
  if (!action) return Err(action.error());
  route.action = *action;
  if (node["resource"]) route.resource = node["resource"].as<std::string>();
  if (node["body_args"]) route.body_args = node["body_args"].as<bool>();
  if (node["opaque_body"]) route.opaque_body = node["opaque_body"].as<bool>();
  if (YAML::Node types = node["types"]) {
    if (!types.IsMap())
      return ConfigError(types, std::string(what) + ": `types` must be a mapping");
    for (const auto& kv : types) {
      std::string name = kv.first.as<std::string>();
      std::string type = kv.second.as<std::string>();
      if (type == "long") {
        route.arg_types[name] = ArgType::kLong;
      } else if (type == "bool") {
        route.arg_types[name] = ArgType::kBool;
      } else if (type == "string") {
        route.arg_types[name] = ArgType::kString;
      } else {
        return ConfigError(kv.second, std::string(what) + ": type of `" + name +
                                          "` must be `string`, `long` or `bool`");
      }
    }
  }
  return route;
}

Result<InjectedCredential> ParseCredential(const YAML::Node& node, std::string_view what) {
  InjectedCredential cred;
  if (!node) return cred;
  if (!node.IsMap())
    return ConfigError(node, std::string(what) + ": `credential` must be a mapping");
  MANDATE_RETURN_IF_ERROR(CheckKeys(node, {"type", "header", "username", "secret"}, what));
  auto type = RequiredString(node, "type", what);
  if (!type) return Err(type.error());
  if (*type == "header") {
    cred.kind = InjectedCredential::Kind::kHeader;
    auto header = RequiredString(node, "header", what);
    if (!header) return Err(header.error());
    cred.header = *header;
  } else if (*type == "bearer") {
    cred.kind = InjectedCredential::Kind::kBearer;
  } else if (*type == "basic") {
    cred.kind = InjectedCredential::Kind::kBasic;
    auto user = RequiredString(node, "username", what);
    if (!user) return Err(user.error());
    cred.username = *user;
  } else if (*type == "none") {
    return cred;
  } else {
    return ConfigError(node["type"], std::string(what) +
                                         ": credential type must be `header`, `bearer`, `basic` or "
                                         "`none`");
  }
  auto secret = RequiredString(node, "secret", what);
  if (!secret) return Err(secret.error());
  auto ref = ParseSecretRef(*secret);
  if (!ref) return Err(ref.error().WithContext(std::string(what)));
  cred.secret = *ref;
  return cred;
}

// `routes_only`: the file serves `mandate serve --check-routes` (its route table alone), where
// the gateway's own listener settings, such as `health_path`, play no part.
Result<GatewayConfig> ParseRoot(const YAML::Node& root, bool routes_only) {
  if (!root.IsMap()) return ConfigError(root, "the document must be a mapping");
  MANDATE_RETURN_IF_ERROR(
      CheckKeys(root,
                {"listen", "tls", "authority", "ep_token_file", "public_url", "issuer",
                 "revocation_grace_ms", "audit_grace_ms", "audit_spool", "audit_flush_ms",
                 "audit_batch", "max_body_bytes", "threads", "decision_threads", "bind_connections",
                 "upstream_spin_us", "health_path", "systems"},
                "top level"));
  GatewayConfig config;
  if (root["listen"]) config.listen = root["listen"].as<std::string>();
  if (const YAML::Node tls = root["tls"]) {
    if (!tls.IsMap()) return ConfigError(tls, "`tls` must be a mapping: {cert, key, client_ca}");
    MANDATE_RETURN_IF_ERROR(CheckKeys(tls, {"cert", "key", "client_ca"}, "tls"));
    http::TlsOptions options;
    auto cert = RequiredString(tls, "cert", "tls");
    if (!cert) return Err(cert.error());
    auto key = RequiredString(tls, "key", "tls");
    if (!key) return Err(key.error());
    options.cert_file = *cert;
    options.key_file = *key;
    if (tls["client_ca"]) {
      auto ca = RequiredString(tls, "client_ca", "tls");
      if (!ca) return Err(ca.error());
      options.client_ca_file = *ca;
      options.client_auth = http::ClientAuth::kRequired;
    }
    config.tls = std::move(options);
  }
  auto authority = RequiredString(root, "authority", "top level");
  if (!authority) return Err(authority.error());
  config.authority = *authority;
  auto ep = RequiredString(root, "ep_token_file", "top level");
  if (!ep) return Err(ep.error());
  config.ep_token_file = *ep;
  if (root["public_url"]) config.public_url = root["public_url"].as<std::string>();
  if (root["audit_spool"]) {
    auto spool = RequiredString(root, "audit_spool", "top level");
    if (!spool) return Err(spool.error());
    config.audit_spool = *spool;
  }
  if (root["issuer"]) config.issuer = root["issuer"].as<std::string>();
  for (auto [key, field] : {std::pair{"revocation_grace_ms", &config.revocation_grace_ms},
                            std::pair{"audit_grace_ms", &config.audit_grace_ms}}) {
    if (!root[key]) continue;
    *field = root[key].as<int64_t>();
    if (*field < 0) return ConfigError(root[key], "`" + std::string(key) + "` must be >= 0");
  }
  for (auto [key, field] : {std::pair{"audit_flush_ms", &config.audit_flush_ms},
                            std::pair{"audit_batch", &config.audit_batch}}) {
    if (!root[key]) continue;
    *field = root[key].as<int64_t>();
    if (*field < 1 || *field > 10'000) {
      return ConfigError(root[key], "`" + std::string(key) + "` must be 1-10000");
    }
  }
  if (root["max_body_bytes"]) config.max_body_bytes = root["max_body_bytes"].as<size_t>();
  for (auto [key, field] : {std::pair{"threads", &config.server_threads},
                            std::pair{"decision_threads", &config.decision_threads}}) {
    if (!root[key]) continue;
    *field = root[key].as<int>();
    if (*field < 1 || *field > 256) {
      return ConfigError(root[key], "`" + std::string(key) + "` must be 1-256");
    }
  }
  if (root["bind_connections"]) config.bind_connections = root["bind_connections"].as<bool>();
  if (root["upstream_spin_us"]) {
    config.upstream_spin_us = root["upstream_spin_us"].as<int64_t>();
    if (config.upstream_spin_us < 0 || config.upstream_spin_us > 1000) {
      return ConfigError(root["upstream_spin_us"], "`upstream_spin_us` must be 0-1000");
    }
  }
  if (const YAML::Node health = root["health_path"]) {
    config.health_path = health.as<std::string>();
    if (!config.health_path.empty() &&
        (config.health_path.front() != '/' ||
         config.health_path.find_first_of("?# ") != std::string::npos)) {
      return ConfigError(health, "`health_path` must be a path (`/healthz`), or \"\" for none");
    }
  }
  YAML::Node systems = root["systems"];
  if (!systems || !systems.IsSequence() || systems.size() == 0) {
    return ConfigError(root, "`systems` must be a non-empty list");
  }
  for (const YAML::Node& sys : systems) {
    if (!sys.IsMap()) return ConfigError(sys, "a system must be a mapping");
    auto name = RequiredString(sys, "name", "system");
    if (!name) return Err(name.error());
    std::string what = "system `" + *name + "`";
    MANDATE_RETURN_IF_ERROR(
        CheckKeys(sys, {"name", "prefix", "upstream", "audience", "credential", "routes"}, what));
    SystemRoutes routes;
    routes.name = *name;
    if (sys["prefix"]) routes.prefix = sys["prefix"].as<std::string>();
    SystemUpstream upstream;
    auto url = RequiredString(sys, "upstream", what);
    if (!url) return Err(url.error());
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
      return ConfigError(sys["upstream"], what + ": `upstream` must be an http(s) URL");
    }
    while (!url->empty() && url->back() == '/') url->pop_back();
    upstream.upstream = *url;
    upstream.audience = sys["audience"] ? sys["audience"].as<std::string>() : *name;
    auto cred = ParseCredential(sys["credential"], what);
    if (!cred) return Err(cred.error());
    upstream.credential = *cred;
    YAML::Node list = sys["routes"];
    if (!list || !list.IsSequence()) return ConfigError(sys, what + ": `routes` must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      auto route = ParseRoute(list[i], what + " route " + std::to_string(i + 1));
      if (!route) return Err(route.error());
      routes.routes.push_back(std::move(*route));
    }
    if (config.upstreams.count(*name) != 0) return ConfigError(sys, what + ": defined twice");
    config.upstreams[*name] = std::move(upstream);
    config.systems.push_back(std::move(routes));
  }
  // Validate the routes now so a bad template fails at load time.
  auto table = RouteTable::Build(config.systems);
  if (!table) return Err(table.error());
  if (!routes_only && !config.health_path.empty()) {
    if (auto shadowed = table->Match("GET", config.health_path)) {
      return ConfigError(root["health_path"] ? root["health_path"] : root,
                         "`health_path` `" + config.health_path + "` is also a route of system `" +
                             shadowed->system +
                             "`: set `health_path` to another path, or \"\" for none");
    }
  }
  return config;
}

}  // namespace

Result<SecretRef> ParseSecretRef(std::string_view text) {
  SecretRef ref;
  size_t colon = text.find(':');
  std::string_view kind = text.substr(0, colon);
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return Err(StatusCode::kInvalidArgument, "secret.invalid",
               "secret must be `file:PATH`, `env:NAME` or `store:NAME`");
  }
  ref.name = std::string(text.substr(colon + 1));
  if (kind == "file") {
    ref.source = SecretRef::Source::kFile;
  } else if (kind == "env") {
    ref.source = SecretRef::Source::kEnv;
  } else if (kind == "store") {
    ref.source = SecretRef::Source::kStore;
  } else {
    return Err(StatusCode::kInvalidArgument, "secret.invalid",
               "unknown secret source `" + std::string(kind) + "`");
  }
  return ref;
}

Result<std::string> ResolveSecret(const SecretRef& ref, const StoreSecretLookup& store) {
  std::string secret;
  switch (ref.source) {
    case SecretRef::Source::kFile: {
      struct stat st {};
      if (::stat(ref.name.c_str(), &st) != 0) {
        return Err(StatusCode::kUnavailable, "secret.unavailable",
                   "secret file `" + ref.name + "` does not exist");
      }
      if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        return Err(StatusCode::kFailedPrecondition, "secret.insecure_file",
                   "secret file `" + ref.name + "` is accessible by group or others (chmod 600)");
      }
      auto text = ReadFileBytes(ref.name);
      if (!text) {
        return Err(StatusCode::kUnavailable, "secret.unavailable",
                   "secret file: " + text.error().message());
      }
      secret = std::move(*text);
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      break;
    }
    case SecretRef::Source::kEnv: {
      const char* value = std::getenv(ref.name.c_str());
      if (value == nullptr) {
        return Err(StatusCode::kUnavailable, "secret.unavailable",
                   "environment variable `" + ref.name + "` is not set");
      }
      secret = value;
      break;
    }
    case SecretRef::Source::kStore: {
      if (!store) {
        return Err(StatusCode::kUnavailable, "secret.unavailable",
                   "secret `store:" + ref.name + "` needs a store (--data)");
      }
      auto value = store(ref.name);
      if (!value) return Err(value.error());
      secret = std::move(*value);
      break;
    }
  }
  if (secret.empty()) {
    return Err(StatusCode::kInvalidArgument, "secret.invalid",
               "secret `" + ref.name + "` is empty");
  }
  if (secret.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    return Err(StatusCode::kInvalidArgument, "secret.invalid",
               "secret `" + ref.name + "` holds a line break or nul byte");
  }
  return secret;
}

namespace {

Result<GatewayConfig> Parse(std::string_view yaml, bool routes_only) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return ParseRoot(root, routes_only);
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    return Err(StatusCode::kInvalidArgument, "config.invalid",
               "gateway config: line " + std::to_string(e.mark.line + 1) + ": " + msg);
  }
}

Result<GatewayConfig> Load(const std::string& path, bool routes_only) {
  auto text = ReadFileBytes(path);
  if (!text) {
    return Err(StatusCode::kNotFound, "config.unreadable", text.error().message());
  }
  auto config = Parse(*text, routes_only);
  if (!config) return Err(config.error().WithContext("`" + path + "`"));
  return config;
}

}  // namespace

Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml) { return Parse(yaml, false); }

Result<GatewayConfig> LoadGatewayConfigFile(const std::string& path) { return Load(path, false); }

Result<RouteTable> LoadRouteTableFile(const std::string& path) {
  auto config = Load(path, /*routes_only=*/true);
  if (!config) return Err(config.error());
  return RouteTable::Build(config->systems);
}

}  // namespace mandate::enforce
