// The Cedar evaluator: expressions and policy satisfaction for one request, exactly as the
// Cedar specification defines them (strict types, checked i64 arithmetic, short-circuiting
// `&&`/`||`/`if`, errors instead of partial results).
// Thread-safety: an Evaluator belongs to one request on one thread; the request and entities
// it reads are immutable and may be shared.
#pragma once

#include <optional>
#include <string>
#include <tl/expected.hpp>

#include "src/cedar/cedar.h"

namespace mandate::cedar::internal {

struct EvalError {
  std::string message;
};
using EvalResult = tl::expected<Value, EvalError>;

class Evaluator {
 public:
  Evaluator(const Request& request, const Entities& entities)
      : request_(request), entities_(entities) {}

  EvalResult Eval(const Expr& expr);
  // True when the policy's scope matches the request (never errors).
  bool ScopeMatches(const Policy& policy) const;
  // Scope and conditions: true, false, or the error that makes the policy skipped.
  tl::expected<bool, EvalError> Satisfied(const Policy& policy);

 private:
  EvalResult EvalBinary(const Expr& expr);
  EvalResult EvalExtCall(const Expr& expr);
  EvalResult EvalGetAttr(const Expr& expr);
  EvalResult EvalHasAttr(const Expr& expr);
  tl::expected<bool, EvalError> EvalBool(const Expr& expr);
  const Value& VarValue(Var var);
  const EntityUid& VarUid(Var var) const {
    return var == Var::kPrincipal ? request_.principal
           : var == Var::kAction  ? request_.action
                                  : request_.resource;
  }
  // Resolves literals, `context` and attribute chains to a pointer into immutable storage
  // (policy, request or entity store) without copying; nullptr when that is not possible or
  // would fail (the caller then evaluates normally, which reports the error).
  const Value* Ref(const Expr& expr);
  bool InEntity(const EntityUid& a, const EntityUid& b) const {
    return a == b || entities_.IsAncestor(a, b);
  }

  const Request& request_;
  const Entities& entities_;
  std::optional<Value> principal_, action_, resource_;
};

// Calls an extension function or method on already evaluated arguments (the receiver of a
// method first), with Cedar's arity and type checks and its error messages.
EvalResult CallExtFn(ExtFn fn, const std::vector<Value>& args);

// Matches `text` against a `like` pattern in O(|text| * |pattern|) without backtracking blow-up.
bool WildcardMatch(std::string_view text, const std::vector<PatternElem>& pattern);

}  // namespace mandate::cedar::internal
