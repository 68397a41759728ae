#include "src/cedar/internal/entities.h"

#include <algorithm>

namespace mandate::cedar {

Result<Entities> Entities::Build(std::vector<EntityData> entities) {
  Entities store;
  store.entities_ = std::move(entities);
  auto intern = [&store](const EntityUid& uid) -> uint32_t {
    auto [it, inserted] = store.index_.try_emplace(uid, static_cast<uint32_t>(store.nodes_.size()));
    if (inserted) store.nodes_.push_back(Node{uid, -1, {}});
    return it->second;
  };
  for (size_t i = 0; i < store.entities_.size(); ++i) {
    uint32_t n = intern(store.entities_[i].uid);
    if (store.nodes_[n].entity >= 0) {
      return Err(StatusCode::kInvalidArgument, "cedar.entities",
                 "duplicate entity `" + store.entities_[i].uid.ToString() + "`");
    }
    store.nodes_[n].entity = static_cast<int32_t>(i);
  }
  // Parent edges by node index.
  std::vector<std::vector<uint32_t>> parents(store.nodes_.size());
  for (const EntityData& e : store.entities_) {
    uint32_t n = store.index_.at(e.uid);
    for (const EntityUid& p : e.parents) {
      uint32_t pn = intern(p);
      if (parents.size() < store.nodes_.size()) parents.resize(store.nodes_.size());
      parents[n].push_back(pn);
    }
  }
  parents.resize(store.nodes_.size());
  // Transitive closure by a DFS from each defined node; a cycle is an error (as in Cedar).
  std::vector<uint32_t> stack;
  std::vector<uint32_t> seen_mark(store.nodes_.size(), UINT32_MAX);
  for (uint32_t n = 0; n < store.nodes_.size(); ++n) {
    if (store.nodes_[n].entity < 0) continue;
    std::vector<uint32_t>& anc = store.nodes_[n].ancestors;
    stack.assign(parents[n].begin(), parents[n].end());
    while (!stack.empty()) {
      uint32_t a = stack.back();
      stack.pop_back();
      if (seen_mark[a] == n) continue;
      seen_mark[a] = n;
      if (a == n) {
        return Err(
            StatusCode::kInvalidArgument, "cedar.entities",
            "the entity hierarchy has a cycle through `" + store.nodes_[n].uid.ToString() + "`");
      }
      anc.push_back(a);
      for (uint32_t p : parents[a]) {
        if (seen_mark[p] != n) stack.push_back(p);
      }
    }
    std::sort(anc.begin(), anc.end());
  }
  store.defined_ = store.entities_.size();
  return store;
}

const EntityData* Entities::Find(const EntityUid& uid) const {
  auto it = index_.find(uid);
  if (it == index_.end() || nodes_[it->second].entity < 0) return nullptr;
  return &entities_[nodes_[it->second].entity];
}

bool Entities::IsAncestor(const EntityUid& uid, const EntityUid& ancestor) const {
  auto it = index_.find(uid);
  if (it == index_.end()) return false;
  const auto& anc = nodes_[it->second].ancestors;
  if (anc.empty()) return false;
  auto jt = index_.find(ancestor);
  if (jt == index_.end()) return false;
  return std::binary_search(anc.begin(), anc.end(), jt->second);
}

std::vector<const EntityData*> Entities::All() const {
  std::vector<const EntityData*> out;
  out.reserve(entities_.size());
  for (const EntityData& e : entities_) out.push_back(&e);
  return out;
}

}  // namespace mandate::cedar
