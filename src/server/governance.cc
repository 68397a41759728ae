#include "src/server/governance.h"

#include <yaml-cpp/yaml.h>

#include "src/util/file.h"

namespace mandate::server {
namespace {

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgument("governance.invalid", "governance: `" + where + "` " + what);
}

Result<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& where) {
  if (!node.IsSequence()) return Err(Bad(where, "must be a list of strings"));
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) return Err(Bad(where, "must hold strings"));
    out.push_back(item.Scalar());
  }
  return out;
}

Result<int64_t> Number(const YAML::Node& node, const std::string& where, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, v) || v < lo || v > hi) {
    return Err(Bad(
        where, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)));
  }
  return v;
}

Result<Webhook> ParseWebhook(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) return Err(Bad(where, "must be a map"));
  Webhook hook;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string at = where + "." + key;
    if (key == "url" && kv.second.IsScalar()) {
      hook.url = kv.second.Scalar();
    } else if (key == "events") {
      auto events = Strings(kv.second, at);
      if (!events) return Err(events.error());
      for (const auto& e : *events) {
        if (e != "approval.pending" && e != "approval.decided" && e != "revocation") {
          return Err(Bad(at, "holds unknown event `" + e + "`"));
        }
      }
      hook.events = std::move(*events);
    } else if (key == "max_attempts") {
      auto n = Number(kv.second, at, 1, 20);
      if (!n) return Err(n.error());
      hook.max_attempts = static_cast<int>(*n);
    } else if (key == "backoff_ms") {
      auto n = Number(kv.second, at, 1, 60'000);
      if (!n) return Err(n.error());
      hook.backoff_ms = *n;
    } else {
      return Err(Bad(at, "is not a webhook key (url, events, max_attempts, backoff_ms)"));
    }
  }
  if (hook.url.rfind("http://", 0) != 0 && hook.url.rfind("https://", 0) != 0) {
    return Err(Bad(where + ".url", "must be an http(s) URL"));
  }
  if (hook.events.empty()) hook.events = {"approval.pending", "approval.decided", "revocation"};
  return hook;
}

}  // namespace

Result<Governance> ParseGovernance(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Err(InvalidArgument("governance.invalid", "governance: " + std::string(e.what())));
  }
  Governance g;
  if (root.IsNull()) return g;
  if (!root.IsMap()) return Err(Bad("(root)", "must be a map"));
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "delegation_policies" && v.IsScalar()) {
        g.delegation_policies = v.Scalar();
      } else if (key == "user_policies" && v.IsScalar()) {
        g.user_policies = v.Scalar();
      } else if (key == "user_entities" && v.IsScalar()) {
        g.user_entities = v.Scalar();
      } else if (key == "approver_groups" && v.IsMap()) {
        for (const auto& group : v) {
          auto members = Strings(group.second, key + "." + group.first.as<std::string>());
          if (!members) return Err(members.error());
          g.approver_groups[group.first.as<std::string>()] = std::move(*members);
        }
      } else if (key == "mandate_approvers" && v.IsMap()) {
        for (const auto& m : v) {
          if (!m.second.IsScalar()) return Err(Bad(key, "maps mandate names to group names"));
          g.mandate_approvers[m.first.as<std::string>()] = m.second.Scalar();
        }
      } else if (key == "approval_ttl_seconds") {
        auto n = Number(v, key, 1, 7 * 86400);
        if (!n) return Err(n.error());
        g.approval_ttl_seconds = *n;
      } else if (key == "webhooks" && v.IsSequence()) {
        for (size_t i = 0; i < v.size(); ++i) {
          auto hook = ParseWebhook(v[i], key + "[" + std::to_string(i) + "]");
          if (!hook) return Err(hook.error());
          g.webhooks.push_back(std::move(*hook));
        }
      } else if (key == "owners") {
        auto owners = Strings(v, key);
        if (!owners) return Err(owners.error());
        g.owners = std::move(*owners);
      } else {
        return Err(Bad(key, "is unknown or of the wrong type"));
      }
    }
  } catch (const YAML::Exception& e) {
    return Err(InvalidArgument("governance.invalid", "governance: " + std::string(e.what())));
  }
  for (const auto& [mandate, group] : g.mandate_approvers) {
    if (!g.approver_groups.count(group)) {
      return Err(Bad("mandate_approvers." + mandate, "names unknown group `" + group + "`"));
    }
  }
  return g;
}

Result<Governance> LoadGovernanceFile(const std::string& path) {
  auto text = ReadFileBytes(path, 1 << 20);
  if (!text) return Err(InvalidArgument("governance.invalid", text.error().message()));
  return ParseGovernance(*text);
}

}  // namespace mandate::server
