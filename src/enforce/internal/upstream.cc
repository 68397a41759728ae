#include "src/enforce/internal/upstream.h"

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>

#include "src/http/internal/client_connection.h"
#include "src/http/internal/parse.h"
#include "src/http/internal/url.h"

namespace mandate::enforce::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

// One keep-alive connection, plain or TLS, bound to one io_context. Plain sockets rather than
// Beast's tcp_stream, whose timeout arms and cancels a timer for every read and write (2 % of
// the gateway's CPU per call with the timerfd updates): deadlines are enforced by the sweep of
// IoContextState instead.
struct Connection {
  explicit Connection(asio::io_context& ioc) : ioc(ioc) {}
  asio::io_context& ioc;
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  SteadyTime idle_since{};

  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }
  template <class F>
  void WithStream(F&& f) {
    if (tls) return f(*tls);
    return f(*plain);
  }
};

// The exchange side IoContextState needs: its deadline, and being told it passed.
class Deadlined {
 public:
  virtual ~Deadlined() = default;
  virtual bool finished() const = 0;
  virtual SteadyTime deadline() const = 0;
  virtual void TimedOut() = 0;  // cancels what is pending; its handler reports the timeout
};

// The idle connections and the exchanges in flight of one io_context, owned by it: connections
// close when it is destroyed, before the reactor they are registered with. A sweep every
// kSweepInterval, running only while exchanges are in flight, times out those past their
// deadline (so a deadline holds to within that interval). Touched only on that io_context's
// thread.
class IoContextState : public asio::execution_context::service {
 public:
  static inline asio::execution_context::id id;
  static constexpr auto kSweepInterval = std::chrono::milliseconds(50);
  explicit IoContextState(asio::execution_context& context)
      : service(context), sweep_(static_cast<asio::io_context&>(context)) {}
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;  // most recent last

  void Track(std::weak_ptr<Deadlined> exchange) {
    in_flight_.push_back(std::move(exchange));
    if (sweeping_) return;
    sweeping_ = true;
    Arm();
  }

 private:
  void Arm() {
    sweep_->expires_after(kSweepInterval);
    sweep_->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const SteadyTime now = std::chrono::steady_clock::now();
      // TimedOut may finish an exchange, which may start another (Track): over a snapshot.
      std::vector<std::weak_ptr<Deadlined>> tracked;
      tracked.swap(in_flight_);
      for (auto& weak : tracked) {
        auto exchange = weak.lock();
        if (!exchange || exchange->finished()) continue;
        if (now >= exchange->deadline()) {
          exchange->TimedOut();
        } else {
          in_flight_.push_back(std::move(weak));
        }
      }
      if (in_flight_.empty()) {
        sweeping_ = false;
      } else {
        Arm();
      }
    });
  }
  void shutdown() override {
    idle.clear();
    in_flight_.clear();
    sweep_.reset();
  }

  std::optional<asio::steady_timer> sweep_;
  std::vector<std::weak_ptr<Deadlined>> in_flight_;
  bool sweeping_ = false;
};

}  // namespace

struct UpstreamClient::Shared {
  // Names this client's idle lists; never reused, unlike an address.
  const uint64_t id = [] {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1);
  }();
  http::ClientOptions options;
  http::PoolOptions pool;
  std::chrono::microseconds spin{0};
  std::once_flag tls_once;
  Result<std::shared_ptr<asio::ssl::context>> tls = nullptr;

  // What a request URL's origin (`http://host:port`) parses to, and the idle list it uses:
  // parsed once per origin rather than per call (Boost.URL's parse was 2 % of the gateway's CPU
  // per call). An origin is a system's configured upstream, so the map stays small; past
  // kMaxOrigins new ones are parsed each time.
  struct Origin {
    http::internal::Endpoint endpoint;
    std::string endpoint_key;  // for messages
    std::string host_header;   // sent when the caller gives none
    std::string pool_key;      // per client too: another client's connections have other options
  };
  static constexpr size_t kMaxOrigins = 64;
  std::mutex origins_mu;
  std::map<std::string, std::shared_ptr<const Origin>, std::less<>>
      origins;  // GUARDED_BY(origins_mu)

  std::shared_ptr<const Origin> OriginOf(const http::internal::Endpoint& endpoint,
                                         std::string_view text);
  std::shared_ptr<const Origin> CachedOrigin(std::string_view text);
};

std::shared_ptr<const UpstreamClient::Shared::Origin> UpstreamClient::Shared::CachedOrigin(
    std::string_view text) {
  std::lock_guard lock(origins_mu);
  auto it = origins.find(text);
  return it == origins.end() ? nullptr : it->second;
}

