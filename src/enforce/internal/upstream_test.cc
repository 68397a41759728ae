#include "src/enforce/internal/upstream.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "src/http/server.h"

namespace mandate::enforce::internal {
namespace {

// An upstream answering with the id of the connection it came on, so reuse is visible.
struct Upstream {
  explicit Upstream(http::ServerOptions options = {}) : tls(options.tls.has_value()) {
    http::Router router;
    EXPECT_TRUE(router
                    .Add("GET", "/conn",
                         [](const http::Request& r) {
                           return http::Response::Text(200, std::to_string(r.connection().id));
                         })
                    .ok());
    EXPECT_TRUE(router
                    .Add("GET", "/big",
                         [](const http::Request&) {
                           return http::Response::Text(200, std::string(1000, 'x'));
                         })
                    .ok());
    // What framing and identity headers arrived, and the body.
    for (const char* method : {"GET", "POST"}) {
      EXPECT_TRUE(router
                      .Add(method, "/echo",
                           [](const http::Request& r) {
                             auto h = [&](const char* name) {
                               return std::string(r.Header(name).value_or("-"));
                             };
                             return http::Response::Text(
                                 200, std::string(r.method()) + "|" + h("content-length") + "|" +
                                          h("transfer-encoding") + "|" + h("host") + "|" +
                                          h("user-agent") + "|" + h("x-a") + "|" +
                                          std::string(r.body()));
                           })
                      .ok());
    }
    EXPECT_TRUE(router
                    .AddAsync("GET", "/slow",
                              [this](const http::Request&, http::Responder r) {
                                std::lock_guard lock(mu);
                                held.push_back(std::move(r));  // answered when the test ends
                              })
                    .ok());
    auto started = http::Server::Start(options, std::move(router));
    if (!started) ADD_FAILURE() << started.error().ToString();
    server = std::move(started.value());
  }
  ~Upstream() {
    {
      std::lock_guard lock(mu);
      for (auto& r : held) r.Send(http::Response::NoContent());
    }
    server->Stop(std::chrono::milliseconds(500));
  }
  std::string Url(std::string_view path) const {
    return (tls ? "https" : "http") + std::string("://127.0.0.1:") +
           std::to_string(server->port()) + std::string(path);
  }
  bool tls;
  std::unique_ptr<http::Server> server;
  std::mutex mu;
  std::vector<http::Responder> held;
};

// The reason of a failed exchange, as a string that outlives the Result ("" on success).
std::string ReasonOf(const Result<http::ClientResponse>& r) {
  return r ? std::string() : std::string(r.error().reason());
}

Result<http::ClientResponse> SendAndWait(UpstreamClient& client, boost::asio::io_context& ioc,
                                         http::ClientRequest request) {
  std::optional<Result<http::ClientResponse>> answer;
  client.Send(ioc, request, [&answer](Result<http::ClientResponse> r) { answer = std::move(r); });
  ioc.restart();
  while (!answer && ioc.run_one() > 0) {
  }
  if (!answer) return Err(Internal("test", "no answer"));
  return std::move(*answer);
}

Result<http::ClientResponse> SendAndWait(UpstreamClient& client, boost::asio::io_context& ioc,
                                         const std::string& url, http::HeaderList headers = {}) {
  http::ClientRequest request;
  request.url = url;
  request.headers = std::move(headers);
  return SendAndWait(client, ioc, std::move(request));
}

// The gateway writes the request bytes itself: framing is its own whatever the caller sent,
// Host and User-Agent are added only when absent, headers pass in order.
TEST(UpstreamClient, FramesTheRequestItself) {
  Upstream upstream;
  boost::asio::io_context ioc;
  UpstreamClient client({});
  const std::string host = "127.0.0.1:" + std::to_string(upstream.server->port());
  http::ClientRequest post{
      "POST",
      upstream.Url("/echo"),
      {{"Content-Length", "99"}, {"Transfer-Encoding", "chunked"}, {"X-A", "1"}},
      "hello"};
  auto posted = SendAndWait(client, ioc, post);
  ASSERT_TRUE(posted.has_value()) << posted.error().ToString();
  EXPECT_EQ(posted->body, "POST|5|-|" + host + "|mandate|1|hello");
  http::ClientRequest empty_post{"POST", upstream.Url("/echo"), {}, ""};
  EXPECT_EQ(SendAndWait(client, ioc, empty_post)->body, "POST|0|-|" + host + "|mandate|-|");
  auto got = SendAndWait(client, ioc, upstream.Url("/echo"),
                         {{"Host", "tools.example"}, {"User-Agent", "agent/1"}});
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(got->body, "GET|-|-|tools.example|agent/1|-|");
  http::ClientRequest trace{"TRACE", upstream.Url("/echo"), {}, "body"};
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, trace)), "http.client.bad_header");
  http::ClientRequest bad_method{"GE T", upstream.Url("/echo"), {}, ""};
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, bad_method)), "http.client.bad_header");
}

