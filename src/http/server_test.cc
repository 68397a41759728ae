#include "src/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "src/http/client.h"
#include "src/http/internal/test_util.h"

namespace mandate::http {
namespace {

using namespace std::chrono_literals;
using testing::RawSocket;

std::unique_ptr<Server> StartServer(Router router, ServerOptions options = {}) {
  auto server = Server::Start(std::move(options), std::move(router));
  EXPECT_TRUE(server.has_value()) << server.error().ToString();
  return server ? std::move(*server) : nullptr;
}

std::string Url(const Server& server, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

Router TaskRouter() {
  Router router;
  EXPECT_TRUE(router
                  .Add("POST", "/v1/tasks/{id}/complete",
                       [](const Request& request) {
                         return Response::Json(
                             200, "{\"task\":\"" + std::string(request.PathParam("id")) +
                                      "\",\"body\":" + std::string(request.body()) + "}");
                       })
                  .ok());
  EXPECT_TRUE(router
                  .Add("GET", "/echo",
                       [](const Request& request) {
                         Response response = Response::Text(
                             200, request.QueryParam("q").value_or("<none>") + "|" +
                                      std::string(request.Header("X-Probe").value_or("")) + "|" +
                                      std::to_string(request.connection().id));
                         return response;
                       })
                  .ok());
  return router;
}

TEST(Server, BindsPortZeroAndRoutesPathTemplates) {
  auto server = StartServer(TaskRouter());
  ASSERT_TRUE(server);
  EXPECT_NE(server->port(), 0);
  auto response =
      Post(Url(*server, "/v1/tasks/t%2D1/complete"), "{\"ok\":true}", "application/json");
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"task":"t-1","body":{"ok":true}})");
  EXPECT_EQ(response->Header("content-type"), "application/json");
}

TEST(Server, AnswersJsonErrorsForUnknownPathsAndMethods) {
  auto server = StartServer(TaskRouter());
  auto missing = Get(Url(*server, "/v1/nope"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body,
            R"({"error":{"code":"http.not_found","message":"no route for this path"}})");
  auto wrong = Get(Url(*server, "/v1/tasks/t1/complete"));
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("Allow"), "POST");
  EXPECT_NE(wrong->body.find("http.method_not_allowed"), std::string::npos);
}

TEST(Server, KeepAliveReusesOneConnectionAcrossRequests) {
  auto server = StartServer(TaskRouter());
  ClientPool pool;
  std::string first_connection;
  for (int i = 0; i < 20; ++i) {
    ClientRequest request;
    request.url = Url(*server, "/echo?q=a%20b+c");
    request.headers.emplace_back("X-Probe", std::to_string(i));
    auto response = pool.Send(request);
    ASSERT_TRUE(response.has_value()) << response.error().ToString();
    std::string body = response->body;
    std::string connection = body.substr(body.rfind('|') + 1);
    if (i == 0) first_connection = connection;
    EXPECT_EQ(body, "a b c|" + std::to_string(i) + "|" + first_connection);
  }
  EXPECT_EQ(pool.IdleConnections(), 1u);
}

TEST(Server, AnswersPipelinedRequestsInOrder) {
  auto server = StartServer(TaskRouter());
  RawSocket socket(server->port());
  ASSERT_TRUE(socket.Send(
      "GET /echo?q=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?q=2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /echo?q=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string all = socket.ReadAll();
  size_t one = all.find("\r\n\r\n1||"), two = all.find("\r\n\r\n2||"),
         three = all.find("\r\n\r\n3||");
  ASSERT_NE(one, std::string::npos) << all;
  ASSERT_NE(two, std::string::npos) << all;
  ASSERT_NE(three, std::string::npos) << all;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
}

// The session parses what it has and reads more only when the parser needs it: a request cut
// anywhere (inside a header line, between header and body, inside a chunk) is answered whole.
TEST(Server, ReadsARequestThatArrivesInPieces) {
  auto server = StartServer(TaskRouter());
  RawSocket socket(server->port());
  const std::vector<std::string> pieces = {
      "POST /v1/tasks/t7/comp",
      "lete HTTP/1.1\r\nHo",
      "st: x\r\nContent-Length: 11\r\n\r\n",
      "{\"a\":",
      "[1,2]}",
      "POST /v1/tasks/t8/complete HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n7\r\n{\"b\"",
      ":2}\r\n0\r\n\r\n"};
  for (const std::string& piece : pieces) {
    ASSERT_TRUE(socket.Send(piece));
    std::this_thread::sleep_for(20ms);
  }
  std::string all = socket.ReadAll();
  EXPECT_NE(all.find("{\"task\":\"t7\",\"body\":{\"a\":[1,2]}}"), std::string::npos) << all;
  EXPECT_NE(all.find("{\"task\":\"t8\",\"body\":{\"b\":2}}"), std::string::npos) << all;
  // A client that leaves in the middle of a request is let go without an answer.
  RawSocket gone(server->port());
  ASSERT_TRUE(gone.Send("GET /echo HTTP/1.1\r\nHo"));
  gone.ShutdownWrite();
  EXPECT_EQ(gone.ReadAll(2000ms), "");
}

TEST(Server, RejectsOversizedBodyBeforeReadingIt) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(TaskRouter(), options);
  auto response = Post(Url(*server, "/v1/tasks/t1/complete"), std::string(4096, 'x'), "text/plain");
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("\"code\":\"http.body_too_large\""), std::string::npos);
  // Chunked bodies have no announced length: the limit holds while reading.
  RawSocket socket(server->port());
  std::string chunk(1000, 'y');
  ASSERT_TRUE(
      socket.Send("POST /v1/tasks/t1/complete HTTP/1.1\r\nHost: x\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n3e8\r\n" +
                  chunk + "\r\n3e8\r\n" + chunk + "\r\n0\r\n\r\n"));
  std::string reply = socket.ReadAll();
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
}

TEST(Server, RejectsOversizedHeader) {
  ServerOptions options;
  options.max_header_bytes = 512;
  auto server = StartServer(TaskRouter(), options);
  RawSocket socket(server->port());
  ASSERT_TRUE(socket.Send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') +
                          "\r\n\r\n"));
  std::string reply = socket.ReadAll();
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply;
  EXPECT_NE(reply.find("http.header_too_large"), std::string::npos);
}