std::shared_ptr<const UpstreamClient::Shared::Origin> UpstreamClient::Shared::OriginOf(
    const http::internal::Endpoint& endpoint, std::string_view text) {
  auto origin = std::make_shared<Origin>();
  origin->endpoint = endpoint;
  origin->endpoint_key = endpoint.Key();
  origin->host_header = endpoint.HostHeader();
  origin->pool_key = std::to_string(id) + " " + origin->endpoint_key;
  std::lock_guard lock(origins_mu);
  if (!text.empty() && origins.size() < kMaxOrigins) origins.emplace(std::string(text), origin);
  return origin;
}

namespace {

// A request serialised for the wire.
struct WireRequest {
  std::string bytes;
  bool head = false;  // a HEAD request: its answer has no body
};

// One upstream call, kept alive by the handlers of its pending operation.
class Exchange final : public Deadlined, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<UpstreamClient::Shared> shared, asio::io_context& ioc,
           std::shared_ptr<const UpstreamClient::Shared::Origin> origin, WireRequest request,
           UpstreamClient::Done done)
      : shared_owner_(std::move(shared)),
        shared_(*shared_owner_),
        ioc_(ioc),
        origin_(std::move(origin)),
        endpoint_(origin_->endpoint),
        endpoint_key_(origin_->endpoint_key),
        pool_key_(origin_->pool_key),
        request_(std::move(request)),
        done_(std::move(done)),
        deadline_(std::chrono::steady_clock::now() + shared_.options.timeout) {}

  void Start() {
    asio::use_service<IoContextState>(ioc_).Track(shared_from_this());
    conn_ = TakeIdle();
    reused_ = conn_ != nullptr;
    if (reused_) return Write();
    Open();
  }

  bool finished() const override { return finished_; }
  SteadyTime deadline() const override { return deadline_; }
  void TimedOut() override {
    timed_out_ = true;
    boost::system::error_code ignored;
    if (resolver_) resolver_->cancel();
    if (conn_) conn_->lowest().close(ignored);
  }

 private:
  // What a failed operation reports: the timeout, when the sweep cancelled it.
  beast::error_code Reported(beast::error_code ec) const {
    return timed_out_ ? beast::error_code(beast::error::timeout) : ec;
  }

  std::unique_ptr<Connection> TakeIdle() {
    auto& list = asio::use_service<IoContextState>(ioc_).idle[pool_key_];
    const SteadyTime oldest_usable = std::chrono::steady_clock::now() - shared_.pool.max_idle_time;
    while (!list.empty()) {
      std::unique_ptr<Connection> conn = std::move(list.back());
      list.pop_back();
      if (conn->idle_since >= oldest_usable) return conn;
    }
    return nullptr;
  }

  void PutIdle(std::unique_ptr<Connection> conn) {
    auto& list = asio::use_service<IoContextState>(ioc_).idle[pool_key_];
    if (list.size() >= shared_.pool.max_idle_per_upstream) list.pop_front();
    conn->idle_since = std::chrono::steady_clock::now();
    list.push_back(std::move(conn));
  }

  void Open() {
    conn_ = std::make_unique<Connection>(ioc_);
    const http::internal::Endpoint& endpoint = endpoint_;
    if (endpoint.tls) {
      std::call_once(shared_.tls_once, [this] {
        shared_.tls = http::internal::MakeClientTlsContext(shared_.options);
      });
      if (!shared_.tls) return Finish(Err(shared_.tls.error()));
      conn_->tls.emplace(ioc_, **shared_.tls);
    } else {
      conn_->plain.emplace(ioc_);
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(endpoint.host, ec);
    if (!ec) {  // an IP: no resolver thread involved
      conn_->lowest().async_connect(
          tcp::endpoint(address, endpoint.port),
          [self = shared_from_this()](beast::error_code e) { self->Connected(self->Reported(e)); });
      return;
    }
    resolver_.emplace(ioc_);
    resolver_->async_resolve(
        endpoint.host, std::to_string(endpoint.port),
        [self = shared_from_this()](beast::error_code e, tcp::resolver::results_type results) {
          if (e) {
            return self->Finish(Err(http::internal::ClientErrorStatus(self->Reported(e), "resolve",
                                                                      self->endpoint_key_)));
          }
          asio::async_connect(self->conn_->lowest(), results,
                              [self](beast::error_code e2, const tcp::endpoint&) {
                                self->Connected(self->Reported(e2));
                              });
        });
  }

  void Connected(beast::error_code ec) {
    if (ec) return Finish(Err(http::internal::ClientErrorStatus(ec, "connect", endpoint_key_)));
    beast::error_code ignored;
    conn_->lowest().set_option(tcp::no_delay(true), ignored);
    if (!conn_->tls) return Write();
    SSL* ssl = conn_->tls->native_handle();
    const std::string& host = endpoint_.host;
    asio::ip::make_address(host, ec);
    if (ec) SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI for names only
    if (shared_.options.verify_peer) {
      conn_->tls->set_verify_callback(asio::ssl::host_name_verification(host));
    }
    conn_->tls->async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](beast::error_code e) {
          e = self->Reported(e);
          if (e == beast::error::timeout) {
            return self->Finish(
                Err(http::internal::ClientErrorStatus(e, "tls handshake", self->endpoint_key_)));
          }
          if (e) {
            return self->Finish(
                Err(Status(StatusCode::kUnavailable, "http.client.tls",
                           "tls handshake " + self->endpoint_key_ + ": " + e.message())));
          }
          self->Write();
        });
  }

  void Write() {
    conn_->WithStream([this](auto& stream) {
      asio::async_write(stream, asio::buffer(request_.bytes),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Failed(self->Reported(ec), "write");
                          self->AwaitAnswer();
                        });
    });
  }

  // Watches for the first answer byte for up to `spin` (see UpstreamClient), then reads: with
  // bytes already there, the read completes without the reactor putting the thread to sleep.
  void AwaitAnswer() {
    if (shared_.spin.count() > 0) {
      const auto until = std::chrono::steady_clock::now() + shared_.spin;
      beast::error_code ec;
      auto& socket = conn_->lowest();
      while (socket.available(ec) == 0 && !ec && std::chrono::steady_clock::now() < until) {
      }
    }
    Read();
  }

  void Read() {
    parser_.emplace();
    parser_->eager(true);
    parser_->body_limit(shared_.options.max_response_body);
    parser_->header_limit(static_cast<uint32_t>(shared_.options.max_response_header));
    if (request_.head) parser_->skip(true);
    Parse();
  }

  // Feeds the parser what the connection's buffer holds and reads more until the answer is
  // whole (src/http/internal/parse.h).
  void Parse() {
    bool need_more = false;
    const beast::error_code ec = http::internal::FeedParser(
        *parser_, conn_->buffer, [](const auto& p) { return p.is_done(); }, &need_more);
    if (ec) return Failed(ec, "read");
    if (need_more) return ReadMore();
    Answered();
  }

  void ReadMore() {
    conn_->WithStream([this](auto& stream) {
      stream.async_read_some(conn_->buffer.prepare(beast::read_size(conn_->buffer, 65536)),
                             [self = shared_from_this()](beast::error_code ec, size_t n) {
                               if (ec == asio::error::eof) {
                                 ec = http::internal::AtEndOfStream(*self->parser_);
                                 if (!ec) return self->Answered();  // an answer read to its end
                               }
                               if (ec) return self->Failed(self->Reported(ec), "read");
                               self->conn_->buffer.commit(n);
                               self->Parse();
                             });
    });
  }

  void Failed(beast::error_code ec, std::string_view what) {
    const bool before_response = !parser_ || !parser_->got_some();
    // A stale keep-alive connection the upstream closed while idle: once more on a fresh one.
    if (reused_ && before_response && ec != beast::error::timeout) {
      reused_ = false;
      return Open();
    }
    Finish(Err(http::internal::ClientErrorStatus(ec, what, endpoint_key_)));
  }

  void Answered() {
    auto& message = parser_->get();
    http::ClientResponse response;
    response.status = static_cast<int>(message.result_int());
    response.headers.reserve(
        static_cast<size_t>(std::distance(message.base().begin(), message.base().end())));
    for (const auto& field : message.base()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    // Not a connection the sweep closed as this answer came in (it would fail its next call).
    if (!timed_out_ && message.keep_alive() && !parser_->need_eof()) PutIdle(std::move(conn_));
    Finish(std::move(response));
  }

  void Finish(Result<http::ClientResponse> result) {
    finished_ = true;
    conn_.reset();
    UpstreamClient::Done done = std::move(done_);
    done(std::move(result));
  }

  std::shared_ptr<UpstreamClient::Shared> shared_owner_;
  UpstreamClient::Shared& shared_;
  asio::io_context& ioc_;
  std::shared_ptr<const UpstreamClient::Shared::Origin> origin_;
  const http::internal::Endpoint& endpoint_;
  const std::string& endpoint_key_;  // for messages
  const std::string& pool_key_;      // the idle list this exchange takes from and gives back to
  WireRequest request_;
  UpstreamClient::Done done_;
  SteadyTime deadline_;
  std::unique_ptr<Connection> conn_;
  bool reused_ = false;
  bool finished_ = false;
  bool timed_out_ = false;
  std::optional<tcp::resolver> resolver_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
};

