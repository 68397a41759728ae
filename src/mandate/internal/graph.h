// Step graphs as bitmasks: a mandate has at most kMaxSteps steps, so a set of steps is one word
// and reachability is a few dozen word operations.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace mandate::internal {

inline constexpr int kMaxSteps = 32;
inline constexpr int kMaxLoops = 4;
inline constexpr int kMaxLabels = 32;
using StepMask = uint32_t;
using Adjacency = std::array<StepMask, kMaxSteps>;

inline constexpr StepMask Bit(int i) { return StepMask{1} << i; }

// reach[i] = steps reachable from i by one or more edges (transitive closure).
inline Adjacency Closure(const Adjacency& adjacency, int n) {
  Adjacency reach = adjacency;
  for (int k = 0; k < n; ++k) {
    for (int i = 0; i < n; ++i) {
      if (reach[i] & Bit(k)) reach[i] |= reach[k];
    }
  }
  return reach;
}

// Steps reachable from `from` (inclusive) by zero or more edges.
inline StepMask ReachableFrom(const Adjacency& adjacency, int n, StepMask from) {
  StepMask seen = from, frontier = from;
  while (frontier) {
    StepMask next = 0;
    for (int i = 0; i < n; ++i) {
      if (frontier & Bit(i)) next |= adjacency[i];
    }
    frontier = next & ~seen;
    seen |= next;
  }
  return seen;
}

}  // namespace mandate::internal
