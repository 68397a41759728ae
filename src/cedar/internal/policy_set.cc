// PolicySet: static policies, templates and template links.
#include <algorithm>

#include "src/cedar/cedar.h"

namespace mandate::cedar {
namespace {

Status LinkErr(std::string message) { return InvalidArgument("cedar.link", std::move(message)); }

bool FillSlot(ScopeConstraint& scope, SlotId slot,
              const std::vector<std::pair<SlotId, EntityUid>>& values) {
  if (!scope.slot || *scope.slot != slot) return true;
  for (const auto& [id, uid] : values) {
    if (id == slot) {
      scope.entity = uid;
      scope.slot.reset();
      return true;
    }
  }
  return false;
}

}  // namespace

const Policy* PolicySet::FindPolicy(std::string_view id) const {
  for (const Policy& p : policies_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const Policy* PolicySet::FindTemplate(std::string_view id) const {
  for (const Policy& p : templates_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

Status PolicySet::Add(Policy policy) {
  if (FindPolicy(policy.id) || FindTemplate(policy.id)) {
    return InvalidArgument("cedar.policy_id", "duplicate policy id `" + policy.id + "`");
  }
  if (policy.is_template()) {
    templates_.push_back(std::move(policy));
  } else {
    policies_.push_back(std::move(policy));
  }
  return Status();
}

Status PolicySet::Link(std::string_view template_id, std::string new_id,
                       const std::vector<std::pair<SlotId, EntityUid>>& values) {
  const Policy* t = FindTemplate(template_id);
  if (!t) return LinkErr("unknown template `" + std::string(template_id) + "`");
  if (FindPolicy(new_id) || FindTemplate(new_id)) {
    return LinkErr("duplicate policy id `" + new_id + "`");
  }
  bool wants_principal = t->principal.slot.has_value();
  bool wants_resource = t->resource.slot.has_value();
  for (const auto& [slot, uid] : values) {
    if ((slot == SlotId::kPrincipal && !wants_principal) ||
        (slot == SlotId::kResource && !wants_resource)) {
      return LinkErr(std::string("template `") + std::string(template_id) + "` has no slot `" +
                     (slot == SlotId::kPrincipal ? "?principal" : "?resource") + "`");
    }
  }
  Policy linked = *t;
  linked.id = std::move(new_id);
  linked.template_id = std::string(template_id);
  if (!FillSlot(linked.principal, SlotId::kPrincipal, values) ||
      !FillSlot(linked.resource, SlotId::kResource, values)) {
    return LinkErr("missing a value for a slot of template `" + std::string(template_id) + "`");
  }
  policies_.push_back(std::move(linked));
  return Status();
}

}  // namespace mandate::cedar
