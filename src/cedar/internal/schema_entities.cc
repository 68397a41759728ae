#include "src/cedar/internal/schema_entities.h"

#include <algorithm>
#include <utility>

#include "src/cedar/internal/schema_status.h"

namespace mandate::cedar::internal {
namespace {

Status Mismatch(const std::string& what, const std::string& message) {
  return InvalidArgument("cedar.type_mismatch", what + ": " + message);
}

}  // namespace

std::shared_ptr<const TypeHint> HintForType(const Type& type) {
  auto hint = std::make_shared<TypeHint>();
  using K = Type::Kind;
  switch (type.kind) {
    case K::kTrue:
    case K::kFalse:
    case K::kBool:
      hint->kind = TypeHint::Kind::kBool;
      break;
    case K::kLong:
      hint->kind = TypeHint::Kind::kLong;
      break;
    case K::kString:
      hint->kind = TypeHint::Kind::kString;
      break;
    case K::kEntity:
    case K::kAction:
      hint->kind = TypeHint::Kind::kEntity;
      if (type.entity_types.size() == 1) hint->entity_type = *type.entity_types.begin();
      break;
    case K::kSet:
      hint->kind = TypeHint::Kind::kSet;
      hint->element = type.element ? HintForType(*type.element) : std::make_shared<TypeHint>();
      break;
    case K::kRecord:
      hint->kind = TypeHint::Kind::kRecord;
      hint->open = type.open;
      for (const auto& [name, at] : type.attributes) {
        hint->attributes.emplace_back(name,
                                      TypeHint::Attribute{HintForType(*at.type), at.required});
      }
      break;
    case K::kExtension:
      hint->kind = TypeHint::Kind::kExtension;
      hint->extension = type.extension;
      break;
    case K::kNever:
    case K::kAnyEntity:
      hint->kind = type.kind == K::kAnyEntity ? TypeHint::Kind::kEntity : TypeHint::Kind::kAny;
      break;
  }
  return hint;
}

Status CheckEntityUid(const EntityUid& uid, const SchemaModel& model) {
  if (IsActionEntityType(uid.type()) && model.action_types.count(uid.type())) {
    if (!model.FindAction(uid)) {
      return InvalidArgument("cedar.entity_invalid",
                             "action `" + uid.ToString() + "` is not declared in the schema");
    }
    return {};
  }
  const EntityTypeDef* def = model.FindEntityType(uid.type());
  if (!def) {
    return InvalidArgument("cedar.entity_invalid",
                           "entity type `" + uid.type() + "` is not declared in the schema");
  }
  if (def->enum_ids &&
      std::find(def->enum_ids->begin(), def->enum_ids->end(), uid.id()) == def->enum_ids->end()) {
    return InvalidArgument(
        "cedar.entity_invalid",
        "entity `" + uid.ToString() + "` is not one of the enumerated ids of `" + uid.type() + "`");
  }
  return {};
}

Status CheckConforms(const Value& value, const Type& type, const SchemaModel& model,
                     const std::string& what) {
  using K = Type::Kind;
  auto expected = [&]() {
    return Mismatch(what,
                    "expected " + TypeToString(type) + ", found " + std::string(KindName(value)));
  };
  switch (type.kind) {
    case K::kTrue:
    case K::kFalse:
    case K::kBool:
      return value.is_bool() ? Status() : expected();
    case K::kLong:
      return value.is_long() ? Status() : expected();
    case K::kString:
      return value.is_string() ? Status() : expected();
    case K::kEntity:
    case K::kAction:
      if (!value.is_entity() || !type.entity_types.count(value.as_entity().type())) {
        return value.is_entity()
                   ? Mismatch(what, "expected an entity of type " + TypeToString(type) +
                                        ", found `" + value.as_entity().ToString() + "`")
                   : expected();
      }
      return CheckEntityUid(value.as_entity(), model);
    case K::kAnyEntity:
      return value.is_entity() ? Status() : expected();
    case K::kSet:
      if (!value.is_set()) return expected();
      if (!type.element) return {};
      for (const Value& element : value.as_set()) {
        CEDAR_RETURN_IF_ERROR(CheckConforms(element, *type.element, model, what + " element"));
      }
      return {};
    case K::kRecord: {
      if (!value.is_record()) return expected();
      const Record& record = value.as_record();
      for (const auto& [name, field] : record) {
        auto it = type.attributes.find(name);
        if (it == type.attributes.end()) {
          if (type.open) continue;
          return Mismatch(what, "unexpected attribute `" + name + "`");
        }
        CEDAR_RETURN_IF_ERROR(
            CheckConforms(field, *it->second.type, model, what + " attribute `" + name + "`"));
      }
      for (const auto& [name, at] : type.attributes) {
        if (at.required && !value.Field(name)) {
          return Mismatch(what, "missing required attribute `" + name + "`");
        }
      }
      return {};
    }
    case K::kExtension:
      if (!value.is_extension() || value.as_extension().kind != type.extension) return expected();
      return {};
    case K::kNever:
      return expected();
  }
  return expected();
}

SchemaEntityHook::SchemaEntityHook(const SchemaModel& model) : model_(model) {
  empty_record_ = HintForType(*Type::RecordOf({}));
  for (const auto& [name, def] : model.entity_types) {
    attributes_[name] = HintForType(*Type::RecordOf(def.attributes));
    if (def.tags) tags_[name] = HintForType(*def.tags);
  }
  for (const auto& [uid, def] : model.actions) contexts_[uid] = HintForType(*def.context);
}

Result<const TypeHint*> SchemaEntityHook::AttributesHint(const EntityUid& uid) const {
  CEDAR_RETURN_IF_ERROR(CheckEntityUid(uid, model_));
  auto it = attributes_.find(uid.type());
  return it == attributes_.end() ? empty_record_.get() : it->second.get();
}

Result<const TypeHint*> SchemaEntityHook::TagsHint(const EntityUid& uid) const {
  auto it = tags_.find(uid.type());
  return it == tags_.end() ? nullptr : it->second.get();
}

Status SchemaEntityHook::CheckEntity(const EntityData& entity) const {
  const EntityUid& uid = entity.uid;
  CEDAR_RETURN_IF_ERROR(CheckEntityUid(uid, model_));
  std::string what = "entity `" + uid.ToString() + "`";
  if (const ActionDef* action = model_.FindAction(uid)) {
    for (const auto& parent : entity.parents) {
      if (!action->ancestors.count(parent)) {
        return InvalidArgument("cedar.entity_invalid",
                               what + ": parent `" + parent.ToString() +
                                   "` differs from the action hierarchy in the schema");
      }
    }
    if (entity.attrs.is_record() && !entity.attrs.as_record().empty()) {
      return InvalidArgument("cedar.entity_invalid", what + ": actions have no attributes");
    }
    return {};
  }
  const EntityTypeDef* def = model_.FindEntityType(uid.type());
  for (const auto& parent : entity.parents) {
    if (!def->parents.count(parent.type())) {
      return InvalidArgument("cedar.entity_invalid", what + ": parent `" + parent.ToString() +
                                                         "` has type `" + parent.type() +
                                                         "`, which `" + uid.type() +
                                                         "` is not declared to be a member of");
    }
    CEDAR_RETURN_IF_ERROR(CheckEntityUid(parent, model_));
  }
  CEDAR_RETURN_IF_ERROR(
      CheckConforms(entity.attrs, *Type::RecordOf(def->attributes), model_, what + " attributes"));
  bool has_tags = entity.tags.is_record() && !entity.tags.as_record().empty();
  if (has_tags && !def->tags) {
    return InvalidArgument("cedar.entity_invalid",
                           what + ": entity type `" + uid.type() + "` declares no tags");
  }
  if (has_tags) {
    for (const auto& [key, tag] : entity.tags.as_record()) {
      CEDAR_RETURN_IF_ERROR(CheckConforms(tag, *def->tags, model_, what + " tag `" + key + "`"));
    }
  }
  return {};
}

std::vector<EntityData> SchemaEntityHook::DeclaredEntities() const {
  std::vector<EntityData> out;
  out.reserve(model_.actions.size());
  for (const auto& [uid, def] : model_.actions) {
    EntityData entity;
    entity.uid = uid;
    entity.parents = def.parents;
    out.push_back(std::move(entity));
  }
  return out;
}

const TypeHint* SchemaEntityHook::ContextHint(const EntityUid& action) const {
  auto it = contexts_.find(action);
  return it == contexts_.end() ? nullptr : it->second.get();
}

}  // namespace mandate::cedar::internal
