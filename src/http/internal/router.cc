#include "src/http/internal/router.h"

#include <algorithm>
#include <iterator>

namespace mandate::http {

using internal::Route;
using internal::RouteMatch;

namespace {

Status RouteInvalid(std::string_view path_template, std::string_view why) {
  std::string message = "route `";
  message.append(path_template);
  message.append("`: ");
  message.append(why);
  return InvalidArgument("http.route_invalid", std::move(message));
}

// Splits "/a/b" into {"a","b"}; "/" into {}.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.size() <= 1) return out;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

const Route* FindMethod(const std::vector<std::unique_ptr<Route>>& routes,
                        std::string_view method) {
  for (const auto& route : routes) {
    if (route->method == method) return route.get();
  }
  if (method == "HEAD") return FindMethod(routes, "GET");
  return nullptr;
}

void AppendMethods(const std::vector<std::unique_ptr<Route>>& routes, std::string* out) {
  for (const auto& route : routes) {
    if (out->find(route->method) != std::string::npos) continue;
    if (!out->empty()) out->append(", ");
    out->append(route->method);
  }
}

// Walks the trie from `node` over the path from byte `pos` (just after a '/', or at the end).
bool MatchFrom(const Router::Impl::Node& node, std::string_view method, std::string_view path,
               size_t pos, bool at_end, RouteMatch* out) {
  if (at_end) {
    if (const Route* route = FindMethod(node.routes, method)) {
      out->route = route;
      return true;
    }
    AppendMethods(node.routes, &out->allowed_methods);
  } else {
    size_t slash = path.find('/', pos);
    bool last = slash == std::string_view::npos;
    std::string_view segment = path.substr(pos, last ? std::string_view::npos : slash - pos);
    size_t next = last ? path.size() : slash + 1;
    for (const auto& [literal, child] : node.literals) {
      if (literal == segment && MatchFrom(*child, method, path, next, last, out)) return true;
    }
    if (node.param && !segment.empty()) {
      out->raw_params.push_back(segment);
      if (MatchFrom(*node.param, method, path, next, last, out)) return true;
      out->raw_params.pop_back();
    }
  }
  if (!node.rest_routes.empty()) {
    if (const Route* route = FindMethod(node.rest_routes, method)) {
      out->raw_params.push_back(at_end ? std::string_view() : path.substr(pos));
      out->route = route;
      return true;
    }
    AppendMethods(node.rest_routes, &out->allowed_methods);
  }
  return false;
}

}  // namespace

Status Router::Impl::Add(std::string_view method, std::string_view path_template,
                         std::unique_ptr<Route> route) {
  if (method.empty() || !IsValidHeader(method, "")) {
    return RouteInvalid(path_template, "invalid method");
  }
  if (path_template.empty() || path_template.front() != '/') {
    return RouteInvalid(path_template, "must start with `/`");
  }
  route->method = std::string(method);
  route->path_template = std::string(path_template);
  Node* node = &root;
  std::vector<std::string_view> segments = Segments(path_template);
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view segment = segments[i];
    bool is_param = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
    if (!is_param) {
      if (segment.find_first_of("{}") != std::string_view::npos) {
        return RouteInvalid(path_template, "a parameter must be a whole segment");
      }
      auto it = std::find_if(node->literals.begin(), node->literals.end(),
                             [&](const auto& entry) { return entry.first == segment; });
      if (it == node->literals.end()) {
        node->literals.emplace_back(std::string(segment), std::make_unique<Node>());
        it = std::prev(node->literals.end());
      }
      node = it->second.get();
      continue;
    }
    std::string_view name = segment.substr(1, segment.size() - 2);
    bool rest = name.size() > 3 && name.substr(name.size() - 3) == "...";
    if (rest) name.remove_suffix(3);
    if (name.empty() || name.find_first_of("{}./") != std::string_view::npos) {
      return RouteInvalid(path_template, "invalid parameter name");
    }
    for (const auto& existing : route->param_names) {
      if (existing == name) return RouteInvalid(path_template, "repeated parameter name");
    }
    route->param_names.emplace_back(name);
    if (rest) {
      if (i + 1 != segments.size()) {
        return RouteInvalid(path_template, "`{name...}` must be the last segment");
      }
      for (const auto& r : node->rest_routes) {
        if (r->method == method) return RouteInvalid(path_template, "duplicate route");
      }
      node->rest_routes.push_back(std::move(route));
      return Status();
    }
    if (!node->param) node->param = std::make_unique<Node>();
    node = node->param.get();
  }
  for (const auto& r : node->routes) {
    if (r->method == method) return RouteInvalid(path_template, "duplicate route");
  }
  node->routes.push_back(std::move(route));
  return Status();
}

bool Router::Impl::Match(std::string_view method, std::string_view path, RouteMatch* out) const {
  out->Clear();
  if (path.empty() || path.front() != '/') return false;
  return MatchFrom(root, method, path, 1, path.size() == 1, out);
}

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

Status Router::Add(std::string_view method, std::string_view path_template, Handler h) {
  auto route = std::make_unique<Route>();
  route->handler = std::move(h);
  return impl_->Add(method, path_template, std::move(route));
}

Status Router::AddAsync(std::string_view method, std::string_view path_template, AsyncHandler h) {
  auto route = std::make_unique<Route>();
  route->async_handler = std::move(h);
  return impl_->Add(method, path_template, std::move(route));
}

void Router::SetFallback(AsyncHandler h) { impl_->fallback = std::move(h); }

}  // namespace mandate::http
