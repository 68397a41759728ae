#include "src/http/server.h"

#include <openssl/ssl.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <thread>

#include "src/http/internal/session.h"

namespace mandate::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using internal::Worker;

namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(100);
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Result<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const TlsOptions& tls) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                   ec);
  auto fail = [](std::string_view what, const std::string& file, const error_code& e) {
    return Err(
        InvalidArgument("http.tls_config", std::string(what) + " `" + file + "`: " + e.message()));
  };
  ctx->use_certificate_chain_file(tls.cert_file, ec);
  if (ec) return fail("certificate", tls.cert_file, ec);
  ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
  if (ec) return fail("private key", tls.key_file, ec);
  if (tls.client_auth != ClientAuth::kNone) {
    if (tls.client_ca_file.empty()) {
      return Err(InvalidArgument("http.tls_config", "client authentication needs a ca file"));
    }
    ctx->load_verify_file(tls.client_ca_file, ec);
    if (ec) return fail("client ca", tls.client_ca_file, ec);
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    int mode = asio::ssl::verify_peer;
    if (tls.client_auth == ClientAuth::kRequired) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode, ec);
  }
  return ctx;
}

void Accept(const std::shared_ptr<Worker>& owner) {
  Worker& worker = *owner;
  worker.acceptor.async_accept([owner](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !owner->acceptor.is_open()) return;
    if (!ec) {
      auto& shared = owner->shared;
      size_t open = shared.open_connections.fetch_add(1, std::memory_order_relaxed);
      internal::MakeSession(owner, std::move(socket), open >= shared.options.max_connections)
          ->Start();
    }
    Accept(owner);
  });
}

void Sweep(Worker& worker) {
  worker.sweep.expires_after(kSweepInterval);
  worker.sweep.async_wait([&worker](const error_code& ec) {
    if (ec) return;
    internal::Millis now = internal::NowMillis();
    // Tick may close a session, which erases it: iterate over a snapshot.
    std::vector<std::shared_ptr<internal::SessionBase>> sessions;
    sessions.reserve(worker.sessions.size());
    for (auto& [id, session] : worker.sessions) sessions.push_back(session);
    for (auto& session : sessions) session->Tick(now);
    Sweep(worker);
  });
}

Status Listen(Worker& worker, const tcp::endpoint& endpoint) {
  error_code ec;
  auto& acceptor = worker.acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable, "http.listen",
                  "listen on " + endpoint.address().to_string() + ":" +
                      std::to_string(endpoint.port()) + ": " + ec.message());
  }
  return Status();
}

}  // namespace

namespace {
thread_local internal::Worker* t_worker = nullptr;  // the worker this thread runs, if any
}  // namespace

bool DeferOnWorker(std::function<void()> task) {
  if (t_worker == nullptr) return false;
  asio::post(t_worker->ioc, std::move(task));
  return true;
}

struct Server::Impl {
  std::shared_ptr<internal::ServerShared> shared_owner = std::make_shared<internal::ServerShared>();
  internal::ServerShared& shared = *shared_owner;
  std::vector<std::shared_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(std::chrono::milliseconds(0)); }

uint16_t Server::port() const { return impl_->port; }
size_t Server::open_connections() const {
  return impl_->shared.open_connections.load(std::memory_order_relaxed);
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Router router) {
  auto impl = std::make_unique<Impl>();
  if (options.threads < 1) options.threads = 1;
  error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    return Err(InvalidArgument("http.listen", "invalid listen address `" + options.host + "`"));
  }
  if (options.tls) {
    auto ctx = MakeServerTlsContext(*options.tls);
    if (!ctx) return Err(ctx.error());
    impl->shared.tls = *ctx;
  }
  impl->shared.options = std::move(options);
  impl->shared.router = std::move(router);
  tcp::endpoint endpoint(address, impl->shared.options.port);
  for (int i = 0; i < impl->shared.options.threads; ++i) {
    auto worker = std::make_shared<Worker>(impl->shared_owner);
    MANDATE_RETURN_IF_ERROR(Listen(*worker, endpoint));
    if (i == 0) {
      endpoint = worker->acceptor.local_endpoint(ec);  // the port picked for port 0
      impl->port = endpoint.port();
    }
    impl->shared.workers.push_back(worker);
    impl->workers.push_back(std::move(worker));
  }
  for (auto& worker : impl->workers) {
    Accept(worker);
    Sweep(*worker);
    impl->threads.emplace_back([w = worker.get()] {
      t_worker = w;
      w->ioc.run();
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& d = *impl_;
  if (d.stopped) return;
  d.stopped = true;
  d.shared.stopping.store(true);
  for (auto& worker : d.workers) {
    asio::post(worker->ioc, [w = worker.get()] {
      error_code ec;
      w->acceptor.close(ec);
      std::vector<std::shared_ptr<internal::SessionBase>> sessions;
      for (auto& [id, session] : w->sessions) sessions.push_back(session);
      for (auto& session : sessions) session->BeginStop();
    });
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (d.shared.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& worker : d.workers) {
    asio::post(worker->ioc, [w = worker.get()] {
      std::vector<std::shared_ptr<internal::SessionBase>> sessions;
      for (auto& [id, session] : w->sessions) sessions.push_back(session);
      for (auto& session : sessions) session->ForceClose();
      w->sweep.cancel();
      w->ioc.stop();
    });
  }
  for (auto& thread : d.threads) thread.join();
  // Run what is still queued (it holds sessions), then drop the sessions. A Responder that
  // answers later posts into a stopped io_context kept alive by its session: never run.
  for (auto& worker : d.workers) {
    worker->ioc.restart();
    worker->ioc.poll();
    worker->sessions.clear();
    worker->ioc.stop();
  }
}

}  // namespace mandate::http
