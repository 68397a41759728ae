// Server-Sent Events end to end, TLS and mTLS, and the reverse-proxy helper.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "src/http/client.h"
#include "src/http/internal/test_util.h"
#include "src/http/proxy.h"
#include "src/http/server.h"

namespace mandate::http {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Server> StartServer(Router router, ServerOptions options = {}) {
  auto server = Server::Start(std::move(options), std::move(router));
  EXPECT_TRUE(server.has_value()) << server.error().ToString();
  return server ? std::move(*server) : nullptr;
}

// An event source with a numbered history: a subscriber resumes after Last-Event-ID.
class Feed {
 public:
  void Publish(std::string data) {
    std::vector<std::shared_ptr<EventStream>> streams;
    SseEvent event;
    {
      std::lock_guard lock(mu_);
      history_.push_back(std::move(data));
      event.id = std::to_string(history_.size());
      event.event = "revocation";
      event.data = history_.back();
      streams = streams_;
    }
    for (auto& stream : streams) stream->Send(event);
  }
  void Subscribe(const Request& request, Responder responder) {
    size_t after = 0;
    if (auto id = request.Header("Last-Event-ID")) after = std::stoul(std::string(*id));
    auto stream = responder.StartEvents();
    std::lock_guard lock(mu_);
    for (size_t i = after; i < history_.size(); ++i) {
      stream->Send(SseEvent{std::to_string(i + 1), "revocation", history_[i], std::nullopt});
    }
    streams_.push_back(stream);
  }
  void DropAll() {
    std::lock_guard lock(mu_);
    for (auto& s : streams_) s->Close();
    streams_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> history_;
  std::vector<std::shared_ptr<EventStream>> streams_;
};

// Collects events from an EventSubscription.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SseEvent> events;
  int connects = 0;
  int losses = 0;
  void Add(const SseEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
    cv.notify_all();
  }
  void State(bool connected) {
    std::lock_guard lock(mu);
    (connected ? connects : losses)++;
    cv.notify_all();
  }
  bool WaitFor(size_t count, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return events.size() >= count; });
  }
  bool WaitConnects(int count) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5000ms, [&] { return connects >= count; });
  }
};

TEST(EventStream, DeliversEventsResumesWithLastEventIdAndSendsHeartbeats) {
  Feed feed;
  Router router;
  ASSERT_TRUE(router
                  .AddAsync("GET", "/v1/revocations/stream",
                            [&](const Request& r, Responder responder) {
                              feed.Subscribe(r, std::move(responder));
                            })
                  .ok());
  ServerOptions options;
  options.sse_heartbeat = 200ms;
  auto server = StartServer(std::move(router), options);
  std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/v1/revocations/stream";
  feed.Publish("task t1");

  Collector collector;
  SubscriptionOptions sub;
  sub.reconnect_delay = 50ms;
  sub.read_idle = 1000ms;  // heartbeats (200 ms) keep a quiet stream alive
  EventSubscription subscription(
      url, sub, [&](const SseEvent& e) { collector.Add(e); },
      [&](bool connected, const Status&) { collector.State(connected); });
  subscription.Start();
  ASSERT_TRUE(collector.WaitFor(1));
  feed.Publish("task t2\nsecond line");
  ASSERT_TRUE(collector.WaitFor(2));
  std::this_thread::sleep_for(1500ms);  // quiet longer than read_idle: heartbeats hold it
  EXPECT_EQ(collector.connects, 1);

  feed.DropAll();  // the server ends every stream; the subscriber reconnects with id 2
  ASSERT_TRUE(collector.WaitConnects(2));
  feed.Publish("task t3");
  ASSERT_TRUE(collector.WaitFor(3));
  subscription.Stop();
  std::lock_guard lock(collector.mu);
  ASSERT_EQ(collector.events.size(), 3u);  // nothing replayed twice, nothing lost
  EXPECT_EQ(collector.events[0].id, "1");
  EXPECT_EQ(collector.events[0].data, "task t1");
  EXPECT_EQ(collector.events[1].data, "task t2\nsecond line");
  EXPECT_EQ(collector.events[1].event, "revocation");
  EXPECT_EQ(collector.events[2].id, "3");
  EXPECT_EQ(subscription.last_event_id(), "3");
}

