// Resolution of a parsed schema: qualifies every name, inlines common types (rejecting cycles),
// checks that every referenced entity type, action and extension type is declared, and closes
// the entity-type and action hierarchies transitively.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "src/cedar/internal/schema_model.h"
#include "src/cedar/internal/schema_status.h"

namespace mandate::cedar::internal {
namespace {

std::string Qualify(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "::" + name;
}

Status SchemaError(std::string message) {
  return InvalidArgument("cedar.schema", std::move(message));
}

TypePtr Builtin(std::string_view name) {
  if (name == "Bool") return Type::Bool();
  if (name == "Long") return Type::Long();
  if (name == "String") return Type::String();
  if (name == "ipaddr") return Type::Ext(ExtensionKind::kIpAddr);
  if (name == "decimal") return Type::Ext(ExtensionKind::kDecimal);
  if (name == "datetime") return Type::Ext(ExtensionKind::kDatetime);
  if (name == "duration") return Type::Ext(ExtensionKind::kDuration);
  return nullptr;
}

bool ReservedCommonTypeName(std::string_view name) {
  static const std::set<std::string_view> kReserved = {"Bool",           "Boolean",   "Entity",
                                                       "EntityOrCommon", "Extension", "Long",
                                                       "Record",         "Set",       "String"};
  return kReserved.count(name) > 0;
}

bool MentionsCedarNamespace(std::string_view name) {
  return name == "__cedar" || name.rfind("__cedar::", 0) == 0 ||
         name.find("::__cedar") != std::string_view::npos;
}

class Resolver {
 public:
  explicit Resolver(const RawSchema& raw) : raw_(raw) {}

  Result<SchemaModel> Run() {
    CEDAR_RETURN_IF_ERROR(Index());
    SchemaModel model;
    // Entity types.
    for (const auto& [name, decl] : entities_) {
      const auto& [raw, ns] = decl;
      EntityTypeDef def;
      def.name = name;
      for (const auto& parent : raw->member_of) {
        auto resolved = ResolveEntityTypeName(parent, ns);
        if (!resolved) return Err(resolved.error().WithContext("entity type `" + name + "`"));
        def.parents.insert(*resolved);
      }
      if (raw->shape) {
        auto shape = ResolveType(*raw->shape, ns, 0);
        if (!shape) return Err(shape.error().WithContext("entity type `" + name + "`"));
        if ((*shape)->kind != Type::Kind::kRecord) {
          return Err(SchemaError("entity type `" + name + "`: its shape must be a record type"));
        }
        def.attributes = (*shape)->attributes;
      }
      if (raw->tags) {
        auto tags = ResolveType(*raw->tags, ns, 0);
        if (!tags) return Err(tags.error().WithContext("entity type `" + name + "` tags"));
        def.tags = *tags;
      }
      if (raw->enum_ids) {
        if (raw->enum_ids->empty()) {
          return Err(SchemaError("entity type `" + name + "`: an enumeration needs an id"));
        }
        def.enum_ids = raw->enum_ids;
      }
      model.entity_types.emplace(name, std::move(def));
    }
    // Descendants: every type is a descendant of its parents, transitively.
    for (auto& [name, def] : model.entity_types) {
      std::vector<std::string> stack(def.parents.begin(), def.parents.end());
      std::set<std::string> seen;
      while (!stack.empty()) {
        std::string parent = stack.back();
        stack.pop_back();
        if (!seen.insert(parent).second) continue;
        auto it = model.entity_types.find(parent);
        if (it == model.entity_types.end()) continue;
        it->second.descendants.insert(name);
        for (const auto& p : it->second.parents) stack.push_back(p);
      }
    }
    // Actions.
    for (const auto& [uid, decl] : actions_) {
      const auto& [raw, ns] = decl;
      ActionDef def;
      def.uid = uid;
      std::string where = "action `" + uid.ToString() + "`";
      for (const auto& ref : raw->member_of) {
        EntityUid parent = ActionUid(ref, ns);
        if (!actions_.count(parent)) {
          return Err(SchemaError(where + ": undeclared parent action `" + parent.ToString() + "`"));
        }
        def.parents.push_back(parent);
      }
      if (raw->has_applies_to) {
        for (const auto& t : raw->principal_types) {
          auto resolved = ResolveEntityTypeName(t, ns);
          if (!resolved) return Err(resolved.error().WithContext(where + " principal"));
          def.principal_types.push_back(*resolved);
        }
        for (const auto& t : raw->resource_types) {
          auto resolved = ResolveEntityTypeName(t, ns);
          if (!resolved) return Err(resolved.error().WithContext(where + " resource"));
          def.resource_types.push_back(*resolved);
        }
      }
      if (raw->context) {
        auto context = ResolveType(*raw->context, ns, 0);
        if (!context) return Err(context.error().WithContext(where + " context"));
        if ((*context)->kind != Type::Kind::kRecord) {
          return Err(SchemaError(where + ": its context must be a record type"));
        }
        def.context = *context;
      } else {
        def.context = Type::RecordOf({});
      }
      model.action_types.insert(uid.type());
      model.actions.emplace(uid, std::move(def));
    }
    // Action ancestors and descendants; a cycle is an error.
    for (auto& [uid, def] : model.actions) {
      std::vector<EntityUid> stack(def.parents.begin(), def.parents.end());
      while (!stack.empty()) {
        EntityUid parent = stack.back();
        stack.pop_back();
        if (parent == uid) {
          return Err(SchemaError("action `" + uid.ToString() +
                                 "` is in a cycle of the action "
                                 "hierarchy"));
        }
        if (!def.ancestors.insert(parent).second) continue;
        for (const auto& p : model.actions.at(parent).parents) stack.push_back(p);
      }
    }
    for (const auto& [uid, def] : model.actions) {
      for (const auto& ancestor : def.ancestors) {
        model.actions.at(ancestor).descendants.insert(uid);
      }
    }
    return model;
  }