TEST(Server, MalformedRequestsGetBadRequestAndNeverCrash) {
  auto server = StartServer(TaskRouter());
  const std::string cases[] = {
      "GARBAGE\r\n\r\n",
      "GET /echo HTTP/9.9\r\n\r\n",
      "GET /echo HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "GET /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET http://evil/echo HTTP/1.1\r\nHost: x\r\n\r\n",
      std::string("GET /echo HTTP/1.1\r\nX: a\0b\r\n\r\n", 30),
  };
  for (const std::string& bytes : cases) {
    RawSocket socket(server->port());
    ASSERT_TRUE(socket.Send(bytes));
    std::string reply = socket.ReadAll();
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << "input: " << bytes << "\nreply: " << reply;
    EXPECT_NE(reply.find("\"code\":\"http.bad_request\""), std::string::npos) << reply;
  }
  auto still_up = Get(Url(*server, "/echo"));
  ASSERT_TRUE(still_up.has_value());
  EXPECT_EQ(still_up->status, 200);
}

TEST(Server, SlowlorisGetsTimeoutAndIdleConnectionsClose) {
  ServerOptions options;
  options.read_timeout = 300ms;
  options.idle_timeout = 300ms;
  auto server = StartServer(TaskRouter(), options);
  RawSocket slow(server->port());
  ASSERT_TRUE(slow.Send("GET /echo HTTP/1.1\r\nHost: x\r\n"));
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(50ms);
    slow.Send("X-Drip: 1\r\n");
  }
  std::string reply = slow.ReadAll(2000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
  EXPECT_NE(reply.find("http.timeout"), std::string::npos);
  // The same for a whole head whose body stops coming.
  RawSocket slow_body(server->port());
  ASSERT_TRUE(slow_body.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  reply = slow_body.ReadAll(2000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
  RawSocket idle(server->port());
  EXPECT_TRUE(idle.PeerClosed(2000ms));
}

TEST(Server, LimitsOpenConnections) {
  ServerOptions options;
  options.max_connections = 2;
  options.threads = 1;
  auto server = StartServer(TaskRouter(), options);
  RawSocket a(server->port()), b(server->port());
  ASSERT_TRUE(a.Send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(b.Send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  a.ReadUntil("\r\n\r\n");
  b.ReadUntil("\r\n\r\n");
  RawSocket c(server->port());
  std::string reply = c.ReadAll(2000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("http.too_many_connections"), std::string::npos);
}

TEST(Server, AsyncHandlerAnswersFromAnotherThreadWithoutBlockingWorkers) {
  Router router;
  std::vector<std::thread> waiters;
  std::mutex mu;
  // The slow handler answers only once /fast has been answered (or after 10 s): if the one
  // worker thread were blocked by it, /fast could not be answered first. No timing involved.
  std::promise<void> fast_answered;
  std::shared_future<void> released = fast_answered.get_future().share();
  std::atomic<bool> released_in_time{false};
  ASSERT_TRUE(router
                  .AddAsync("GET", "/slow",
                            [&](const Request&, Responder responder) {
                              std::lock_guard lock(mu);
                              waiters.emplace_back([&, r = std::move(responder)]() mutable {
                                released_in_time =
                                    released.wait_for(10s) == std::future_status::ready;
                                r.Send(Response::Text(200, "late"));
                              });
                            })
                  .ok());
  ASSERT_TRUE(
      router.Add("GET", "/fast", [](const Request&) { return Response::Text(200, "fast"); }).ok());
  ASSERT_TRUE(router.AddAsync("GET", "/dropped", [](const Request&, Responder) {}).ok());
  ServerOptions options;
  options.threads = 1;
  auto server = StartServer(std::move(router), options);
  std::thread slow([&] {
    auto response = Get(Url(*server, "/slow"));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, "late");
  });
  std::this_thread::sleep_for(50ms);
  auto fast = Get(Url(*server, "/fast"));
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->body, "fast");
  fast_answered.set_value();
  slow.join();
  EXPECT_TRUE(released_in_time);
  auto dropped = Get(Url(*server, "/dropped"));
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->status, 500);
  EXPECT_NE(dropped->body.find("http.internal"), std::string::npos);
  for (auto& t : waiters) t.join();
}

// Connections a handler gives the same affinity end up on one worker, each new affinity on the
// next worker; a connection keeps its id and its application data when it moves, and requests
// already buffered (pipelined) are answered first, in order.
TEST(Server, ConnectionsWithOneAffinityAreServedByOneWorker) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/where",
                       [](const Request& request) {
                         ConnectionInfo& c = request.connection();
                         if (!c.user_data) c.user_data = std::make_shared<int>(0);
                         int& calls = *std::static_pointer_cast<int>(c.user_data);
                         ++calls;
                         if (auto a = request.QueryParam("affinity")) c.affinity = std::stoull(*a);
                         std::ostringstream thread;
                         thread << std::this_thread::get_id();
                         return Response::Text(200, thread.str() + "|" + std::to_string(c.id) +
                                                        "|" + std::to_string(calls) + "\n");
                       })
                  .ok());
  ServerOptions options;
  options.threads = 2;
  auto server = StartServer(std::move(router), options);
  auto get = [](const std::string& query) {
    return "GET /where" + query + " HTTP/1.1\r\nHost: x\r\n\r\n";
  };
  struct Answer {
    std::string thread, connection;
    int calls = 0;
  };
  auto read_answers = [](RawSocket& socket, int n) {
    std::vector<Answer> answers;
    std::string text;
    while (static_cast<int>(answers.size()) < n) {
      const std::string more = socket.ReadUntil("\n", 3s);
      if (more.empty()) break;  // nothing within 3 s, or closed: the caller's check fails
      text += more;
      size_t body;
      while ((body = text.find("\r\n\r\n")) != std::string::npos &&
             text.find('\n', body + 4) != std::string::npos) {
        const size_t end = text.find('\n', body + 4);
        const std::string line = text.substr(body + 4, end - body - 4);
        text.erase(0, end + 1);
        const size_t bar = line.find('|'), bar2 = line.rfind('|');
        answers.push_back({line.substr(0, bar), line.substr(bar + 1, bar2 - bar - 1),
                           std::stoi(line.substr(bar2 + 1))});
      }
    }
    return answers;
  };
  // Eight connections, four of affinity 7 and four of affinity 9.
  std::vector<std::unique_ptr<RawSocket>> sockets;
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    sockets.push_back(std::make_unique<RawSocket>(server->port()));
    ASSERT_TRUE(sockets.back()->Send(get(i % 2 ? "?affinity=9" : "?affinity=7")));
    auto first = read_answers(*sockets.back(), 1);
    ASSERT_EQ(first.size(), 1u);
    ids.push_back(first[0].connection);
  }
  std::map<int, std::set<std::string>> threads;  // affinity -> threads that served it
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 8; ++i) {
      // Two requests at once: the second waits in the buffer while the first is answered.
      ASSERT_TRUE(sockets[i]->Send(get("") + get("")));
      auto answers = read_answers(*sockets[i], 2);
      ASSERT_EQ(answers.size(), 2u);
      for (size_t k = 0; k < 2; ++k) {
        EXPECT_EQ(answers[k].connection, ids[i]) << "a moved connection keeps its id";
        EXPECT_EQ(answers[k].calls, 2 + round * 2 + static_cast<int>(k)) << "and its data";
        threads[i % 2 ? 9 : 7].insert(answers[k].thread);
      }
    }
  }
  ASSERT_EQ(threads[7].size(), 1u) << "one affinity, one worker";
  ASSERT_EQ(threads[9].size(), 1u);
  EXPECT_NE(*threads[7].begin(), *threads[9].begin()) << "the next affinity, the next worker";
}

