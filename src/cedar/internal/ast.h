// SHARED MODEL (cedarcore + cedarschema): the Cedar policy AST.
//
// Produced by the text parser and the EST (JSON) reader, consumed by the evaluator, the
// formatter, the EST writer and the typechecker. Nodes are immutable after parsing and shared
// between a template and the policies linked from it.
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/cedar/internal/value.h"

namespace mandate::cedar {

// A position in policy text (1-based line and column; byte offset). Zero when from JSON.
struct SourceSpan {
  uint32_t line = 0;
  uint32_t column = 0;
  uint32_t offset = 0;
};

enum class Var : uint8_t { kPrincipal, kAction, kResource, kContext };
enum class SlotId : uint8_t { kPrincipal, kResource };  // ?principal, ?resource

enum class BinaryOp : uint8_t {
  kEq,
  kNotEq,
  kLess,
  kLessEq,
  kGreater,
  kGreaterEq,
  kIn,
  kAdd,
  kSub,
  kMul,
  kContains,
  kContainsAll,
  kContainsAny,
  kGetTag,
  kHasTag,
};

// Extension functions and methods, resolved by name at parse time.
enum class ExtFn : uint8_t {
  kIp,
  kIsIpv4,
  kIsIpv6,
  kIsLoopback,
  kIsMulticast,
  kIsInRange,
  kDecimal,
  kLessThan,
  kLessThanOrEqual,
  kGreaterThan,
  kGreaterThanOrEqual,
  kDatetime,
  kDuration,
  kOffset,
  kDurationSince,
  kToDate,
  kToTime,
  kToDays,
  kToHours,
  kToMinutes,
  kToSeconds,
  kToMilliseconds,
};

// One element of a `like` pattern: a literal run of characters or `*`.
struct PatternElem {
  bool wildcard = false;
  std::string literal;  // when !wildcard
  friend bool operator==(const PatternElem&, const PatternElem&) = default;
};

enum class ExprKind : uint8_t {
  kLiteral,  // literal
  kVar,      // var
  kSlot,     // slot
  kNot,      // args[0]
  kNeg,      // args[0]
  kAnd,      // args[0] && args[1]
  kOr,       // args[0] || args[1]
  kBinary,   // op(args[0], args[1]); method forms contains/getTag/... too
  kIf,       // if args[0] then args[1] else args[2]
  kGetAttr,  // args[0].name
  kHasAttr,  // args[0] has name
  kLike,     // args[0] like pattern
  kIs,       // args[0] is name [in args[1]]
  kIsEmpty,  // args[0].isEmpty()
  kSet,      // [args...]
  kRecord,   // {names[i]: args[i]}
  kExtCall,  // fn(args...) or args[0].fn(args[1..])
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  BinaryOp op = BinaryOp::kEq;
  Var var = Var::kPrincipal;
  SlotId slot = SlotId::kPrincipal;
  ExtFn fn = ExtFn::kIp;
  Value literal;     // kLiteral; for a kSet of literals only, its value (set when built)
  std::string name;  // attribute, entity type, or function name as written
  std::vector<std::string> names;  // record keys
  std::vector<PatternElem> pattern;
  std::vector<ExprPtr> args;
  SourceSpan span;
  uint32_t depth = 1;  // 1 + the deepest child; bounded by Limits::max_depth when parsed
};

// Scope constraint on principal, action or resource.
struct ScopeConstraint {
  enum class Op : uint8_t { kAll, kEq, kIn, kIs, kIsIn };
  Op op = Op::kAll;
  std::string entity_type;          // kIs, kIsIn
  std::optional<EntityUid> entity;  // kEq, kIn, kIsIn when not a slot
  std::optional<SlotId> slot;       // kEq, kIn, kIsIn with ?principal/?resource
  std::vector<EntityUid> entities;  // action in [list]
  bool is_list = false;             // action in [ ... ]
};

enum class Effect : uint8_t { kPermit, kForbid };

struct Condition {
  bool is_when = true;  // false: unless
  ExprPtr body;
};

// A static policy, a template (has slots) or a policy linked from a template.
struct Policy {
  std::string id;
  Effect effect = Effect::kPermit;
  ScopeConstraint principal;
  ScopeConstraint action;
  ScopeConstraint resource;
  std::vector<Condition> conditions;
  std::vector<std::pair<std::string, std::string>> annotations;  // in source order
  SourceSpan span;
  std::optional<std::string> template_id;  // set on linked policies

  bool is_template() const { return principal.slot.has_value() || resource.slot.has_value(); }
};

}  // namespace mandate::cedar
