// SHARED MODEL (cedarcore + cedarschema): the entity store with precomputed ancestor sets.
//
// Every UID the store mentions (defined entities and parents that are not defined themselves)
// gets a dense index; each defined entity keeps the sorted indexes of all its ancestors (the
// transitive closure of `parents`), so `A in B` is two hash lookups and a binary search.
// Thread-safety: immutable after Build; safe to read from many threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/cedar/internal/value.h"
#include "src/util/status.h"

namespace mandate::cedar {

struct EntityData {
  EntityUid uid;
  Value attrs = Value::RecordOf({});  // a Record
  std::vector<EntityUid> parents;
  Value tags = Value::RecordOf({});  // a Record of tag name -> value
};

class Entities {
 public:
  Entities() = default;

  // Builds the store and its ancestor sets. Rejects (reason `cedar.entities`) a UID defined
  // twice and a cycle in `parents` (Cedar requires the hierarchy to be a DAG).
  [[nodiscard]] static Result<Entities> Build(std::vector<EntityData> entities);

  // The entity with this UID, or nullptr when it is not defined in the store.
  const EntityData* Find(const EntityUid& uid) const;
  // True when `ancestor` is a strict ancestor of `uid` (reachable through parents).
  bool IsAncestor(const EntityUid& uid, const EntityUid& ancestor) const;
  // Calls f(const EntityUid&) for every strict ancestor of `uid` (none if undefined).
  template <typename F>
  void ForEachAncestor(const EntityUid& uid, F&& f) const {
    auto it = index_.find(uid);
    if (it == index_.end()) return;
    for (uint32_t a : nodes_[it->second].ancestors) f(nodes_[a].uid);
  }

  size_t size() const { return defined_; }
  // Defined entities in insertion order.
  std::vector<const EntityData*> All() const;

 private:
  struct Node {
    EntityUid uid;
    int32_t entity = -1;              // index into entities_, -1 when only mentioned as a parent
    std::vector<uint32_t> ancestors;  // sorted node indexes
  };
  std::vector<EntityData> entities_;
  std::vector<Node> nodes_;
  std::unordered_map<EntityUid, uint32_t, EntityUidHash> index_;
  size_t defined_ = 0;
};

}  // namespace mandate::cedar
