#include "src/enforce/internal/listener.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <thread>

namespace mandate::enforce::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

void Write(tcp::socket& socket, unsigned version, bool keep_alive, Reply reply,
           beast::error_code& ec) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), version};
  for (const auto& [name, value] : reply.headers) {
    if (!IsHopByHopHeader(name) && http::IsValidHeader(name, value)) res.insert(name, value);
  }
  res.body() = std::move(reply.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  bhttp::write(socket, res, ec);
}

void Serve(tcp::socket socket, const ListenerOptions& options, const Handler& handler) {
  timeval tv{60, 0};  // idle keep-alive connections are closed after a minute
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  while (true) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(32 * 1024);
    parser.body_limit(options.max_body_bytes);
    bhttp::read(socket, buffer, parser, ec);
    bool parse_error = ec && ec != bhttp::error::end_of_stream &&
                       ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category();
    if (parse_error) {
      bool too_large = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit;
      Write(socket, 11, false,
            {too_large ? 413 : 400,
             {{"Content-Type", "application/json"}},
             http::ErrorJson(too_large ? "request.too_large" : "request.malformed",
                             too_large ? "the request is too large" : "the request is malformed")},
            ec);
      return;
    }
    if (ec) return;  // closed, reset or idle
    auto& req = parser.get();
    InboundRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(req.body());
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    Write(socket, version, keep_alive, handler(request), ec);
    if (ec || !keep_alive) return;
  }
}

Result<tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Err(StatusCode::kInvalidArgument, "config.invalid", "listen must be HOST:PORT");
  }
  beast::error_code ec;
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Err(StatusCode::kInvalidArgument, "config.invalid", "listen host must be an IP");
  std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return Err(StatusCode::kInvalidArgument, "config.invalid", "listen port must be 0-65535");
  }
  return tcp::endpoint(address, static_cast<uint16_t>(std::stoi(port_text)));
}

}  // namespace

bool IsHopByHopHeader(std::string_view name) {
  for (std::string_view h : {"connection", "keep-alive", "transfer-encoding", "content-length",
                             "upgrade", "proxy-connection", "trailer", "te"}) {
    if (http::EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

Status RunListener(const ListenerOptions& options, const std::atomic<bool>& stop,
                   const Handler& handler) {
  auto endpoint = ParseListen(options.listen);
  if (!endpoint) return endpoint.error();
  asio::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable, "listen.failed",
                  "cannot listen on `" + options.listen + "`: " + ec.message());
  }
  auto bound = acceptor.local_endpoint();
  std::cout << options.banner << " listening on http://" << bound.address().to_string() << ":"
            << bound.port() << std::endl;

  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code aec, tcp::socket socket) {
      if (aec) return;
      std::thread([s = std::move(socket), &options, &handler]() mutable {
        Serve(std::move(s), options, handler);
      }).detach();
      accept();
    });
  };
  accept();
  asio::steady_timer timer(io);
  std::function<void()> watch = [&] {
    timer.expires_after(std::chrono::milliseconds(100));
    timer.async_wait([&](beast::error_code) {
      if (stop.load()) {
        acceptor.close();
        return;
      }
      watch();
    });
  };
  watch();
  io.run();
  // Connection threads are detached and reference this frame: leave rather than unwind.
  std::cout.flush();
  std::_Exit(0);
}

}  // namespace mandate::enforce::internal
