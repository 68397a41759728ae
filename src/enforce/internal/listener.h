// The inbound side of the HTTP enforcement points (gateway, MCP proxy over HTTP): the src/http
// server (keep-alive, bounded headers and bodies, JSON errors) with every request handed to a
// blocking Handler on a worker pool, because deciding a call and forwarding it wait on the
// authority and the upstream, and the server's own threads must never block.
// Thread-safety: the Handler is called from many pool threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "src/http/server.h"
#include "src/util/status.h"

namespace mandate::enforce::internal {

// Returns the whole answer; may block (authority and upstream calls).
using Handler = std::function<http::Response(const http::Request&)>;

struct ListenerOptions {
  std::string listen;  // HOST:PORT, port 0 = any free port
  size_t max_body_bytes = 1 << 20;
  std::string banner;        // printed as `<banner> listening on http://HOST:PORT` once bound
  int handler_threads = 64;  // RunListener: requests decided and forwarded at once
  int server_threads = 2;    // threads reading and writing connections
  std::optional<http::TlsOptions> tls = std::nullopt;  // HTTPS (mTLS with a client CA)
};

// Serves until `stop` is true, then stops gracefully. Errors: `config.invalid` (listen is not
// HOST:PORT with an IP host), `http.listen`.
Status RunListener(const ListenerOptions& options, const std::atomic<bool>& stop,
                   const Handler& handler);

// The same with the handler called on the server's own threads (`server_threads` of them): it
// must not block, and answers through the Responder, from any thread. `handler_threads` is
// unused here.
Status RunAsyncListener(const ListenerOptions& options, const std::atomic<bool>& stop,
                        const http::AsyncHandler& handler);

// A reply assembled from a header list: `Content-Type` moves to the response's own field and
// hop-by-hop headers (those `Connection` names included) are dropped.
http::Response MakeResponse(int status, http::HeaderList headers, std::string body);

}  // namespace mandate::enforce::internal
