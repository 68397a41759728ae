// Helpers that build AST nodes with their depth, shared by the text parser and the EST reader,
// plus the name tables of methods and extension functions.
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "src/cedar/internal/ast.h"

namespace mandate::cedar::internal {

ExprPtr MakeExpr(Expr e);  // computes e.depth from e.args
ExprPtr MakeLiteral(Value v, SourceSpan span = {});
ExprPtr MakeVar(Var v, SourceSpan span = {});
ExprPtr MakeUnary(ExprKind kind, ExprPtr arg, SourceSpan span = {});
ExprPtr MakeBinary(BinaryOp op, ExprPtr a, ExprPtr b, SourceSpan span = {});
ExprPtr MakeAndOr(ExprKind kind, ExprPtr a, ExprPtr b, SourceSpan span = {});
ExprPtr MakeGetAttr(ExprPtr a, std::string attr, SourceSpan span = {});
ExprPtr MakeHasAttr(ExprPtr a, std::string attr, SourceSpan span = {});

std::string_view VarName(Var v);
std::optional<Var> VarFromName(std::string_view name);
// Binary operators written as methods: contains, containsAll, containsAny, getTag, hasTag.
std::optional<BinaryOp> MethodOp(std::string_view name);
std::string_view BinaryOpName(BinaryOp op);  // "==", "contains", ...
// Extension functions and methods by name.
std::optional<ExtFn> ExtFnFromName(std::string_view name);
std::string_view ExtFnName(ExtFn fn);
bool ExtFnIsConstructor(ExtFn fn);  // ip, decimal, datetime, duration
// Identifiers that may not be used as names: true false if then else in is like has __cedar.
bool IsReservedIdent(std::string_view name);

}  // namespace mandate::cedar::internal