 private:
  Status Index() {
    std::set<std::string> namespaces;
    size_t declarations = 0;
    for (const auto& ns : raw_.namespaces) {
      if (MentionsCedarNamespace(ns.name)) {
        return SchemaError("namespace `" + ns.name + "` uses the reserved `__cedar` namespace");
      }
      for (const auto& ct : ns.common_types) {
        std::string name = Qualify(ns.name, ct.name);
        if (ReservedCommonTypeName(ct.name) || MentionsCedarNamespace(ct.name)) {
          return SchemaError("common type `" + name + "` uses a reserved name");
        }
        if (!commons_.emplace(name, std::make_pair(&ct, ns.name)).second) {
          return SchemaError("common type `" + name + "` is declared twice");
        }
        ++declarations;
      }
      for (const auto& et : ns.entity_types) {
        std::string name = Qualify(ns.name, et.name);
        if (MentionsCedarNamespace(et.name)) {
          return SchemaError("entity type `" + name + "` uses the reserved `__cedar` namespace");
        }
        if (!entities_.emplace(name, std::make_pair(&et, ns.name)).second) {
          return SchemaError("entity type `" + name + "` is declared twice");
        }
        ++declarations;
      }
      for (const auto& action : ns.actions) {
        EntityUid uid(Qualify(ns.name, "Action"), action.id);
        if (!actions_.emplace(uid, std::make_pair(&action, ns.name)).second) {
          return SchemaError("action `" + uid.ToString() + "` is declared twice");
        }
        ++declarations;
      }
    }
    (void)declarations;
    return {};
  }

  EntityUid ActionUid(const RawActionRef& ref, const std::string& ns) const {
    if (!ref.type) return EntityUid(Qualify(ns, "Action"), ref.id);
    if (ref.type->find("::") == std::string::npos) return EntityUid(Qualify(ns, *ref.type), ref.id);
    return EntityUid(*ref.type, ref.id);
  }

  Result<std::string> ResolveEntityTypeName(const std::string& name, const std::string& ns) const {
    if (name.find("::") == std::string::npos) {
      std::string local = Qualify(ns, name);
      if (entities_.count(local)) return local;
      if (entities_.count(name)) return name;
    } else if (entities_.count(name)) {
      return name;
    }
    return Err(SchemaError("undeclared entity type `" + name + "`"));
  }

  Result<TypePtr> ResolveCommon(const std::string& name, size_t depth) {
    auto done = resolved_commons_.find(name);
    if (done != resolved_commons_.end()) return done->second;
    if (!in_progress_.insert(name).second) {
      return Err(SchemaError("common type `" + name + "` is defined in terms of itself"));
    }
    const auto& [raw, ns] = commons_.at(name);
    auto type = ResolveType(*raw->type, ns, depth + 1);
    in_progress_.erase(name);
    if (!type) return Err(type.error().WithContext("common type `" + name + "`"));
    resolved_commons_[name] = *type;
    return *type;
  }

