#include "src/enforce/internal/listener.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <iostream>
#include <thread>

#include "src/http/proxy.h"

namespace mandate::enforce::internal {
namespace {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
};

Result<Endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Err(StatusCode::kInvalidArgument, "config.invalid", "listen must be HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) return Err(StatusCode::kInvalidArgument, "config.invalid", "listen host must be an IP");
  std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return Err(StatusCode::kInvalidArgument, "config.invalid", "listen port must be 0-65535");
  }
  return Endpoint{host, static_cast<uint16_t>(std::stoi(port_text))};
}

}  // namespace

http::Response MakeResponse(int status, http::HeaderList headers, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type.clear();
  response.body = std::move(body);
  // Views the Connection header's value, which the loop below never moves (it is hop-by-hop).
  const std::string_view connection = http::FindHeader(headers, "connection").value_or("");
  response.headers.reserve(headers.size());
  for (auto& [name, value] : headers) {
    if (http::IsHopByHopHeader(name, connection) || !http::IsValidHeader(name, value)) continue;
    if (http::EqualsIgnoreCase(name, "content-type")) {
      response.content_type = std::move(value);
      continue;
    }
    response.headers.emplace_back(std::move(name), std::move(value));
  }
  return response;
}

Status RunListener(const ListenerOptions& options, const std::atomic<bool>& stop,
                   const Handler& handler) {
  boost::asio::thread_pool pool(static_cast<size_t>(std::max(1, options.handler_threads)));
  Status status = RunAsyncListener(
      options, stop, [&pool, &handler](const http::Request& request, http::Responder responder) {
        // A Request is a view whose state lives until the responder answers (src/http/server.h).
        boost::asio::post(pool, [&handler, request, r = std::move(responder)]() mutable {
          r.Send(handler(request));
        });
      });
  pool.join();
  return status;
}

Status RunAsyncListener(const ListenerOptions& options, const std::atomic<bool>& stop,
                        const http::AsyncHandler& handler) {
  auto endpoint = ParseListen(options.listen);
  if (!endpoint) return endpoint.error();
  http::Router router;
  router.SetFallback(handler);
  http::ServerOptions server_options;
  server_options.host = endpoint->host;
  server_options.port = endpoint->port;
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.threads = std::max(1, options.server_threads);
  server_options.tls = options.tls;
  auto server = http::Server::Start(server_options, std::move(router));
  if (!server) return server.error();
  std::cout << options.banner << " listening on " << (options.tls ? "https://" : "http://")
            << (endpoint->host.find(':') == std::string::npos ? endpoint->host
                                                              : "[" + endpoint->host + "]")
            << ":" << (*server)->port() << std::endl;
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*server)->Stop(std::chrono::milliseconds(2'000));
  return Status();
}

}  // namespace mandate::enforce::internal