TEST(EventStream, RawFramingIsChunkedEventStreamWithHeartbeat) {
  Feed feed;
  Router router;
  ASSERT_TRUE(router
                  .AddAsync("GET", "/s",
                            [&](const Request& r, Responder responder) {
                              feed.Subscribe(r, std::move(responder));
                            })
                  .ok());
  ServerOptions options;
  options.sse_heartbeat = 100ms;
  auto server = StartServer(std::move(router), options);
  testing::RawSocket socket(server->port());
  ASSERT_TRUE(socket.Send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string head = socket.ReadUntil(": keep-alive");
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_NE(head.find(": keep-alive\n\n"), std::string::npos) << head;
}

// Writes a CA, a server certificate for 127.0.0.1 and a client certificate with the openssl CLI.
class TlsFiles {
 public:
  TlsFiles() {
    dir_ =
        std::filesystem::temp_directory_path() / ("mandate-http-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string d = dir_.string();
    std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1\n";
    std::ofstream(d + "/client.ext") << "subjectAltName=URI:spiffe://example.org/agent\n";
    std::string script =
        "cd " + d + " && " +
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=test-ca -keyout ca.key -out ca.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=server "
        "-keyout server.key -out server.csr && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile san.ext -out server.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=agent "
        "-keyout client.key -out client.csr && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile client.ext -out client.pem";
    ok_ = std::system((script + " >/dev/null 2>&1").c_str()) == 0;
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string operator()(const char* name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

Router PeerRouter() {
  Router router;
  EXPECT_TRUE(router
                  .Add("GET", "/whoami",
                       [](const Request& r) {
                         const auto& info = r.connection();
                         return Response::Text(200,
                                               std::string(info.tls ? "tls" : "plain") + " " +
                                                   std::to_string(info.peer_certificates.size()));
                       })
                  .ok());
  return router;
}

TEST(Tls, ServesHttpsAndVerifiesTheServerByDefault) {
  TlsFiles files;
  ASSERT_TRUE(files.ok()) << "openssl CLI failed";
  ServerOptions options;
  options.tls = TlsOptions{files("server.pem"), files("server.key"), "", ClientAuth::kNone};
  auto server = StartServer(PeerRouter(), options);
  std::string url = "https://127.0.0.1:" + std::to_string(server->port()) + "/whoami";
  ClientOptions trusted;
  trusted.ca_file = files("ca.pem");
  auto response = Get(url, trusted);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->body, "tls 0");
  auto untrusted = Get(url);  // the system store does not know the test CA
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_EQ(untrusted.error().reason(), "http.client.tls");
  auto plain = Get("http://127.0.0.1:" + std::to_string(server->port()) + "/whoami");
  EXPECT_FALSE(plain.has_value());
}

TEST(Tls, MutualTlsExposesThePeerChainAndRejectsAnonymousClients) {
  TlsFiles files;
  ASSERT_TRUE(files.ok());
  ServerOptions options;
  options.tls =
      TlsOptions{files("server.pem"), files("server.key"), files("ca.pem"), ClientAuth::kRequired};
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/whoami",
                       [](const Request& r) {
                         const auto& chain = r.connection().peer_certificates;
                         const unsigned char* der =
                             chain.empty()
                                 ? nullptr
                                 : reinterpret_cast<const unsigned char*>(chain[0].data());
                         return Response::Text(200, std::to_string(chain.size()) + " " +
                                                        std::to_string(der ? der[0] : 0));
                       })
                  .ok());
  auto server = StartServer(std::move(router), options);
  std::string url = "https://127.0.0.1:" + std::to_string(server->port()) + "/whoami";
  ClientOptions with_cert;
  with_cert.ca_file = files("ca.pem");
  with_cert.client_cert_file = files("client.pem");
  with_cert.client_key_file = files("client.key");
  auto response = Get(url, with_cert);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  // The leaf (DER, a SEQUENCE: 0x30) first; OpenSSL clients may append the CA they chain to.
  EXPECT_TRUE(response->body == "1 48" || response->body == "2 48") << response->body;
  ClientOptions anonymous;
  anonymous.ca_file = files("ca.pem");
  auto refused = Get(url, anonymous);
  EXPECT_FALSE(refused.has_value());
}

TEST(Proxy, ForwardsWithHeaderHooksAndMapsUpstreamFailures) {
  Router upstream_router;
  ASSERT_TRUE(upstream_router
                  .Add("POST", "/api/{rest...}",
                       [](const Request& r) {
                         Response response = Response::Json(
                             201, "{\"path\":\"" + std::string(r.path()) + "\",\"key\":\"" +
                                      std::string(r.Header("X-Api-Key").value_or("")) +
                                      "\",\"agent\":\"" +
                                      std::string(r.Header("Authorization").value_or("")) +
                                      "\",\"body\":" + std::string(r.body()) + "}");
                         response.headers.emplace_back("X-Upstream-Secret", "s3cr3t");
                         return response;
                       })
                  .ok());
  auto upstream = StartServer(std::move(upstream_router));
  ClientPool pool;
  ProxyOptions proxy;
  proxy.upstream = "http://127.0.0.1:" + std::to_string(upstream->port()) + "/api";
  proxy.edit_request_headers = [](HeaderList& headers) {
    std::erase_if(headers,
                  [](const auto& h) { return EqualsIgnoreCase(h.first, "authorization"); });
    headers.emplace_back("X-Api-Key", "real-key");
  };
  proxy.edit_response_headers = [](HeaderList& headers) {
    std::erase_if(headers,
                  [](const auto& h) { return EqualsIgnoreCase(h.first, "x-upstream-secret"); });
  };
  Router gateway_router;
  ASSERT_TRUE(
      gateway_router
          .AddAsync("POST", "/gw/{rest...}",
                    [&](const Request& r, Responder responder) {
                      // Forward blocks: run it off the server thread.
                      std::thread([&pool, &proxy, &r, resp = std::move(responder)]() mutable {
                        std::string target = "/" + std::string(r.PathParam("rest"));
                        resp.Send(Forward(pool, r, proxy, target));
                      }).detach();
                    })
          .ok());
  auto gateway = StartServer(std::move(gateway_router));
  ClientRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(gateway->port()) + "/gw/v1/pay?x=1";
  request.headers = {{"Authorization", "DPoP agent-token"}, {"Content-Type", "application/json"}};
  request.body = "{\"amount\":5}";
  auto response = Fetch(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body,
            R"({"path":"/api/v1/pay","key":"real-key","agent":"","body":{"amount":5}})");
  EXPECT_FALSE(response->Header("X-Upstream-Secret").has_value());
  EXPECT_EQ(response->Header("Content-Type"), "application/json");

  upstream->Stop(0ms);
  auto down = Fetch(request);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->status, 502);
  EXPECT_EQ(down->body,
            R"({"error":{"code":"http.upstream_unavailable","message":"upstream unavailable"}})");
  gateway->Stop(1000ms);
}

}  // namespace
}  // namespace mandate::http
