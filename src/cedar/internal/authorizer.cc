// The authorizer: an immutable policy set indexed by scope constraints.
//
// Every policy is filed under ONE key: a (dimension, entity) pair taken from its scope where
// the scope says `== E`, `in E`, `in [E, ...]` (one key per element) or `is T in E`, choosing
// the key shared by the fewest policies; policies without such a constraint go to a small
// unindexed list. For a request, the candidates are the policies filed under the request's
// principal/action/resource or any of their ancestors, plus the unindexed ones; only those
// are evaluated, in policy order.
#include <algorithm>
#include <array>
#include <unordered_map>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/evaluator.h"

namespace mandate::cedar {
namespace {

enum Dim : uint8_t { kPrincipal = 0, kAction = 1, kResource = 2 };

// Candidate policy indexes: inline storage for the common case, the heap beyond it, so a
// typical decision allocates nothing here.
class Candidates {
 public:
  void Append(const uint32_t* first, size_t count) {
    if (heap_.empty() && size_ + count <= kInline) {
      std::copy(first, first + count, inline_ + size_);
    } else {
      if (heap_.empty()) heap_.assign(inline_, inline_ + size_);
      heap_.insert(heap_.end(), first, first + count);
    }
    size_ += count;
  }
  uint32_t* begin() { return heap_.empty() ? inline_ : heap_.data(); }
  uint32_t* end() { return begin() + size_; }
  // Sorts and removes duplicates.
  void Normalize() {
    std::sort(begin(), end());
    size_ = static_cast<size_t>(std::unique(begin(), end()) - begin());
  }

 private:
  static constexpr size_t kInline = 64;
  uint32_t inline_[kInline];
  size_t size_ = 0;
  std::vector<uint32_t> heap_;
};

std::vector<EntityUid> IndexKeys(const ScopeConstraint& s) {
  using Op = ScopeConstraint::Op;
  if (s.op == Op::kEq || s.op == Op::kIn || s.op == Op::kIsIn) {
    if (s.is_list) return s.entities;
    if (s.entity) return {*s.entity};
  }
  return {};
}

}  // namespace

struct Authorizer::Impl {
  std::vector<Policy> policies;
  std::array<std::unordered_map<EntityUid, std::vector<uint32_t>, EntityUidHash>, 3> index;
  std::vector<uint32_t> unindexed;
  bool action_list_dupes = false;  // a policy may be filed under several keys

  void Collect(Dim dim, const EntityUid& uid, const Entities& entities, Candidates& out) const {
    const auto& map = index[dim];
    if (map.empty()) return;
    auto add = [&](const EntityUid& key) {
      auto it = map.find(key);
      if (it != map.end()) out.Append(it->second.data(), it->second.size());
    };
    add(uid);
    entities.ForEachAncestor(uid, add);
  }
};

Authorizer::Authorizer() : impl_(std::make_unique<Impl>()) {}
Authorizer::~Authorizer() = default;
size_t Authorizer::size() const { return impl_->policies.size(); }

Result<std::shared_ptr<const Authorizer>> Authorizer::Build(const PolicySet& policies) {
  std::shared_ptr<Authorizer> a(new Authorizer());
  Impl& impl = *a->impl_;
  impl.policies = policies.policies();
  // Count how many policies each key would hold, then file each policy under its rarest key.
  std::array<std::unordered_map<EntityUid, uint32_t, EntityUidHash>, 3> counts;
  std::vector<std::array<std::vector<EntityUid>, 3>> keys(impl.policies.size());
  for (size_t i = 0; i < impl.policies.size(); ++i) {
    const Policy& p = impl.policies[i];
    if (p.is_template()) {
      return Err(StatusCode::kInvalidArgument, "cedar.link",
                 "policy `" + p.id + "` has an unfilled template slot");
    }
    keys[i][kPrincipal] = IndexKeys(p.principal);
    keys[i][kAction] = IndexKeys(p.action);
    keys[i][kResource] = IndexKeys(p.resource);
    for (int d = 0; d < 3; ++d) {
      for (const EntityUid& k : keys[i][d]) ++counts[d][k];
    }
  }
  for (size_t i = 0; i < impl.policies.size(); ++i) {
    int best = -1;
    uint64_t best_cost = UINT64_MAX;
    for (int d = 0; d < 3; ++d) {
      const auto& ks = keys[i][d];
      if (ks.empty()) continue;
      uint64_t cost = 0;
      for (const EntityUid& k : ks) cost += counts[d][k];
      if (cost < best_cost) {
        best_cost = cost;
        best = d;
      }
    }
    if (best < 0) {
      impl.unindexed.push_back(static_cast<uint32_t>(i));
      continue;
    }
    if (keys[i][best].size() > 1) impl.action_list_dupes = true;
    for (const EntityUid& k : keys[i][best]) {
      impl.index[best][k].push_back(static_cast<uint32_t>(i));
    }
  }
  return std::shared_ptr<const Authorizer>(std::move(a));
}

Response Authorizer::Authorize(const Request& request, const Entities& entities) const {
  const Impl& impl = *impl_;
  Candidates candidates;
  candidates.Append(impl.unindexed.data(), impl.unindexed.size());
  impl.Collect(kPrincipal, request.principal, entities, candidates);
  impl.Collect(kAction, request.action, entities, candidates);
  impl.Collect(kResource, request.resource, entities, candidates);
  // Several keys of one request can hold the same policy (an entity and its ancestor both
  // listed); policy order also fixes the order of reasons and errors.
  candidates.Normalize();

  internal::Evaluator evaluator(request, entities);
  Response response;
  // Per thread and kept from call to call: a decision allocates nothing here.
  thread_local std::vector<const std::string*> permits, forbids;
  permits.clear();
  forbids.clear();
  for (uint32_t i : candidates) {
    const Policy& p = impl.policies[i];
    auto sat = evaluator.Satisfied(p);
    if (!sat) {
      response.errors.push_back(PolicyError{p.id, std::move(sat.error().message)});
      continue;
    }
    if (!*sat) continue;
    (p.effect == Effect::kPermit ? permits : forbids).push_back(&p.id);
  }
  const auto& chosen = forbids.empty() ? permits : forbids;
  response.decision = forbids.empty() && !permits.empty() ? Decision::kAllow : Decision::kDeny;
  response.reasons.reserve(chosen.size());
  for (const std::string* id : chosen) response.reasons.push_back(*id);
  return response;
}

Result<Value> Authorizer::Evaluate(const Expr& expr, const Request& request,
                                   const Entities& entities) {
  internal::Evaluator evaluator(request, entities);
  auto v = evaluator.Eval(expr);
  if (!v) return Err(StatusCode::kInvalidArgument, "cedar.eval", std::move(v.error().message));
  return *std::move(v);
}

}  // namespace mandate::cedar