  // A name in a type position: common type, then entity type, in the enclosing namespace, then
  // in the empty namespace, then a builtin (`__cedar::` names are always builtins).
  Result<TypePtr> ResolveName(const std::string& name, const std::string& ns, size_t depth) {
    if (name.rfind("__cedar::", 0) == 0) {
      if (TypePtr b = Builtin(name.substr(9))) return b;
      return Err(SchemaError("unknown builtin type `" + name + "`"));
    }
    std::vector<std::string> candidates;
    if (name.find("::") == std::string::npos) {
      if (!ns.empty()) candidates.push_back(Qualify(ns, name));
    }
    candidates.push_back(name);
    for (const auto& candidate : candidates) {
      if (commons_.count(candidate)) return ResolveCommon(candidate, depth);
      if (entities_.count(candidate)) return Type::EntityOf(candidate);
    }
    if (name.find("::") == std::string::npos) {
      if (TypePtr b = Builtin(name)) return b;
    }
    return Err(SchemaError("undeclared type `" + name + "`"));
  }

  Result<TypePtr> ResolveType(const RawType& raw, const std::string& ns, size_t depth) {
    if (depth > 256) return Err(SchemaError("type nesting is too deep"));
    switch (raw.kind) {
      case RawType::Kind::kBool:
        return Type::Bool();
      case RawType::Kind::kLong:
        return Type::Long();
      case RawType::Kind::kString:
        return Type::String();
      case RawType::Kind::kName:
      case RawType::Kind::kCommon:
        return ResolveName(raw.name, ns, depth);
      case RawType::Kind::kEntity: {
        auto name = ResolveEntityTypeName(raw.name, ns);
        if (!name) return Err(name.error());
        return Type::EntityOf(*name);
      }
      case RawType::Kind::kExtension: {
        std::string_view n = raw.name;
        if (n.rfind("__cedar::", 0) == 0) n.remove_prefix(9);
        TypePtr b = Builtin(n);
        if (!b || b->kind != Type::Kind::kExtension) {
          return Err(SchemaError("unknown extension type `" + raw.name + "`"));
        }
        return b;
      }
      case RawType::Kind::kSet: {
        auto element = ResolveType(*raw.element, ns, depth + 1);
        if (!element) return element;
        return Type::SetOf(*element);
      }
      case RawType::Kind::kRecord: {
        Attributes attributes;
        for (const auto& a : raw.attributes) {
          auto t = ResolveType(*a.type, ns, depth + 1);
          if (!t) return Err(t.error().WithContext("attribute `" + a.name + "`"));
          if (!attributes.emplace(a.name, AttributeType{*t, a.required}).second) {
            return Err(SchemaError("duplicate attribute `" + a.name + "`"));
          }
        }
        return Type::RecordOf(std::move(attributes), raw.open);
      }
    }
    return Err(SchemaError("unknown type"));
  }

  const RawSchema& raw_;
  std::map<std::string, std::pair<const RawCommonType*, std::string>> commons_;
  std::map<std::string, std::pair<const RawEntityType*, std::string>> entities_;
  std::map<EntityUid, std::pair<const RawAction*, std::string>> actions_;
  std::map<std::string, TypePtr> resolved_commons_;
  std::set<std::string> in_progress_;
};

}  // namespace

bool IsActionEntityType(std::string_view type) {
  return type == "Action" || (type.size() > 8 && type.substr(type.size() - 8) == "::Action");
}

const EntityTypeDef* SchemaModel::FindEntityType(std::string_view name) const {
  auto it = entity_types.find(std::string(name));
  return it == entity_types.end() ? nullptr : &it->second;
}

const ActionDef* SchemaModel::FindAction(const EntityUid& uid) const {
  auto it = actions.find(uid);
  return it == actions.end() ? nullptr : &it->second;
}

std::set<std::string> SchemaModel::EntityTypesIn(const std::string& type) const {
  std::set<std::string> out;
  if (const EntityTypeDef* def = FindEntityType(type)) out = def->descendants;
  out.insert(type);
  return out;
}

Result<SchemaModel> ResolveSchema(const RawSchema& raw) { return Resolver(raw).Run(); }

}  // namespace mandate::cedar::internal
