#include "src/enforce/route_table.h"

#include <algorithm>
#include <set>

#include "src/enforce/internal/target.h"
#include "src/json/json.h"

namespace mandate::enforce {
namespace {

using internal::ParsedTarget;

struct Segment {
  std::string text;  // literal text, or the parameter name
  bool param = false;
  bool greedy = false;  // `{name*}`: one or more trailing segments
};

struct ResourcePart {
  std::string text;
  bool param = false;
};

struct CompiledRoute {
  Route route;
  std::vector<Segment> segments;
  std::vector<ResourcePart> resource;
};

struct CompiledSystem {
  SystemRoutes system;
  std::vector<std::string> prefix;  // decoded prefix segments
  std::vector<CompiledRoute> routes;
};

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return !std::isdigit(static_cast<unsigned char>(name.front()));
}

tl::unexpected<Status> ConfigError(std::string message) {
  return Err(StatusCode::kInvalidArgument, "config.route_invalid", std::move(message));
}

Result<std::vector<Segment>> CompilePath(std::string_view path, std::string_view where) {
  std::vector<Segment> out;
  if (path.empty() || path.front() != '/') {
    return ConfigError(std::string(where) + ": path `" + std::string(path) +
                       "` must start with `/`");
  }
  size_t start = 1;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view raw = path.substr(start, end - start);
    start = end + 1;
    if (raw.empty()) return ConfigError(std::string(where) + ": empty path segment");
    if (!out.empty() && out.back().greedy) {
      return ConfigError(std::string(where) + ": `{name*}` must be the last segment");
    }
    Segment seg;
    if (raw.front() == '{') {
      if (raw.back() != '}') return ConfigError(std::string(where) + ": unclosed `{`");
      std::string_view name = raw.substr(1, raw.size() - 2);
      if (!name.empty() && name.back() == '*') {
        seg.greedy = true;
        name.remove_suffix(1);
      }
      if (!IsIdentifier(name)) {
        return ConfigError(std::string(where) + ": bad parameter name `" + std::string(name) + "`");
      }
      for (const Segment& s : out) {
        if (s.param && s.text == name) {
          return ConfigError(std::string(where) + ": repeated parameter `" + std::string(name) +
                             "`");
        }
      }
      seg.param = true;
      seg.text = std::string(name);
    } else {
      if (raw.find_first_of("{}%?") != std::string_view::npos || raw == "." || raw == "..") {
        return ConfigError(std::string(where) + ": bad literal segment `" + std::string(raw) + "`");
      }
      seg.text = std::string(raw);
    }
    out.push_back(std::move(seg));
  }
  return out;
}

Result<std::vector<ResourcePart>> CompileResource(std::string_view tmpl,
                                                  const std::vector<Segment>& path,
                                                  std::string_view where) {
  std::vector<ResourcePart> out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      out.push_back({std::string(tmpl.substr(i)), false});
      break;
    }
    if (open > i) out.push_back({std::string(tmpl.substr(i, open - i)), false});
    size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) return ConfigError(std::string(where) + ": unclosed `{`");
    std::string name(tmpl.substr(open + 1, close - open - 1));
    bool known = std::any_of(path.begin(), path.end(),
                             [&](const Segment& s) { return s.param && s.text == name; });
    if (!known) {
      return ConfigError(std::string(where) + ": resource names unknown path parameter `" + name +
                         "`");
    }
    out.push_back({std::move(name), true});
    i = close + 1;
  }
  if (tmpl.find('}', 0) != std::string_view::npos && out.empty()) {
    return ConfigError(std::string(where) + ": stray `}`");
  }
  return out;
}

tl::unexpected<Status> ArgsError(std::string message) {
  return Err(StatusCode::kInvalidArgument, "route.args_invalid", std::move(message));
}

