#include "src/cedar/internal/expr_builder.h"

#include <algorithm>
#include <array>
#include <utility>

namespace mandate::cedar::internal {

ExprPtr MakeExpr(Expr e) {
  uint32_t d = 0;
  for (const ExprPtr& a : e.args) d = std::max(d, a->depth);
  e.depth = d + 1;
  // A set written with literals only (`["EUR", "USD"]`) is the same value on every evaluation:
  // built once here rather than per request. The node stays a kSet for printing and checking.
  if (e.kind == ExprKind::kSet && std::all_of(e.args.begin(), e.args.end(), [](const ExprPtr& a) {
        return a->kind == ExprKind::kLiteral;
      })) {
    std::vector<Value> elements;
    elements.reserve(e.args.size());
    for (const ExprPtr& a : e.args) elements.push_back(a->literal);
    e.literal = Value::SetOf(std::move(elements));
  }
  return std::make_shared<const Expr>(std::move(e));
}

ExprPtr MakeLiteral(Value v, SourceSpan span) {
  Expr e;
  e.kind = ExprKind::kLiteral;
  e.literal = std::move(v);
  e.span = span;
  return MakeExpr(std::move(e));
}

ExprPtr MakeVar(Var v, SourceSpan span) {
  Expr e;
  e.kind = ExprKind::kVar;
  e.var = v;
  e.span = span;
  return MakeExpr(std::move(e));
}

ExprPtr MakeUnary(ExprKind kind, ExprPtr arg, SourceSpan span) {
  Expr e;
  e.kind = kind;
  e.args.push_back(std::move(arg));
  e.span = span;
  return MakeExpr(std::move(e));
}

ExprPtr MakeBinary(BinaryOp op, ExprPtr a, ExprPtr b, SourceSpan span) {
  Expr e;
  e.kind = ExprKind::kBinary;
  e.op = op;
  e.args = {std::move(a), std::move(b)};
  e.span = span;
  return MakeExpr(std::move(e));
}

ExprPtr MakeAndOr(ExprKind kind, ExprPtr a, ExprPtr b, SourceSpan span) {
  Expr e;
  e.kind = kind;
  e.args = {std::move(a), std::move(b)};
  e.span = span;
  return MakeExpr(std::move(e));
}

ExprPtr MakeGetAttr(ExprPtr a, std::string attr, SourceSpan span) {
  Expr e;
  e.kind = ExprKind::kGetAttr;
  e.args.push_back(std::move(a));
  e.name = std::move(attr);
  e.span = span;
  return MakeExpr(std::move(e));
}

ExprPtr MakeHasAttr(ExprPtr a, std::string attr, SourceSpan span) {
  Expr e;
  e.kind = ExprKind::kHasAttr;
  e.args.push_back(std::move(a));
  e.name = std::move(attr);
  e.span = span;
  return MakeExpr(std::move(e));
}

std::string_view VarName(Var v) {
  switch (v) {
    case Var::kPrincipal:
      return "principal";
    case Var::kAction:
      return "action";
    case Var::kResource:
      return "resource";
    case Var::kContext:
      return "context";
  }
  return "";
}

std::optional<Var> VarFromName(std::string_view name) {
  if (name == "principal") return Var::kPrincipal;
  if (name == "action") return Var::kAction;
  if (name == "resource") return Var::kResource;
  if (name == "context") return Var::kContext;
  return std::nullopt;
}

namespace {
constexpr std::array<std::pair<BinaryOp, std::string_view>, 15> kBinaryNames = {{
    {BinaryOp::kEq, "=="},
    {BinaryOp::kNotEq, "!="},
    {BinaryOp::kLess, "<"},
    {BinaryOp::kLessEq, "<="},
    {BinaryOp::kGreater, ">"},
    {BinaryOp::kGreaterEq, ">="},
    {BinaryOp::kIn, "in"},
    {BinaryOp::kAdd, "+"},
    {BinaryOp::kSub, "-"},
    {BinaryOp::kMul, "*"},
    {BinaryOp::kContains, "contains"},
    {BinaryOp::kContainsAll, "containsAll"},
    {BinaryOp::kContainsAny, "containsAny"},
    {BinaryOp::kGetTag, "getTag"},
    {BinaryOp::kHasTag, "hasTag"},
}};
constexpr std::array<std::pair<ExtFn, std::string_view>, 22> kExtNames = {{
    {ExtFn::kIp, "ip"},
    {ExtFn::kIsIpv4, "isIpv4"},
    {ExtFn::kIsIpv6, "isIpv6"},
    {ExtFn::kIsLoopback, "isLoopback"},
    {ExtFn::kIsMulticast, "isMulticast"},
    {ExtFn::kIsInRange, "isInRange"},
    {ExtFn::kDecimal, "decimal"},
    {ExtFn::kLessThan, "lessThan"},
    {ExtFn::kLessThanOrEqual, "lessThanOrEqual"},
    {ExtFn::kGreaterThan, "greaterThan"},
    {ExtFn::kGreaterThanOrEqual, "greaterThanOrEqual"},
    {ExtFn::kDatetime, "datetime"},
    {ExtFn::kDuration, "duration"},
    {ExtFn::kOffset, "offset"},
    {ExtFn::kDurationSince, "durationSince"},
    {ExtFn::kToDate, "toDate"},
    {ExtFn::kToTime, "toTime"},
    {ExtFn::kToDays, "toDays"},
    {ExtFn::kToHours, "toHours"},
    {ExtFn::kToMinutes, "toMinutes"},
    {ExtFn::kToSeconds, "toSeconds"},
    {ExtFn::kToMilliseconds, "toMilliseconds"},
}};
}  // namespace

std::optional<BinaryOp> MethodOp(std::string_view name) {
  for (size_t i = 10; i < kBinaryNames.size(); ++i) {
    if (kBinaryNames[i].second == name) return kBinaryNames[i].first;
  }
  return std::nullopt;
}

std::string_view BinaryOpName(BinaryOp op) {
  for (const auto& [o, n] : kBinaryNames) {
    if (o == op) return n;
  }
  return "";
}

std::optional<ExtFn> ExtFnFromName(std::string_view name) {
  for (const auto& [f, n] : kExtNames) {
    if (n == name) return f;
  }
  return std::nullopt;
}

std::string_view ExtFnName(ExtFn fn) {
  for (const auto& [f, n] : kExtNames) {
    if (f == fn) return n;
  }
  return "";
}

bool ExtFnIsConstructor(ExtFn fn) {
  return fn == ExtFn::kIp || fn == ExtFn::kDecimal || fn == ExtFn::kDatetime ||
         fn == ExtFn::kDuration;
}

bool IsReservedIdent(std::string_view name) {
  static constexpr std::string_view kReserved[] = {"true", "false", "if",   "then", "else",
                                                   "in",   "is",    "like", "has",  "__cedar"};
  return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}

}  // namespace mandate::cedar::internal
