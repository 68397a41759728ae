// Schema-directed typing of entities, context and requests: the EntitySchemaHook the JSON
// readers call, the TypeHints built from schema types, and value conformance checks.
// Thread-safety: immutable after construction; safe to use from many threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/schema_model.h"

namespace mandate::cedar::internal {

// The TypeHint that parses JSON into a value of `type` (strings become extension values,
// `{"type","id"}` objects entity references).
std::shared_ptr<const TypeHint> HintForType(const Type& type);

// Checks that `value` has schema type `type` (closed records, required attributes, entity types,
// enumerated ids). `what` names the value in the error. Reason `cedar.type_mismatch`.
Status CheckConforms(const Value& value, const Type& type, const SchemaModel& model,
                     const std::string& what);

// Checks an entity reference: its type is declared (or an action declared in the schema) and
// an enumerated type's id is one of its choices. Reason `cedar.entity_invalid`.
Status CheckEntityUid(const EntityUid& uid, const SchemaModel& model);

class SchemaEntityHook final : public EntitySchemaHook {
 public:
  // REQUIRES: `model` outlives the hook.
  explicit SchemaEntityHook(const SchemaModel& model);

  Result<const TypeHint*> AttributesHint(const EntityUid& uid) const override;
  Result<const TypeHint*> TagsHint(const EntityUid& uid) const override;
  Status CheckEntity(const EntityData& entity) const override;
  std::vector<EntityData> DeclaredEntities() const override;

  // The context hint of a declared action; nullptr when the action is not declared.
  const TypeHint* ContextHint(const EntityUid& action) const;

 private:
  const SchemaModel& model_;
  std::map<std::string, std::shared_ptr<const TypeHint>> attributes_;
  std::map<std::string, std::shared_ptr<const TypeHint>> tags_;
  std::map<EntityUid, std::shared_ptr<const TypeHint>> contexts_;
  std::shared_ptr<const TypeHint> empty_record_;
};

}  // namespace mandate::cedar::internal