Result<boost::json::value> TypedArg(const std::string& name, const std::string& text,
                                    const Route& route) {
  auto it = route.arg_types.find(name);
  ArgType type = it == route.arg_types.end() ? ArgType::kString : it->second;
  switch (type) {
    case ArgType::kString:
      return boost::json::value(text);
    case ArgType::kBool:
      if (text == "true") return boost::json::value(true);
      if (text == "false") return boost::json::value(false);
      return ArgsError("argument `" + name + "` must be `true` or `false`");
    case ArgType::kLong: {
      if (text.empty() || text.size() > 19)
        return ArgsError("argument `" + name + "` must be a long");
      size_t start = text[0] == '-' ? 1 : 0;
      if (start == text.size()) return ArgsError("argument `" + name + "` must be a long");
      for (size_t k = start; k < text.size(); ++k) {
        if (!std::isdigit(static_cast<unsigned char>(text[k]))) {
          return ArgsError("argument `" + name + "` must be a long");
        }
      }
      return boost::json::value(static_cast<int64_t>(std::stoll(text)));
    }
  }
  return ArgsError("argument `" + name + "` has an unknown type");
}

Status AddArg(boost::json::object& args, const std::string& name, boost::json::value value) {
  if (args.contains(name)) {
    return InvalidArgument("route.args_invalid", "argument `" + name + "` given twice");
  }
  args.emplace(name, std::move(value));
  return Status();
}

}  // namespace

struct RouteTable::Compiled {
  std::vector<CompiledSystem> systems;
};

RouteTable::RouteTable(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;
RouteTable::~RouteTable() = default;

Result<RouteTable> RouteTable::Build(std::vector<SystemRoutes> systems) {
  auto compiled = std::make_unique<Compiled>();
  std::set<std::string> prefixes;
  for (SystemRoutes& system : systems) {
    std::string where = "system `" + system.name + "`";
    bool name_ok = !system.name.empty() && system.name.size() <= 64 &&
                   std::all_of(system.name.begin(), system.name.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                   });
    if (!name_ok) return ConfigError(where + ": name must use letters, digits, `_` and `-`");
    if (system.prefix.empty()) system.prefix = "/" + system.name;
    auto prefix = CompilePath(system.prefix, where);
    if (!prefix) return Err(prefix.error());
    CompiledSystem cs;
    for (const Segment& s : *prefix) {
      if (s.param) return ConfigError(where + ": prefix cannot hold parameters");
      cs.prefix.push_back(s.text);
    }
    if (!prefixes.insert(system.prefix).second) {
      return ConfigError(where + ": prefix `" + system.prefix + "` used twice");
    }
    for (size_t i = 0; i < system.routes.size(); ++i) {
      const Route& route = system.routes[i];
      std::string rwhere = where + " route " + std::to_string(i + 1);
      if (route.action.empty()) return ConfigError(rwhere + ": missing action");
      if (route.method.empty()) return ConfigError(rwhere + ": missing method");
      if (route.body_args && route.opaque_body) {
        return ConfigError(rwhere + ": `body_args` and `opaque_body` exclude each other");
      }
      auto segments = CompilePath(route.path, rwhere);
      if (!segments) return Err(segments.error());
      auto resource = CompileResource(route.resource, *segments, rwhere);
      if (!resource) return Err(resource.error());
      cs.routes.push_back({route, std::move(*segments), std::move(*resource)});
    }
    cs.system = std::move(system);
    compiled->systems.push_back(std::move(cs));
  }
  // Longest prefix first, so `/a/b` wins over `/a`.
  std::stable_sort(compiled->systems.begin(), compiled->systems.end(),
                   [](const CompiledSystem& a, const CompiledSystem& b) {
                     return a.prefix.size() > b.prefix.size();
                   });
  return RouteTable(std::move(compiled));
}

