// The route table of an enforcement point: maps an HTTP request (method + target + body) to the
// system, action and resource the authority decides on, with path parameters, query parameters
// and (opted-in) JSON body members as the call's arguments (Cedar context).
//
// Used by `mandate gateway` and by the authority's `/v1/check` endpoint (nginx `auth_request`,
// Envoy `ext_authz`). Unmatched requests are never allowed: Match returns `route.unknown`.
// Thread-safety: a built RouteTable is immutable; Match is safe from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/status.h"

namespace mandate::enforce {

// How a path or query argument is typed in the arguments sent to the authority.
enum class ArgType { kString, kLong, kBool };

// One route, as written in the gateway configuration.
struct Route {
  std::string method;    // "GET", "POST", ... or "*" for any method
  std::string path;      // template relative to the system prefix: `/issues/{id}`, `/files/{path*}`
  std::string action;    // the mandate action, e.g. `read_issue`
  std::string resource;  // template over path parameters: `issues/{id}`
  bool body_args = false;  // top-level members of a JSON object body become arguments
  std::map<std::string, ArgType> arg_types;  // path/query arguments that are not strings
  // The body is forwarded without being decided: the operator's explicit choice (an upload,
  // say). A route with neither this nor `body_args` refuses a request that has a body.
  bool opaque_body = false;
};

// The routes of one system (one upstream), reached under `prefix` (default `/<name>`).
struct SystemRoutes {
  std::string name;
  std::string prefix;
  std::vector<Route> routes;
};

struct RouteMatch {
  std::string system;
  std::string action;
  std::string resource;
  boost::json::object args;     // path params, query params, body members (names never collide)
  std::string upstream_target;  // the target with the system prefix removed (`/issues/7?x=1`)
};

class RouteTable {
 public:
  // Validates every template (reason `config.route_invalid`): paths start with `/`, parameter
  // names are identifiers and unique, `{name*}` only last, resource placeholders name path
  // parameters, prefixes unique.
  [[nodiscard]] static Result<RouteTable> Build(std::vector<SystemRoutes> systems);

  // Maps one request. `body` is read only for routes with `body_args` (JSON object, at most
  // 1 MiB). Reasons: `route.target_invalid` (400: ambiguous target), `route.unknown` (no route),
  // `route.args_invalid` (argument of the wrong type, colliding names, body not a JSON object),
  // `route.body_undecided` (403: a body on a route with neither `body_args` nor `opaque_body`,
  // which would reach the upstream without being decided).
  [[nodiscard]] Result<RouteMatch> Match(std::string_view method, std::string_view target,
                                         std::string_view body = {}) const;

  // The system reached under `target`'s prefix, or nullptr.
  const SystemRoutes* SystemFor(std::string_view target) const;

  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;
  ~RouteTable();

 private:
  struct Compiled;
  explicit RouteTable(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;  // INVARIANT (immutable): never changed after Build
};

}  // namespace mandate::enforce
