// The inbound HTTP/1.1 side of the enforcement points (gateway, MCP proxy over HTTP): Boost.Beast,
// a thread per connection, keep-alive, bounded headers and bodies. It only moves bytes: each
// request goes to a Handler that returns the whole reply.
// TODO(http): move onto the src/http server once it exists; this is the only inbound HTTP code in
// src/enforce.
// Thread-safety: the Handler is called from many connection threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "src/http/message.h"
#include "src/util/status.h"

namespace mandate::enforce::internal {

struct InboundRequest {
  std::string method;
  std::string target;
  http::HeaderList headers;
  std::string body;
};

struct Reply {
  int status = 200;
  http::HeaderList headers;  // hop-by-hop headers and Content-Length are set by the listener
  std::string body;
};

using Handler = std::function<Reply(InboundRequest&)>;

struct ListenerOptions {
  std::string listen;  // HOST:PORT, port 0 = any free port
  size_t max_body_bytes = 1 << 20;
  std::string banner;  // printed as `<banner> listening on http://HOST:PORT` once bound
};

// Serves until `stop` is true, then exits the process (connection threads are detached).
// Returns only if it cannot listen (reason `listen.failed`, `config.invalid`).
Status RunListener(const ListenerOptions& options, const std::atomic<bool>& stop,
                   const Handler& handler);

// True for headers that describe one connection, never forwarded by a proxy.
bool IsHopByHopHeader(std::string_view name);

}  // namespace mandate::enforce::internal
