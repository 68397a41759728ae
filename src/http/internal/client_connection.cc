#include "src/http/internal/client_connection.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace mandate::http::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

Status ErrorStatus(const beast::error_code& ec, std::string_view what, const Endpoint& endpoint) {
  return ClientErrorStatus(ec, what, endpoint.Key());
}

// Copies a Beast response head into the public type.
template <class Fields>
void CopyHead(const bhttp::response_header<Fields>& head, ClientResponse& out) {
  out.status = static_cast<int>(head.result_int());
  out.headers.clear();
  for (const auto& field : head) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

}  // namespace

Status ClientErrorStatus(const boost::system::error_code& ec, std::string_view what,
                         std::string_view endpoint) {
  std::string text = std::string(what) + " " + std::string(endpoint) + ": ";
  if (ec == beast::error::timeout || ec == asio::error::timed_out) {
    return {StatusCode::kDeadlineExceeded, "http.client.timeout", text + "timed out"};
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
      ec == bhttp::error::buffer_overflow) {
    return {StatusCode::kResourceExhausted, "http.client.too_large",
            text + "response too large: " + ec.message()};
  }
  const bool connecting = what == "connect" || what == "resolve";
  return {StatusCode::kUnavailable, connecting ? "http.client.connect" : "http.client.protocol",
          text + ec.message()};
}

Result<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(const ClientOptions& options) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1,
                   ec);
  if (options.verify_peer) {
    ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    if (!options.ca_file.empty()) {
      ctx->load_verify_file(options.ca_file, ec);
      if (ec) {
        return Err(InvalidArgument("http.client.tls",
                                   "ca file `" + options.ca_file + "`: " + ec.message()));
      }
    } else {
      ctx->set_default_verify_paths(ec);
    }
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (!options.client_cert_file.empty()) {
    ctx->use_certificate_chain_file(options.client_cert_file, ec);
    if (!ec) ctx->use_private_key_file(options.client_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return Err(InvalidArgument(
          "http.client.tls",
          "client certificate `" + options.client_cert_file + "`: " + ec.message()));
    }
  }
  return ctx;
}