namespace {

const CompiledSystem* FindSystem(const std::vector<CompiledSystem>& systems,
                                 const ParsedTarget& target) {
  for (const CompiledSystem& cs : systems) {
    if (cs.prefix.size() > target.segments.size()) continue;
    if (std::equal(cs.prefix.begin(), cs.prefix.end(), target.segments.begin())) return &cs;
  }
  return nullptr;
}

// Binds `segments` (after the prefix) to the route; returns false if it does not match.
bool Bind(const CompiledRoute& route, const std::vector<std::string>& segments, size_t offset,
          std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  size_t k = offset;
  for (const Segment& seg : route.segments) {
    if (seg.greedy) {
      if (k >= segments.size()) return false;
      std::string joined;
      for (; k < segments.size(); ++k) {
        if (!joined.empty()) joined.push_back('/');
        joined += segments[k];
      }
      params.emplace_back(seg.text, std::move(joined));
      return true;
    }
    if (k >= segments.size()) return false;
    if (seg.param) {
      params.emplace_back(seg.text, segments[k]);
    } else if (seg.text != segments[k]) {
      return false;
    }
    ++k;
  }
  return k == segments.size();
}

}  // namespace

const SystemRoutes* RouteTable::SystemFor(std::string_view target) const {
  auto parsed = internal::ParseTarget(target);
  if (!parsed) return nullptr;
  const CompiledSystem* cs = FindSystem(compiled_->systems, *parsed);
  return cs ? &cs->system : nullptr;
}

Result<RouteMatch> RouteTable::Match(std::string_view method, std::string_view target,
                                     std::string_view body) const {
  auto parsed = internal::ParseTarget(target);
  if (!parsed) return Err(parsed.error());
  const CompiledSystem* cs = FindSystem(compiled_->systems, *parsed);
  // Only refusals name the call: built then, not on every call.
  auto what = [&] { return "`" + std::string(method) + " " + std::string(parsed->raw_path) + "`"; };
  if (cs == nullptr) {
    return Err(StatusCode::kPermissionDenied, "route.unknown", "no system serves " + what());
  }
  std::vector<std::pair<std::string, std::string>> params;
  const CompiledRoute* found = nullptr;
  for (const CompiledRoute& route : cs->routes) {
    if (route.route.method != "*" && route.route.method != method) continue;
    if (Bind(route, parsed->segments, cs->prefix.size(), params)) {
      found = &route;
      break;
    }
  }
  if (found == nullptr) {
    return Err(StatusCode::kPermissionDenied, "route.unknown",
               "system `" + cs->system.name + "` has no route for " + what());
  }
  RouteMatch match;
  match.system = cs->system.name;
  match.action = found->route.action;
  for (const ResourcePart& part : found->resource) {
    if (!part.param) {
      match.resource += part.text;
      continue;
    }
    for (const auto& [name, value] : params) {
      if (name == part.text) match.resource += value;
    }
  }
  for (const auto& [name, value] : params) {
    auto typed = TypedArg(name, value, found->route);
    if (!typed) return Err(typed.error());
    MANDATE_RETURN_IF_ERROR(AddArg(match.args, name, std::move(*typed)));
  }
  for (const auto& [name, value] : parsed->query) {
    auto typed = TypedArg(name, value, found->route);
    if (!typed) return Err(typed.error());
    MANDATE_RETURN_IF_ERROR(AddArg(match.args, name, std::move(*typed)));
  }
  if (!body.empty() && !found->route.body_args && !found->route.opaque_body) {
    return Err(StatusCode::kPermissionDenied, "route.body_undecided",
               "route `" + found->route.method + " " + found->route.path +
                   "` decides no request body; the gateway configuration must say `body_args: "
                   "true` (its members are arguments) or `opaque_body: true` (forwarded "
                   "undecided)");
  }
  if (found->route.body_args && !body.empty()) {
    auto doc = json::Parse(body);
    if (!doc) return ArgsError("body: " + doc.error().message());
    if (!doc->is_object()) return ArgsError("body must be a JSON object");
    for (auto& member : doc->as_object()) {
      MANDATE_RETURN_IF_ERROR(AddArg(match.args, std::string(member.key()), member.value()));
    }
  }
  std::string& upstream = match.upstream_target;
  upstream.reserve(target.size());
  for (size_t k = cs->prefix.size(); k < parsed->raw_segments.size(); ++k) {
    upstream.append("/").append(parsed->raw_segments[k]);
  }
  if (upstream.empty()) upstream = "/";
  if (!parsed->raw_query.empty()) upstream.append("?").append(parsed->raw_query);
  return match;
}

}  // namespace mandate::enforce
