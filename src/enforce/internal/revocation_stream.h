// The transport of the revocation feed: subscribes to the authority's
// `GET /v1/revocations/stream` (Server-Sent Events) with the enforcement-point token over
// src/http's EventSubscription (reconnect with backoff, `Last-Event-ID` resume), and reports
// state and events to a RevocationFeed. A stream silent for longer than `idle_timeout` (the
// authority sends heartbeats) is treated as lost, so the feed's grace period starts.
// Thread-safety: the subscription runs on its own thread and only touches the thread-safe feed.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "src/enforce/revocation.h"
#include "src/http/client.h"

namespace mandate::enforce::internal {

struct RevocationStreamOptions {
  std::string authority_url;  // http(s)://host:port
  std::string ep_token;
  std::chrono::milliseconds reconnect_delay{100};
  std::chrono::milliseconds max_reconnect_delay{2'000};
  std::chrono::milliseconds idle_timeout{45'000};
};

// Subscribes `feed` until the returned subscription is destroyed. REQUIRES: `feed` outlives it.
// Waits up to 5 s for the first connection, so an enforcement point that has just started does
// not refuse its first calls with `revocation.not_synced` (after that it serves, and refuses
// until the stream connects: fail closed).
std::unique_ptr<http::EventSubscription> SubscribeRevocations(
    RevocationFeed& feed, const RevocationStreamOptions& options);

}  // namespace mandate::enforce::internal
