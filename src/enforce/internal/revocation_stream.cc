#include "src/enforce/internal/revocation_stream.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <iostream>
#include <thread>

#include "src/enforce/internal/sse.h"

namespace mandate::enforce::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct Target {
  std::string host;
  std::string port;
};

bool ParseAuthority(const std::string& url, Target& out) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) return false;
  out.host = std::string(parsed->host());
  out.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  return true;
}

// One connection: returns when the stream ends, fails, goes silent, or `stop` is set.
void StreamOnce(RevocationFeed& feed, const RevocationStreamOptions& options, const Target& target,
                const std::atomic<bool>& stop) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(target.host, target.port, ec);
  if (ec) return;
  asio::connect(socket, endpoints, ec);
  if (ec) return;
  // Short receive timeout so `stop` and silence are noticed.
  timeval tv{0, 250'000};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  socket.set_option(tcp::no_delay(true), ec);

  beast::http::request<beast::http::empty_body> req{beast::http::verb::get,
                                                    "/v1/revocations/stream", 11};
  req.set(beast::http::field::host, target.host + ":" + target.port);
  req.set(beast::http::field::authorization, "Bearer " + options.ep_token);
  req.set(beast::http::field::accept, "text/event-stream");
  if (int64_t last = feed.last_event_id(); last > 0) req.set("Last-Event-ID", std::to_string(last));
  beast::http::write(socket, req, ec);
  if (ec) return;

  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::buffer_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(16 * 1024);
  auto last_activity = std::chrono::steady_clock::now();
  auto idle = [&] {
    return std::chrono::steady_clock::now() - last_activity > options.idle_timeout;
  };
  while (!parser.is_header_done()) {
    beast::http::read_header(socket, buffer, parser, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      if (stop.load() || idle()) return;
      ec = {};
      continue;
    }
    if (ec) return;
  }
  if (parser.get().result_int() != 200) {
    std::cerr << "mandate: revocation stream refused: http " << parser.get().result_int() << "\n";
    return;
  }
  feed.OnConnected();
  SseParser sse;
  char chunk[8192];
  while (!stop.load()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    beast::http::read_some(socket, buffer, parser, ec);
    if (ec == beast::http::error::need_buffer) ec = {};
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      if (idle()) break;
      ec = {};
      continue;
    }
    if (ec) break;
    size_t got = sizeof(chunk) - parser.get().body().size;
    if (got > 0) last_activity = std::chrono::steady_clock::now();
    Status status = sse.Feed(std::string_view(chunk, got), [&](const SseEvent& event) {
      Status applied = feed.OnEvent(event.type, event.id, event.data);
      if (!applied.ok()) std::cerr << "mandate: revocation event: " << applied.ToString() << "\n";
    });
    if (!status.ok() || parser.is_done()) break;
  }
  feed.OnDisconnected();
}

}  // namespace

void RunRevocationStream(RevocationFeed& feed, const RevocationStreamOptions& options,
                         const std::atomic<bool>& stop) {
  Target target;
  if (!ParseAuthority(options.authority_url, target)) {
    std::cerr << "mandate: revocation stream: authority must be an http:// URL\n";
    return;
  }
  while (!stop.load()) {
    StreamOnce(feed, options, target, stop);
    if (stop.load()) break;
    std::this_thread::sleep_for(options.reconnect_delay);
  }
}

}  // namespace mandate::enforce::internal
