// Request accessors, Responder, and the async answer plumbing behind it.
#include "src/http/internal/request_state.h"
#include "src/http/internal/url.h"
#include "src/http/internal/wire.h"

namespace mandate::http {

using internal::RequestState;

std::string_view Request::method() const { return state_->message->method(); }
std::string_view Request::target() const { return state_->message->target(); }
std::string_view Request::path() const { return state_->path; }
std::string_view Request::query() const { return state_->query; }

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::string_view rest = state_->query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    auto key = internal::PercentDecode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    auto value = internal::PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!value) return std::nullopt;
    return std::move(*value);
  }
  return std::nullopt;
}

std::string_view Request::PathParam(std::string_view name) const {
  if (!state_->route || !state_->params) return {};
  const auto& names = state_->route->param_names;
  for (size_t i = 0; i < names.size() && i < state_->params->size(); ++i) {
    if (names[i] == name) return (*state_->params)[i];
  }
  return {};
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  return state_->message->Field(name);
}

std::vector<std::pair<std::string_view, std::string_view>> Request::Headers() const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  out.reserve(state_->message->fields().size());
  for (const auto& field : state_->message->fields()) out.emplace_back(field.name, field.value);
  return out;
}

std::string_view Request::body() const { return state_->message->body(); }
bool Request::keep_alive() const { return state_->message->keep_alive(); }
ConnectionInfo& Request::connection() const { return *state_->connection; }
boost::asio::io_context& Request::io_context() const { return *state_->io_context; }

Responder::Responder(std::shared_ptr<internal::Exchange> exchange)
    : exchange_(std::move(exchange)) {}
Responder::Responder(Responder&&) noexcept = default;
Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (exchange_) {
      exchange_->Respond(Response::Error(500, "http.internal", "handler dropped the request"));
    }
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}
Responder::~Responder() {
  if (exchange_) {
    exchange_->Respond(Response::Error(500, "http.internal", "handler dropped the request"));
  }
}

void Responder::Send(Response response) {
  if (!exchange_) return;
  exchange_->Respond(std::move(response));
  exchange_.reset();
}

std::shared_ptr<EventStream> Responder::StartEvents(HeaderList extra_headers) {
  if (!exchange_) return nullptr;
  auto stream = exchange_->StartEvents(std::move(extra_headers));
  exchange_.reset();
  return stream;
}

namespace internal {

void Exchange::Respond(Response response) {
  if (answered_.exchange(true)) return;
  session_->PostResponse(seq_, std::move(response));
}

std::shared_ptr<EventStream> Exchange::StartEvents(HeaderList headers) {
  auto stream = std::make_shared<EventStreamImpl>(session_);
  if (answered_.exchange(true)) {
    stream->MarkClosed();
    return stream;
  }
  session_->PostStartEvents(seq_, std::move(headers), stream);
  return stream;
}

bool EventStreamImpl::Send(const SseEvent& event) {
  if (closed()) return false;
  auto session = session_.lock();
  if (!session) return false;
  session->PostEvent(FormatSseEvent(event));
  return true;
}

void EventStreamImpl::Close() {
  if (closed()) return;
  if (auto session = session_.lock()) session->PostCloseEvents();
}

void EventStreamImpl::OnClose(std::function<void()> callback) {
  std::unique_lock lock(mu_);
  if (fired_) {
    lock.unlock();
    if (callback) callback();
    return;
  }
  on_close_ = std::move(callback);
}

void EventStreamImpl::MarkClosed() {
  closed_.store(true, std::memory_order_release);
  std::function<void()> callback;
  {
    std::lock_guard lock(mu_);
    if (fired_) return;
    fired_ = true;
    callback = std::move(on_close_);
  }
  if (callback) callback();
}

}  // namespace internal
}  // namespace mandate::http