TEST(Server, HandlerExceptionsAndInvalidHeadersBecomeInternalErrors) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/throw",
                       [](const Request&) -> Response { throw std::runtime_error("boom"); })
                  .ok());
  ASSERT_TRUE(router
                  .Add("GET", "/inject",
                       [](const Request&) {
                         Response response = Response::Text(200, "x");
                         response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: y");
                         return response;
                       })
                  .ok());
  auto server = StartServer(std::move(router));
  for (const char* path : {"/throw", "/inject"}) {
    auto response = Get(Url(*server, path));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 500) << path;
    EXPECT_FALSE(response->Header("Set-Cookie").has_value());
  }
}

TEST(Server, GracefulStopLetsInFlightRequestFinish) {
  Router router;
  ASSERT_TRUE(router
                  .AddAsync("GET", "/slow",
                            [](const Request&, Responder responder) {
                              std::thread([r = std::move(responder)]() mutable {
                                std::this_thread::sleep_for(200ms);
                                r.Send(Response::Text(200, "done"));
                              }).detach();
                            })
                  .ok());
  auto server = StartServer(std::move(router));
  uint16_t port = server->port();
  Result<ClientResponse> response;
  std::thread client([&] { response = Get("http://127.0.0.1:" + std::to_string(port) + "/slow"); });
  std::this_thread::sleep_for(50ms);
  server->Stop(2000ms);
  client.join();
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->Header("Connection"), "close");
  auto refused = Get("http://127.0.0.1:" + std::to_string(port) + "/slow");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason(), "http.client.connect");
}

