// Reverse-proxy helper for the enforcement gateway: forwards a server Request to an upstream
// over a ClientPool, buffered (request and response bodies are bounded by the server's and the
// pool's limits), with hooks to add or remove headers each way.
//
// Hop-by-hop headers (Connection and the headers it names, Keep-Alive, Proxy-Connection, TE,
// Trailer, Transfer-Encoding, Upgrade) and Host/Content-Length are never forwarded.
// Upstream failures become JSON errors that never echo upstream details:
// 504 `http.upstream_timeout`, 502 `http.upstream_too_large`, 502 `http.upstream_unavailable`.
// Thread-safety: Forward is safe from many threads (the pool is thread-safe); hooks must be too.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "src/http/client.h"
#include "src/http/server.h"

namespace mandate::http {

struct ProxyOptions {
  // Base URL of the upstream, e.g. "https://api.example:8443/base"; the forwarded request's
  // path is appended to its path.
  std::string upstream;
  // Edits the headers sent upstream (inject the real credential, strip the agent's own).
  std::function<void(HeaderList& headers)> edit_request_headers;
  // Edits the headers returned to the client (strip anything secret).
  std::function<void(HeaderList& headers)> edit_response_headers;
  // Adds X-Forwarded-For / X-Forwarded-Proto.
  bool add_forwarded_headers = true;
};

// True for a header that describes one connection and is never forwarded by a proxy: the fixed
// hop-by-hop set above plus Host and Content-Length, and any header `connection_header` (the
// message's Connection value) names.
bool IsHopByHopHeader(std::string_view name, std::string_view connection_header = {});

// Forwards `request` (method, body, end-to-end headers) to options.upstream + `target`
// (default: the request's own target, i.e. path and query) and returns the upstream's answer.
// Blocking: call it from an AsyncHandler's worker thread pool, not from a server thread.
Response Forward(ClientPool& pool, const Request& request, const ProxyOptions& options,
                 std::string_view target = {});

}  // namespace mandate::http