struct Connection::Impl {
  asio::io_context ioc{1};
  Endpoint endpoint;
  ClientOptions options;
  std::optional<beast::tcp_stream> tcp;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }

  // The completion handler of every operation: one type, so an operation used in several
  // places (a request's write, a connect) is instantiated once, not per call site.
  struct Done {
    beast::error_code* result;
    void operator()(beast::error_code ec, std::size_t = 0) const { *result = ec; }
    template <class Endpoint>
    void operator()(beast::error_code ec, const Endpoint&) const {
      *result = ec;
    }
  };

  // Runs the io_context until the operation started by `start` completes.
  template <class Start>
  beast::error_code Run(Start&& start) {
    beast::error_code result;
    start(Done{&result});
    ioc.restart();
    ioc.run();
    return result;
  }

  template <class F>
  auto WithStream(F&& f) {
    if (tls) return f(*tls);
    return f(*tcp);
  }

  bhttp::request<bhttp::string_body> BuildRequest(const ClientRequest& request,
                                                  std::string_view target, Status* error) {
    bhttp::request<bhttp::string_body> req;
    bhttp::verb verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
      if (!IsValidHeader(request.method, "")) {
        *error =
            InvalidArgument("http.client.bad_header", "invalid method `" + request.method + "`");
        return req;
      }
      req.method_string(request.method);
    } else {
      req.method(verb);
    }
    req.target(target);
    req.version(11);
    bool has_host = false;
    for (const auto& [name, value] : request.headers) {
      if (!IsValidHeader(name, value)) {
        *error = InvalidArgument("http.client.bad_header", "invalid header `" + name + "`");
        return req;
      }
      if (EqualsIgnoreCase(name, "host")) has_host = true;
      if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding")) {
        continue;  // framing is ours
      }
      req.insert(name, value);
    }
    if (!has_host) req.set(bhttp::field::host, endpoint.HostHeader());
    if (req.find(bhttp::field::user_agent) == req.end())
      req.set(bhttp::field::user_agent, "mandate");
    req.body() = request.body;
    req.prepare_payload();
    return req;
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const Endpoint& endpoint,
                                                     const ClientOptions& options,
                                                     std::shared_ptr<asio::ssl::context> tls,
                                                     SteadyTime deadline) {
  auto impl = std::make_unique<Impl>();
  impl->endpoint = endpoint;
  impl->options = options;
  tcp::resolver resolver(impl->ioc);
  tcp::resolver::results_type endpoints;
  beast::error_code ec;
  bool resolved = false;
  resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                           resolved = true;
                         });
  impl->ioc.run_until(deadline);
  if (!resolved) {
    resolver.cancel();
    impl->ioc.restart();
    impl->ioc.run();
    return Err(StatusCode::kDeadlineExceeded, "http.client.timeout",
               "resolve " + endpoint.Key() + ": timed out");
  }
  if (ec) {
    return Err(StatusCode::kUnavailable, "http.client.connect",
               "resolve " + endpoint.Key() + ": " + ec.message());
  }
  if (endpoint.tls) {
    if (!tls) return Err(Internal("http.client.tls", "no tls context"));
    impl->tls.emplace(impl->ioc, *tls);
  } else {
    impl->tcp.emplace(impl->ioc);
  }
  impl->lowest().expires_at(deadline);
  ec = impl->Run([&](auto handler) { impl->lowest().async_connect(endpoints, handler); });
  if (ec) return Err(ErrorStatus(ec, "connect", endpoint));
  impl->lowest().socket().set_option(tcp::no_delay(true), ec);
  if (endpoint.tls) {
    SSL* ssl = impl->tls->native_handle();
    beast::error_code addr_ec;
    asio::ip::make_address(endpoint.host, addr_ec);
    if (addr_ec) SSL_set_tlsext_host_name(ssl, endpoint.host.c_str());  // SNI for names only
    if (options.verify_peer) {
      impl->tls->set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
    }
    ec = impl->Run(
        [&](auto handler) { impl->tls->async_handshake(asio::ssl::stream_base::client, handler); });
    if (ec) {
      if (ec == beast::error::timeout) return Err(ErrorStatus(ec, "tls handshake", endpoint));
      return Err(StatusCode::kUnavailable, "http.client.tls",
                 "tls handshake " + endpoint.Key() + ": " + ec.message());
    }
  }
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<ClientResponse> Connection::RoundTrip(const ClientRequest& request, std::string_view target,
                                             SteadyTime deadline, bool* failed_before_response) {
  reusable_ = false;
  *failed_before_response = true;
  Impl& d = *impl_;
  Status error;
  auto req = d.BuildRequest(request, target, &error);
  if (!error.ok()) return Err(error);
  d.lowest().expires_at(deadline);
  beast::error_code ec = d.WithStream([&](auto& stream) {
    return d.Run([&](auto handler) { bhttp::async_write(stream, req, handler); });
  });
  if (ec) return Err(ErrorStatus(ec, "write", d.endpoint));

  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.body_limit(d.options.max_response_body);
  parser.header_limit(static_cast<uint32_t>(d.options.max_response_header));
  if (req.method() == bhttp::verb::head) parser.skip(true);
  ec = d.WithStream([&](auto& stream) {
    return d.Run([&](auto handler) { bhttp::async_read(stream, d.buffer, parser, handler); });
  });
  *failed_before_response = !parser.got_some();
  if (ec) return Err(ErrorStatus(ec, "read", d.endpoint));
  ClientResponse response;
  auto& message = parser.get();
  CopyHead(message.base(), response);
  response.body = std::move(message.body());
  reusable_ = message.keep_alive() && !parser.need_eof();
  idle_since_ = std::chrono::steady_clock::now();
  return response;
}

Status Connection::Stream(const ClientRequest& request, std::string_view target,
                          SteadyTime deadline, std::chrono::milliseconds read_idle,
                          const std::function<bool(const ClientResponse&)>& on_head,
                          const std::function<bool(std::string_view)>& on_body) {
  reusable_ = false;
  Impl& d = *impl_;
  Status error;
  auto req = d.BuildRequest(request, target, &error);
  if (!error.ok()) return error;
  d.lowest().expires_at(deadline);
  beast::error_code ec = d.WithStream([&](auto& stream) {
    return d.Run([&](auto handler) { bhttp::async_write(stream, req, handler); });
  });
  if (ec) return ErrorStatus(ec, "write", d.endpoint);
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(static_cast<uint32_t>(d.options.max_response_header));
  ec = d.WithStream([&](auto& stream) {
    return d.Run(
        [&](auto handler) { bhttp::async_read_header(stream, d.buffer, parser, handler); });
  });
  if (ec) return ErrorStatus(ec, "read", d.endpoint);
  ClientResponse head;
  CopyHead(parser.get().base(), head);
  if (!on_head(head)) return Status();
  char chunk[8192];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    d.lowest().expires_after(read_idle);
    ec = d.WithStream([&](auto& stream) {
      return d.Run(
          [&](auto handler) { bhttp::async_read_some(stream, d.buffer, parser, handler); });
    });
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return ErrorStatus(ec, "read", d.endpoint);
    size_t got = sizeof(chunk) - parser.get().body().size;
    if (got > 0 && !on_body(std::string_view(chunk, got))) return Status();
  }
  return Status();
}

void Connection::Cancel() {
  Impl* d = impl_.get();
  asio::post(d->ioc, [d] {
    beast::error_code ec;
    d->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    d->lowest().close();
  });
}

}  // namespace mandate::http::internal
