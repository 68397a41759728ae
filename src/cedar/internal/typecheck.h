// Cedar's strict-mode typechecker over one request environment (principal type, action,
// resource type, context type, and the entity types linked into template slots).
//
// Mirrors Cedar's rules: singleton boolean types and short-circuiting (`false && e` does not
// typecheck `e`), least upper bounds that must exist in strict mode, capabilities from `has`
// and `hasTag` guards, `in` decided from the entity-type and action hierarchies, extension
// function signatures with literal-only constructors.
// Thread-safety: a Typechecker is used by one thread; the schema it reads is immutable.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/cedar/internal/ast.h"
#include "src/cedar/internal/schema_model.h"
#include "src/cedar/schema.h"

namespace mandate::cedar::internal {

struct RequestEnv {
  std::string principal_type;
  const ActionDef* action = nullptr;
  std::string resource_type;
  std::optional<std::string> principal_slot;  // entity type linked into ?principal
  std::optional<std::string> resource_slot;   // entity type linked into ?resource
};

// Outcome of typechecking one policy condition in one environment.
struct EnvCheck {
  enum class Outcome : uint8_t { kSuccess, kIrrelevant, kFail };
  Outcome outcome = Outcome::kFail;
  std::vector<ValidationIssue> errors;
};

// Typechecks `condition` (a boolean expression) in `env`. `max_depth` bounds recursion.
EnvCheck TypecheckCondition(const SchemaModel& schema, const RequestEnv& env,
                            const std::string& policy_id, const Expr& condition,
                            size_t max_depth = 256);

}  // namespace mandate::cedar::internal
