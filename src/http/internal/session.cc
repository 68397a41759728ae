// One connection: read a request, route it, answer, repeat; event streams; deadlines.
#include "src/http/internal/session.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <deque>

#include "src/http/internal/request_state.h"
#include "src/http/internal/url.h"
#include "src/http/internal/wire.h"

namespace mandate::http::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr Millis kNever = INT64_MAX;

enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kStreaming, kClosed };

// The socket layer: plain TCP or TLS over TCP.
using TlsSocket = asio::ssl::stream<tcp::socket>;
tcp::socket& Lowest(tcp::socket& s) { return s; }
tcp::socket& Lowest(TlsSocket& s) { return s.next_layer(); }

void CapturePeerCertificates(TlsSocket& stream, ConnectionInfo& info) {
  SSL* ssl = stream.native_handle();
  auto append = [&info](X509* cert) {
    int size = i2d_X509(cert, nullptr);
    if (size <= 0) return;
    std::string der(static_cast<size_t>(size), '\0');
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_X509(cert, &out) == size) info.peer_certificates.push_back(std::move(der));
  };
  X509* leaf = SSL_get1_peer_certificate(ssl);
  if (!leaf) return;
  append(leaf);
  // The presented chain may or may not repeat the leaf (it does in OpenSSL 3): skip it.
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* cert = sk_X509_value(chain, i);
      if (X509_cmp(cert, leaf) != 0) append(cert);
    }
  }
  X509_free(leaf);
}

template <class Stream>
class Session final : public SessionBase {
 public:
  Session(std::shared_ptr<Worker> worker, Stream stream, bool over_capacity)
      : worker_owner_(std::move(worker)),
        worker_(*worker_owner_),
        options_(worker_.shared.options),
        stream_(std::move(stream)),
        over_capacity_(over_capacity),
        reader_({options_.max_header_bytes, options_.max_body_bytes}) {}

  template <class... Args>
  static std::shared_ptr<Session> Create(std::shared_ptr<Worker> worker, bool over_capacity,
                                         Args&&... args) {
    return std::make_shared<Session>(std::move(worker), Stream(std::forward<Args>(args)...),
                                     over_capacity);
  }