// Splits an absolute URL into its origin (`scheme://authority`, which ends at the first `/` or
// `?` after `://`, RFC 3986 3.2) and an origin-form target (`/` when the path is empty), when
// the rest holds only characters a path or query may carry as they are (RFC 3986 pchar, `/`,
// `?`, `%` with two hex digits). Anything else (a fragment, a space, a malformed escape) gives
// false, and the caller parses the whole URL. The origin is looked up among those already
// parsed whole; the authority does not depend on what follows it, so a vetted origin plus a
// vetted target is a URL ParseUrl accepts, with this very target.
bool SplitOrigin(std::string_view url, std::string_view* origin, std::string_view* target) {
  static constexpr auto kAllowed = [] {
    std::array<bool, 256> allowed{};
    for (unsigned char c :
         std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          "-._~!$&'()*+,;=:@/?")) {
      allowed[c] = true;
    }
    return allowed;
  }();
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const size_t authority_end = url.find_first_of("/?", scheme_end + 3);
  // No path, or an empty one before a query: ParseUrl makes it `/`; rare, parsed whole.
  if (authority_end == std::string_view::npos || url[authority_end] == '?') return false;
  const std::string_view rest = url.substr(authority_end);
  for (size_t i = 0; i < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    if (c == '%') {
      if (i + 2 >= rest.size() || !std::isxdigit(static_cast<unsigned char>(rest[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
        return false;
      }
      i += 2;
    } else if (!kAllowed[c]) {
      return false;
    }
  }
  *origin = url.substr(0, authority_end);
  *target = rest;
  return true;
}

// The request as bytes, or `http.client.bad_header` (same rules as the blocking client). Written
// here rather than by Beast's serializer: a short request in one buffer is a fifth of the
// gateway's instructions less per call (callgrind), and the framing rules are few: the caller's
// Content-Length and Transfer-Encoding are dropped, Content-Length is ours (as Beast's
// prepare_payload sets it: a body, or POST/PUT/OPTIONS), Host and User-Agent are added when absent.
Result<WireRequest> BuildRequest(const http::ClientRequest& request, std::string_view target,
                                 std::string_view host_header) {
  if (!http::IsValidHeader(request.method, "") || request.method.empty()) {
    return Err(
        InvalidArgument("http.client.bad_header", "invalid method `" + request.method + "`"));
  }
  if (request.method == "TRACE" && !request.body.empty()) {
    return Err(InvalidArgument("http.client.bad_header", "a TRACE request carries no body"));
  }
  WireRequest wire;
  wire.head = request.method == "HEAD";
  std::string& out = wire.bytes;
  out.reserve(256 + request.body.size());
  out.append(request.method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false, has_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (!http::IsValidHeader(name, value)) {
      return Err(InvalidArgument("http.client.bad_header", "invalid header `" + name + "`"));
    }
    if (http::EqualsIgnoreCase(name, "content-length") ||
        http::EqualsIgnoreCase(name, "transfer-encoding")) {
      continue;  // framing is ours
    }
    has_host = has_host || http::EqualsIgnoreCase(name, "host");
    has_agent = has_agent || http::EqualsIgnoreCase(name, "user-agent");
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_host) out.append("Host: ").append(host_header).append("\r\n");
  if (!has_agent) out.append("User-Agent: mandate\r\n");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "OPTIONS") {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return wire;
}

}  // namespace

UpstreamClient::UpstreamClient(http::ClientOptions options, http::PoolOptions pool,
                               std::chrono::microseconds spin)
    : shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->pool = pool;
  shared_->spin = spin;
}

UpstreamClient::~UpstreamClient() = default;

void UpstreamClient::Send(asio::io_context& ioc, http::ClientRequest request, Done done) {
  std::string_view origin_text, target;
  std::shared_ptr<const Shared::Origin> origin;
  std::string parsed_target;
  if (SplitOrigin(request.url, &origin_text, &target)) origin = shared_->CachedOrigin(origin_text);
  if (!origin) {  // first call to this origin, or a URL the fast split does not vouch for
    auto url = http::internal::ParseUrl(request.url);
    if (!url) return asio::dispatch(ioc, [done, e = url.error()] { done(Err(e)); });
    origin = shared_->OriginOf(url->endpoint, origin_text);
    parsed_target = std::move(url->target);
    target = parsed_target;
  }
  auto wire = BuildRequest(request, target, origin->host_header);
  if (!wire) return asio::dispatch(ioc, [done, e = wire.error()] { done(Err(e)); });
  auto exchange = std::make_shared<Exchange>(shared_, ioc, std::move(origin), std::move(*wire),
                                             std::move(done));
  // Runs at once when called on `ioc`'s thread, else is queued there.
  asio::dispatch(ioc, [exchange] { exchange->Start(); });
}

}  // namespace mandate::enforce::internal