// Each origin is parsed once and remembered; every target is still vetted, and what the fast
// split does not vouch for is parsed whole, as before.
TEST(UpstreamClient, ParsesAnOriginOnceAndVetsEveryTarget) {
  Upstream upstream;
  boost::asio::io_context ioc;
  UpstreamClient client({});
  auto body = [&](const std::string& url) {
    auto r = SendAndWait(client, ioc, url);
    return r ? r->body.substr(0, r->body.find('|')) : std::string(r.error().reason());
  };
  EXPECT_EQ(body(upstream.Url("/echo")), "GET");
  EXPECT_EQ(body(upstream.Url("/echo?x=1&y=%20")), "GET");
  EXPECT_EQ(body(upstream.Url("/echo#fragment")), "GET");
  EXPECT_EQ(body(upstream.Url("/echo x")), "http.client.bad_url");
  EXPECT_EQ(body(upstream.Url("/echo\r\nX-Injected: 1")), "http.client.bad_url");
  EXPECT_EQ(body(upstream.Url("/echo%2")), "http.client.bad_url");
  EXPECT_EQ(body(upstream.Url("ab/echo")), "http.client.bad_url");  // `:PORTab`: not a port
  auto query_only = SendAndWait(client, ioc, upstream.Url("?x=1"));
  ASSERT_TRUE(query_only.has_value()) << query_only.error().ToString();
  EXPECT_EQ(query_only->status, 404);  // sent as `/?x=1`, which the upstream has no route for
}

TEST(UpstreamClient, ReusesTheKeepAliveConnection) {
  Upstream upstream;
  boost::asio::io_context ioc;
  UpstreamClient client({});
  auto first = SendAndWait(client, ioc, upstream.Url("/conn"));
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->status, 200);
  auto second = SendAndWait(client, ioc, upstream.Url("/conn"));
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(second->body, first->body);
}

TEST(UpstreamClient, RetriesOnceWhenTheUpstreamClosedTheIdleConnection) {
  http::ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(50);
  Upstream upstream(options);
  boost::asio::io_context ioc;
  UpstreamClient client({});
  auto first = SendAndWait(client, ioc, upstream.Url("/conn"));
  ASSERT_TRUE(first.has_value());
  // The server's sweep closes the idle connection; the client only learns it on the next use.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto second = SendAndWait(client, ioc, upstream.Url("/conn"));
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(second->status, 200);
  EXPECT_NE(second->body, first->body);
}

// An upstream that answers each connection's request with `answer`, sent in `pieces` writes,
// then closes: to see how answers that arrive in parts, or end with the stream, are read.
struct RawUpstream {
  RawUpstream(std::string answer, size_t pieces) {
    thread = std::thread([this, answer = std::move(answer), pieces] {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(ioc);
      acceptor.accept(socket, ec);
      if (ec) return;
      boost::asio::streambuf request;
      boost::asio::read_until(socket, request, "\r\n\r\n", ec);
      const size_t step = (answer.size() + pieces - 1) / pieces;
      for (size_t at = 0; at < answer.size() && !ec; at += step) {
        boost::asio::write(socket, boost::asio::buffer(answer.substr(at, step)), ec);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      socket.close(ec);
    });
  }
  ~RawUpstream() { thread.join(); }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/x";
  }
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor{
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  std::thread thread;
};

TEST(UpstreamClient, ReadsAnswersInPiecesAndToTheEndOfTheStream) {
  boost::asio::io_context ioc;
  UpstreamClient client({});
  {
    RawUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world", 7);
    auto r = SendAndWait(client, ioc, upstream.Url());
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->body, "hello world");
  }
  {
    RawUpstream upstream("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", 3);
    auto r = SendAndWait(client, ioc, upstream.Url());
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->body, "until the end");
  }
  {
    RawUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 2);
    EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, upstream.Url())), "http.client.protocol");
  }
  {
    RawUpstream upstream("HTTP/1.1 200 OK\r\nContent-Le", 1);  // cut in the header
    EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, upstream.Url())), "http.client.protocol");
  }
}

TEST(UpstreamClient, NamesWhatFailed) {
  Upstream upstream;
  boost::asio::io_context ioc;
  http::ClientOptions options;
  options.timeout = std::chrono::milliseconds(200);
  options.max_response_body = 100;
  UpstreamClient client(options);
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, upstream.Url("/big"))), "http.client.too_large");
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, upstream.Url("/slow"))), "http.client.timeout");
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, upstream.Url("/conn"), {{"X-Bad", "a\r\nb"}})),
            "http.client.bad_header");
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, "ftp://127.0.0.1/")), "http.client.bad_url");
  // A port nobody listens on: the upstream's own port once it is stopped.
  const std::string gone = upstream.Url("/conn");
  upstream.server->Stop(std::chrono::milliseconds(0));
  EXPECT_EQ(ReasonOf(SendAndWait(client, ioc, gone)), "http.client.connect");
}

// Upstreams are often https: the certificate is verified (here against a self-signed one made
// with the openssl CLI, valid for 127.0.0.1) and the TLS connection is kept alive too.
TEST(UpstreamClient, SpeaksTlsAndVerifiesTheUpstream) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mandate-upstream-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-days 1 -subj /CN=upstream -addext subjectAltName=IP:127.0.0.1 -keyout " +
                         d + "/key.pem -out " + d + "/cert.pem >/dev/null 2>&1")
                            .c_str()),
            0);
  http::ServerOptions options;
  options.tls = http::TlsOptions{d + "/cert.pem", d + "/key.pem", "", http::ClientAuth::kNone};
  {
    Upstream upstream(options);
    boost::asio::io_context ioc;
    http::ClientOptions trusting;
    trusting.ca_file = d + "/cert.pem";
    UpstreamClient client(trusting);
    auto first = SendAndWait(client, ioc, upstream.Url("/conn"));
    ASSERT_TRUE(first.has_value()) << first.error().ToString();
    auto second = SendAndWait(client, ioc, upstream.Url("/conn"));
    ASSERT_TRUE(second.has_value()) << second.error().ToString();
    EXPECT_EQ(second->body, first->body);
    UpstreamClient default_trust({});  // the system store does not know this certificate
    EXPECT_EQ(ReasonOf(SendAndWait(default_trust, ioc, upstream.Url("/conn"))), "http.client.tls");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mandate::enforce::internal