  void Start() override {
    info_.id = worker_.shared.next_connection_id.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    auto remote = Lowest(stream_).remote_endpoint(ec);
    if (!ec) {
      info_.remote_address = remote.address().to_string();
      info_.remote_port = remote.port();
    }
    Lowest(stream_).set_option(tcp::no_delay(true), ec);
    worker_.sessions.emplace(info_.id, shared_from_this());
    if (over_capacity_) {
      response_ = Response::Error(503, "http.too_many_connections", "too many open connections");
      response_.close = true;
      WriteResponse(/*http10=*/false, /*keep_alive=*/false, /*head=*/false);
      return;
    }
    if constexpr (std::is_same_v<Stream, TlsSocket>) {
      info_.tls = true;
      phase_ = Phase::kHandshake;
      deadline_ = NowMillis() + options_.read_timeout.count();
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](const error_code& ec) {
                                if (ec) return self->Close();
                                CapturePeerCertificates(self->stream_, self->info_);
                                self->ReadRequest();
                              });
    } else {
      ReadRequest();
    }
  }

  // Carries on, on this worker, a connection another worker served (MoveHome).
  static void Adopt(std::shared_ptr<Worker> worker, Stream stream, ConnectionInfo info) {
    auto session = std::make_shared<Session>(std::move(worker), std::move(stream), false);
    session->info_ = std::move(info);
    session->homed_ = true;
    session->worker_.sessions.emplace(session->info_.id, session);
    session->ReadRequest();
  }

  void Tick(Millis now) override {
    if (phase_ == Phase::kStreaming) {
      if (sse_writing_ && now - sse_write_started_ > options_.write_timeout.count()) {
        return Close();  // the client stopped reading
      }
      if (!sse_writing_ && sse_queue_.empty() &&
          now - sse_last_write_ >= options_.sse_heartbeat.count()) {
        EnqueueEvent(": keep-alive\n\n");
      }
      return;
    }
    if (now < deadline_) return;
    deadline_ = kNever;
    timed_out_ = true;
    error_code ec;
    if (phase_ == Phase::kReading) {
      Lowest(stream_).cancel(ec);  // the read handler answers 408
    } else {
      Close();
    }
  }

  void BeginStop() override {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) return Close();
    if (phase_ == Phase::kStreaming) return CloseEvents();
    close_after_write_ = true;
  }

  void ForceClose() override { Close(); }

  void PostResponse(uint64_t seq, Response response) override {
    if (worker_.ioc.stopped()) return;  // server stopped: nobody is listening any more
    // Answered on the connection's own thread (a group commit run there, or the handler
    // itself): write now, without a hop through the queue. The write completes later, as
    // every asio operation does, so nothing re-enters this session's handler.
    if (worker_.ioc.get_executor().running_in_this_thread()) {
      if (phase_ != Phase::kHandling || seq != seq_) return;
      response_ = std::move(response);
      return Answer();
    }
    asio::post(worker_.ioc, [self = Self(), seq, response = std::move(response)]() mutable {
      if (self->phase_ != Phase::kHandling || seq != self->seq_) return;
      self->response_ = std::move(response);
      self->Answer();
    });
  }

  void PostStartEvents(uint64_t seq, HeaderList headers,
                       std::shared_ptr<EventStream> stream) override {
    if (worker_.ioc.stopped()) {
      return std::static_pointer_cast<EventStreamImpl>(stream)->MarkClosed();
    }
    asio::post(worker_.ioc, [self = Self(), seq, headers = std::move(headers),
                             stream = std::move(stream)]() mutable {
      auto impl = std::static_pointer_cast<EventStreamImpl>(stream);
      if (self->phase_ != Phase::kHandling || seq != self->seq_) return impl->MarkClosed();
      self->StartEvents(std::move(headers), std::move(impl));
    });
  }

  void PostEvent(std::string frame) override {
    if (worker_.ioc.stopped()) return;
    asio::post(worker_.ioc, [self = Self(), frame = std::move(frame)]() mutable {
      if (self->phase_ == Phase::kStreaming && !self->sse_closing_) {
        self->EnqueueEvent(std::move(frame));
      }
    });
  }

  void PostCloseEvents() override {
    if (worker_.ioc.stopped()) return;
    asio::post(worker_.ioc, [self = Self()] { self->CloseEvents(); });
  }

 private:
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  // ---- reading ----

  // Between two requests (nothing buffered, nothing pending), once per connection: hands a
  // connection that has an affinity over to the worker that serves it. The socket moves; the
  // connection's id, its application data and everything the client sees stay the same.
  bool MoveHome() {
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      return false;  // a TLS session's state cannot leave its object
    } else {
      if (info_.affinity == 0 || homed_ || worker_.shared.stopping.load()) return false;
      homed_ = true;
      std::shared_ptr<Worker> home = worker_.shared.HomeOf(info_.affinity);
      if (!home || home.get() == &worker_) return false;
      error_code ec;
      const tcp::endpoint local = stream_.local_endpoint(ec);
      if (ec) return false;
      const tcp::socket::native_handle_type fd = stream_.release(ec);
      if (ec) return false;
      tcp::socket moved(home->ioc);
      moved.assign(local.protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        Close();
        return true;
      }
      phase_ = Phase::kClosed;  // this object is done: the connection carries on over there
      auto self = shared_from_this();
      worker_.sessions.erase(info_.id);
      asio::post(home->ioc, [home, socket = std::move(moved), info = std::move(info_)]() mutable {
        Adopt(std::move(home), std::move(socket), std::move(info));
      });
      return true;
    }
  }

  void ReadRequest() {
    if (phase_ == Phase::kClosed) return;
    if (worker_.shared.stopping.load(std::memory_order_relaxed) && buffer_.size() == 0) {
      return Close();
    }
    reader_.Reset();
    if (buffer_.size() > 0) return ReadHeader();
    if (MoveHome()) return;
    phase_ = Phase::kIdle;
    deadline_ = NowMillis() + options_.idle_timeout.count();
    stream_.async_read_some(buffer_.prepare(4096), [self = Self()](const error_code& ec, size_t n) {
      if (ec) return self->Close();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    deadline_ = NowMillis() + options_.read_timeout.count();
    Parse(/*whole_message=*/false);
  }

  // Feeds the reader what the buffer holds and reads more only when it needs more; then
  // OnHeader, or Dispatch once the whole message is in.
  void Parse(bool whole_message) {
    const auto bytes = buffer_.data();
    buffer_.consume(reader_.Feed(
        std::string_view(static_cast<const char*>(bytes.data()), bytes.size()), whole_message));
    if (reader_.failed()) {
      const ReadError& e = reader_.error();
      return SendError(e.status, e.code, e.message);
    }
    if (!(whole_message ? reader_.done() : reader_.head_done())) return ReadMore(whole_message);
    if (whole_message) return Dispatch();
    OnHeader();
  }

  void ReadMore(bool whole_message) {
    stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 65536)),
                            [self = Self(), whole_message](error_code ec, size_t n) {
                              if (ec) return self->OnReadError();
                              self->buffer_.commit(n);
                              self->Parse(whole_message);
                            });
  }

  void OnHeader() {
    if (reader_.expects_continue() && !reader_.done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](const error_code& ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    if (reader_.done()) return Dispatch();
    ReadBody();
  }

  void ReadBody() { Parse(/*whole_message=*/true); }

  // A read failed: timed out (Tick cancelled it), or the peer closed or reset the connection,
  // which leaves a request unanswered (its framing never ends at the end of the stream).
  void OnReadError() {
    if (phase_ == Phase::kClosed) return;
    if (timed_out_ && reader_.got_some()) {
      return SendError(408, "http.timeout", "request not received in time");
    }
    Close();
  }

  void SendError(int status, std::string_view code, std::string message) {
    response_ = Response::Error(status, code, message);
    response_.close = true;
    WriteResponse(/*http10=*/false, /*keep_alive=*/false, /*head=*/false);
  }

  // ---- handling ----

  void Dispatch() {
    phase_ = Phase::kHandling;
    deadline_ = kNever;
    ++seq_;
    std::string_view target = reader_.target();
    size_t question = target.find('?');
    state_.message = &reader_;
    state_.path = target.substr(0, question);
    state_.query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    state_.route = nullptr;
    state_.params = &params_;
    state_.connection = &info_;
    state_.io_context = &worker_.ioc;
    if (state_.path.empty() || state_.path.front() != '/') {
      return SendError(400, "http.bad_request", "request-target must be a path");
    }
    const Router::Impl& router = worker_.shared.router.impl();
    std::string_view method = reader_.method();
    if (!router.Match(method, state_.path, &match_)) {
      if (router.fallback) return CallAsync(router.fallback);
      if (!match_.allowed_methods.empty()) {
        response_ = Response::Error(405, "http.method_not_allowed",
                                    "method `" + std::string(method) + "` not allowed");
        response_.headers.emplace_back("Allow", match_.allowed_methods);
        return Answer();
      }
      response_ = Response::Error(404, "http.not_found", "no route for this path");
      return Answer();
    }
    state_.route = match_.route;
    params_.resize(match_.raw_params.size());
    for (size_t i = 0; i < match_.raw_params.size(); ++i) {
      auto decoded = PercentDecode(match_.raw_params[i], false);
      if (!decoded) return SendError(400, "http.bad_request", decoded.error().message());
      params_[i] = std::move(*decoded);
    }
    if (match_.route->async_handler) return CallAsync(match_.route->async_handler);
    try {
      response_ = match_.route->handler(Request(&state_));
    } catch (const std::exception& e) {
      response_ = Response::Error(500, "http.internal", "handler failed");
    }
    Answer();
  }

  void CallAsync(const AsyncHandler& handler) {
    auto exchange = std::make_shared<Exchange>(shared_from_this(), seq_);
    try {
      handler(Request(&state_), Responder(exchange));
    } catch (const std::exception& e) {
      exchange->Respond(Response::Error(500, "http.internal", "handler failed"));
    }
  }

  // ---- writing ----

  void Answer() {
    bool keep_alive = reader_.keep_alive() && !response_.close && !close_after_write_ &&
                      !worker_.shared.stopping.load(std::memory_order_relaxed);
    WriteResponse(reader_.version() == 10, keep_alive, reader_.method() == "HEAD");
  }

  void WriteResponse(bool http10, bool keep_alive, bool head) {
    phase_ = Phase::kWriting;
    deadline_ = NowMillis() + options_.write_timeout.count();
    keep_alive_ = keep_alive;
    out_.clear();
    if (!AppendResponseHead(response_, http10, keep_alive, response_.body.size(), &out_)) {
      response_ = Response::Error(500, "http.internal", "handler produced an invalid header");
      out_.clear();
      AppendResponseHead(response_, http10, keep_alive, response_.body.size(), &out_);
    }
    bool with_body = !head && !StatusForbidsBody(response_.status);
    std::array<asio::const_buffer, 2> buffers{
        asio::buffer(out_),
        asio::buffer(response_.body.data(), with_body ? response_.body.size() : 0)};
    asio::async_write(stream_, buffers, [self = Self()](const error_code& ec, size_t) {
      if (ec) return self->Close();
      if (!self->keep_alive_) return self->Close();
      self->ReadRequest();
    });
  }

  // ---- event streams ----

  void StartEvents(HeaderList headers, std::shared_ptr<EventStreamImpl> stream) {
    response_ = Response{200, "text/event-stream", "", std::move(headers), false};
    response_.headers.emplace_back("Cache-Control", "no-store");
    response_.headers.emplace_back("X-Accel-Buffering", "no");
    out_.clear();
    bool http10 = reader_.version() == 10;
    if (!AppendResponseHead(response_, http10, /*keep_alive=*/true, 0, &out_)) {
      stream->MarkClosed();
      return SendError(500, "http.internal", "handler produced an invalid header");
    }
    // Replace the Content-Length framing with chunked transfer coding.
    size_t length_at = out_.find("Content-Length: 0\r\n");
    if (length_at != std::string::npos)
      out_.replace(length_at, 19, "Transfer-Encoding: chunked\r\n");
    phase_ = Phase::kStreaming;
    deadline_ = kNever;
    stream_impl_ = std::move(stream);
    sse_last_write_ = NowMillis();
    sse_queue_.push_back(std::move(out_));
    out_ = std::string();
    sse_head_pending_ = true;
    WriteEvents();
    WatchClientGone();
  }

  void EnqueueEvent(std::string frame) {
    std::string chunk;
    AppendChunk(frame, &chunk);
    sse_buffered_ += chunk.size();
    if (sse_buffered_ > options_.sse_max_buffered_bytes) return Close();  // slow client
    sse_queue_.push_back(std::move(chunk));
    WriteEvents();
  }

  void WriteEvents() {
    if (sse_writing_ || sse_queue_.empty() || phase_ != Phase::kStreaming) return;
    sse_writing_ = true;
    sse_write_started_ = NowMillis();
    asio::async_write(stream_, asio::buffer(sse_queue_.front()),
                      [self = Self()](const error_code& ec, size_t n) {
                        self->sse_writing_ = false;
                        if (ec) return self->Close();
                        if (!self->sse_head_pending_)
                          self->sse_buffered_ -= self->sse_queue_.front().size();
                        self->sse_head_pending_ = false;
                        self->sse_queue_.pop_front();
                        self->sse_last_write_ = NowMillis();
                        if (self->sse_closing_ && self->sse_queue_.empty()) return self->Close();
                        self->WriteEvents();
                      });
  }

  // A streaming client sends nothing more; a read completing means it went away.
  void WatchClientGone() {
    stream_.async_read_some(asio::buffer(scratch_), [self = Self()](const error_code& ec, size_t) {
      if (ec) return self->Close();
      if (self->phase_ == Phase::kStreaming) self->WatchClientGone();
    });
  }

  void CloseEvents() {
    if (phase_ != Phase::kStreaming || sse_closing_) return;
    sse_closing_ = true;
    if (stream_impl_) stream_impl_->MarkClosed();
    sse_queue_.push_back("0\r\n\r\n");
    sse_buffered_ += sse_queue_.back().size();
    WriteEvents();
  }

  // ---- closing ----

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    deadline_ = kNever;
    error_code ec;
    Lowest(stream_).shutdown(tcp::socket::shutdown_both, ec);
    Lowest(stream_).close(ec);
    if (stream_impl_) {
      auto stream = std::move(stream_impl_);
      stream->MarkClosed();
    }
    worker_.shared.open_connections.fetch_sub(1, std::memory_order_relaxed);
    // Erasing may drop the last reference: keep this alive until the function returns.
    auto self = shared_from_this();
    worker_.sessions.erase(info_.id);
  }

  std::shared_ptr<Worker> worker_owner_;  // keeps the io_context alive for late Responders
  Worker& worker_;
  const ServerOptions& options_;
  Stream stream_;
  bool over_capacity_;
  ConnectionInfo info_;
  beast::flat_buffer buffer_;
  RequestReader reader_;
  RouteMatch match_;
  std::vector<std::string> params_;
  RequestState state_;
  Response response_;
  std::string out_;
  Phase phase_ = Phase::kIdle;
  Millis deadline_ = kNever;
  bool timed_out_ = false;
  bool keep_alive_ = false;
  bool close_after_write_ = false;
  uint64_t seq_ = 0;
  bool homed_ = false;  // MoveHome looked at this connection's affinity
  // Event stream state.
  std::shared_ptr<EventStreamImpl> stream_impl_;
  std::deque<std::string> sse_queue_;
  size_t sse_buffered_ = 0;
  bool sse_writing_ = false;
  bool sse_head_pending_ = false;
  bool sse_closing_ = false;
  Millis sse_write_started_ = 0;
  Millis sse_last_write_ = 0;
  std::array<char, 512> scratch_{};
};

}  // namespace

std::shared_ptr<Worker> ServerShared::HomeOf(uint64_t affinity) {
  std::lock_guard lock(affinity_mu_);
  if (workers.empty()) return nullptr;
  if (homes_.size() >= kMaxAffinities) homes_.clear();
  auto [at, added] = homes_.try_emplace(affinity, next_home_);
  if (added) next_home_ = (next_home_ + 1) % workers.size();
  return workers[at->second].lock();
}

std::shared_ptr<SessionBase> MakeSession(std::shared_ptr<Worker> worker, tcp::socket socket,
                                         bool over_capacity) {
  if (worker->shared.tls) {
    auto tls = worker->shared.tls;
    return Session<TlsSocket>::Create(std::move(worker), over_capacity, std::move(socket), *tls);
  }
  return Session<tcp::socket>::Create(std::move(worker), over_capacity, std::move(socket));
}

}  // namespace mandate::http::internal
