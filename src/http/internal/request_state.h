// What a Request views, and the objects behind Responder and EventStream. Internal.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/internal/request_reader.h"
#include "src/http/internal/router.h"
#include "src/http/internal/session.h"

namespace mandate::http::internal {

struct RequestState {
  const RequestReader* message = nullptr;
  std::string_view path;
  std::string_view query;
  const Route* route = nullptr;
  const std::vector<std::string>* params = nullptr;  // decoded, in route->param_names order
  ConnectionInfo* connection = nullptr;
  boost::asio::io_context* io_context = nullptr;  // the connection's worker
};

// One async request's answer channel. Thread-safe: the first Respond/StartEvents wins.
class Exchange {
 public:
  Exchange(std::shared_ptr<SessionBase> session, uint64_t seq)
      : session_(std::move(session)), seq_(seq) {}
  void Respond(Response response);
  std::shared_ptr<EventStream> StartEvents(HeaderList headers);

 private:
  std::shared_ptr<SessionBase> session_;
  uint64_t seq_;
  std::atomic<bool> answered_{false};
};

// Thread-safe event stream handle; the session marks it closed on its own thread.
class EventStreamImpl final : public EventStream {
 public:
  explicit EventStreamImpl(std::weak_ptr<SessionBase> session) : session_(std::move(session)) {}
  bool Send(const SseEvent& event) override;
  void Close() override;
  bool closed() const override { return closed_.load(std::memory_order_acquire); }
  void OnClose(std::function<void()> callback) override;
  // Session side: the connection is gone; runs the OnClose callback once.
  void MarkClosed();

 private:
  std::weak_ptr<SessionBase> session_;
  std::atomic<bool> closed_{false};
  std::mutex mu_;
  bool fired_ = false;              // GUARDED_BY(mu_)
  std::function<void()> on_close_;  // GUARDED_BY(mu_)
};

}  // namespace mandate::http::internal
