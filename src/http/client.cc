#include "src/http/client.h"

#include <boost/asio/ssl/context.hpp>
#include <deque>
#include <map>
#include <mutex>

#include "src/http/internal/client_connection.h"
#include "src/http/internal/url.h"

namespace mandate::http {

using internal::Connection;
using internal::SteadyTime;

namespace {

SteadyTime DeadlineFrom(const ClientOptions& options) {
  return std::chrono::steady_clock::now() + options.timeout;
}

}  // namespace

Result<ClientResponse> Fetch(const ClientRequest& request, const ClientOptions& options) {
  auto url = internal::ParseUrl(request.url);
  if (!url) return Err(url.error());
  SteadyTime deadline = DeadlineFrom(options);
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (url->endpoint.tls) {
    auto ctx = internal::MakeClientTlsContext(options);
    if (!ctx) return Err(ctx.error());
    tls = *ctx;
  }
  auto connection = Connection::Open(url->endpoint, options, tls, deadline);
  if (!connection) return Err(connection.error());
  bool failed_before_response = false;
  return (*connection)->RoundTrip(request, url->target, deadline, &failed_before_response);
}

Result<ClientResponse> Get(std::string_view url, const ClientOptions& options) {
  ClientRequest request;
  request.url = std::string(url);
  return Fetch(request, options);
}

Result<ClientResponse> Post(std::string_view url, std::string body, std::string_view content_type,
                            const ClientOptions& options) {
  ClientRequest request;
  request.method = "POST";
  request.url = std::string(url);
  request.headers.emplace_back("Content-Type", std::string(content_type));
  request.body = std::move(body);
  return Fetch(request, options);
}

struct ClientPool::Impl {
  ClientOptions options;
  PoolOptions pool;
  std::once_flag tls_once;
  Result<std::shared_ptr<boost::asio::ssl::context>> tls = nullptr;
  mutable std::mutex mu;
  // Most recently used last.
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;  // GUARDED_BY(mu)
  size_t idle_count = 0;                                                // GUARDED_BY(mu)

  std::unique_ptr<Connection> TakeIdle(const std::string& key) {
    SteadyTime oldest_usable = std::chrono::steady_clock::now() - pool.max_idle_time;
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      std::unique_ptr<Connection> connection = std::move(list.back());
      list.pop_back();
      --idle_count;
      if (connection->idle_since() >= oldest_usable) return connection;
    }
    return nullptr;
  }

  void PutIdle(const std::string& key, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mu);
    auto& list = idle[key];
    if (list.size() >= pool.max_idle_per_upstream) {
      list.pop_front();
      --idle_count;
    }
    list.push_back(std::move(connection));
    ++idle_count;
  }
};

ClientPool::ClientPool(ClientOptions options, PoolOptions pool) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->pool = pool;
}

ClientPool::~ClientPool() = default;

const ClientOptions& ClientPool::options() const { return impl_->options; }

size_t ClientPool::IdleConnections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->idle_count;
}

Result<ClientResponse> ClientPool::Send(const ClientRequest& request) {
  Impl& d = *impl_;
  auto url = internal::ParseUrl(request.url);
  if (!url) return Err(url.error());
  SteadyTime deadline = DeadlineFrom(d.options);
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (url->endpoint.tls) {
    std::call_once(d.tls_once, [&d] { d.tls = internal::MakeClientTlsContext(d.options); });
    if (!d.tls) return Err(d.tls.error());
    tls = *d.tls;
  }
  std::string key = url->endpoint.Key();
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> connection = attempt == 0 ? d.TakeIdle(key) : nullptr;
    bool reused = connection != nullptr;
    if (!connection) {
      auto opened = Connection::Open(url->endpoint, d.options, tls, deadline);
      if (!opened) return Err(opened.error());
      connection = std::move(*opened);
    }
    bool failed_before_response = false;
    auto response = connection->RoundTrip(request, url->target, deadline, &failed_before_response);
    if (!response) {
      // A stale keep-alive connection closed by the upstream: try once on a fresh one.
      if (reused && failed_before_response &&
          response.error().code() != StatusCode::kDeadlineExceeded &&
          response.error().code() != StatusCode::kInvalidArgument) {
        continue;
      }
      return response;
    }
    if (connection->reusable()) d.PutIdle(key, std::move(connection));
    return response;
  }
  return Err(StatusCode::kUnavailable, "http.client.protocol", "unreachable retry state");
}

}  // namespace mandate::http
