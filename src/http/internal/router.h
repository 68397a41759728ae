// The router's trie. Thread-safety: built single-threaded, then matched concurrently read-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/http/server.h"

namespace mandate::http::internal {

struct Route {
  std::string method;
  std::string path_template;
  std::vector<std::string> param_names;  // in template order; a rest parameter last
  Handler handler;                       // exactly one of handler / async_handler is set
  AsyncHandler async_handler;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<std::string_view> raw_params;  // percent-encoded, in template order
  std::string allowed_methods;               // "GET, POST" when only the method mismatched
  void Clear() {
    route = nullptr;
    raw_params.clear();
    allowed_methods.clear();
  }
};

}  // namespace mandate::http::internal

namespace mandate::http {

struct Router::Impl {
  struct Node {
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
    std::unique_ptr<Node> param;
    std::vector<std::unique_ptr<internal::Route>> routes;       // ending here
    std::vector<std::unique_ptr<internal::Route>> rest_routes;  // `{name...}` here
  };
  Node root;
  AsyncHandler fallback;

  Status Add(std::string_view method, std::string_view path_template,
             std::unique_ptr<internal::Route> route);
  // Finds the route for (method, path); HEAD falls back to GET. False when nothing matched;
  // then `allowed_methods` is set if the path matched under other methods.
  bool Match(std::string_view method, std::string_view path, internal::RouteMatch* out) const;
};

}  // namespace mandate::http
