// The Cedar side of a mandate: a schema and a policy set generated from it, so that the
// authority decides a call with ONE Cedar authorize over a pre-built policy set, and so that
// guards are checked against the mandate's own types at load time.
//
// Request shape (docs/mandates.md, "What guards and policies see"):
//   principal  Agent::"<agent id>"         (SPIFFE ID, or `<issuer>#<subject>` for OIDC)
//   action     Action::"<step id>"         (one action per step)
//   resource   System::"<system name>"
//   context    { args: {<declared args>}, inputs: {<task inputs>},
//                task: {steps_done, last_step, calls, labels_read, count: {<step>: Long}},
//                call: {system, action, resource}, step: {id, reads, writes}, now: Long }
// Policy ids: `step.<id>` (permit with the step's guard), `order.<from>.<to>` (forbid when the
// last step was <from> and the transition's `when` does not hold), `policy.<id>` (or
// `policy.<id>.<n>` when one entry holds several) for the mandate's own policies.
// Fail closed: the authority must treat an erroring forbid as a deny.
//
// Thread-safety: MandateCedar is immutable after generation and safe to share.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/cedar/schema.h"
#include "src/mandate/mandate.h"

namespace mandate {

inline constexpr std::string_view kCedarAgentType = "Agent";
inline constexpr std::string_view kCedarSystemType = "System";
inline constexpr std::string_view kCedarActionType = "Action";

struct MandateCedar {
  std::string schema_text;    // Cedar schema syntax
  std::string policies_text;  // every policy, each preceded by `@id("...")`
  cedar::PolicySet policies;  // the same, parsed, with the ids above
  std::shared_ptr<const cedar::Schema> schema;
};

// The Cedar schema text of a mandate (deterministic).
std::string CedarSchemaText(const Mandate& mandate);

// Generates and parses the schema and the policies. Cedar errors in guards, `when` conditions
// and policies become diagnostics pointing into `source` (the mandate's text); returns null
// when there is any error.
std::shared_ptr<const MandateCedar> CompileMandateCedar(const Mandate& mandate,
                                                        std::string_view source,
                                                        std::vector<Diagnostic>* diagnostics);

}  // namespace mandate