TEST(Client, EnforcesResponseLimitAndTimeout) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/big",
                       [](const Request&) { return Response::Text(200, std::string(100000, 'b')); })
                  .ok());
  ASSERT_TRUE(router
                  .AddAsync("GET", "/never",
                            [](const Request&, Responder responder) {
                              std::thread([r = std::move(responder)]() mutable {
                                std::this_thread::sleep_for(1500ms);
                                r.Send(Response::NoContent());
                              }).detach();
                            })
                  .ok());
  auto server = StartServer(std::move(router));
  ClientOptions small;
  small.max_response_body = 1000;
  auto big = Get(Url(*server, "/big"), small);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().reason(), "http.client.too_large");
  ClientOptions quick;
  quick.timeout = 200ms;
  auto slow = Get(Url(*server, "/never"), quick);
  ASSERT_FALSE(slow.has_value());
  EXPECT_EQ(slow.error().reason(), "http.client.timeout");
  ClientRequest bad;
  bad.url = Url(*server, "/big");
  bad.headers.emplace_back("X-Evil", "a\r\nb: c");
  auto injected = Fetch(bad);
  ASSERT_FALSE(injected.has_value());
  EXPECT_EQ(injected.error().reason(), "http.client.bad_header");
  std::this_thread::sleep_for(1600ms);
}

TEST(ClientPool, RetriesWhenTheServerClosedAnIdleConnection) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  auto server = StartServer(TaskRouter(), options);
  ClientPool pool;
  ClientRequest request;
  request.url = Url(*server, "/echo");
  ASSERT_TRUE(pool.Send(request).has_value());
  EXPECT_EQ(pool.IdleConnections(), 1u);
  std::this_thread::sleep_for(500ms);  // the server closes the idle connection
  auto again = pool.Send(request);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->status, 200);
}

}  // namespace
}  // namespace mandate::http
