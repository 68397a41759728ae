// The transport of the revocation feed: subscribes to the authority's
// `GET /v1/revocations/stream` (Server-Sent Events) with the enforcement-point token, resumes
// with `Last-Event-ID` after every disconnect, and reports state and events to a RevocationFeed.
// A stream silent for longer than `idle_timeout` (the authority sends a heartbeat every 5 s) is
// treated as lost. Plain http only (an enforcement point sits next to the authority; put TLS on
// the loopback-free hop with a sidecar).
// Thread-safety: RunRevocationStream blocks its thread; it only touches the thread-safe feed.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "src/enforce/revocation.h"

namespace mandate::enforce::internal {

struct RevocationStreamOptions {
  std::string authority_url;  // http://host:port
  std::string ep_token;
  std::chrono::milliseconds reconnect_delay{100};
  std::chrono::milliseconds idle_timeout{15'000};
};

// Runs until `stop` is true. Never throws.
void RunRevocationStream(RevocationFeed& feed, const RevocationStreamOptions& options,
                         const std::atomic<bool>& stop);

}  // namespace mandate::enforce::internal
