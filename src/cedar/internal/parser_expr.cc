// Cedar expressions: precedence climbing from `if` down to primaries, with the nesting limit
// checked on every node so that evaluation recursion stays bounded.
#include <algorithm>
#include <charconv>
#include <string>

#include "src/cedar/internal/expr_builder.h"
#include "src/cedar/internal/parser.h"

namespace mandate::cedar::internal {

ExprPtr Parser::ParseExpr() {
  DepthGuard guard(this);
  if (IsIdent("if")) {
    const Token& t = Next();
    ExprPtr c = ParseExpr();
    ExpectWord("then");
    ExprPtr a = ParseExpr();
    ExpectWord("else");
    ExprPtr b = ParseExpr();
    Expr e;
    e.kind = ExprKind::kIf;
    e.args = {std::move(c), std::move(a), std::move(b)};
    e.span = Span(t);
    return Checked(internal::MakeExpr(std::move(e)), t);
  }
  return ParseOr();
}

ExprPtr Parser::ParseOr() {
  ExprPtr left = ParseAnd();
  while (Peek().kind == Tok::kOr) {
    const Token& t = Next();
    left = Checked(internal::MakeAndOr(ExprKind::kOr, left, ParseAnd(), Span(t)), t);
  }
  return left;
}

ExprPtr Parser::ParseAnd() {
  ExprPtr left = ParseRelation();
  while (Peek().kind == Tok::kAnd) {
    const Token& t = Next();
    left = Checked(internal::MakeAndOr(ExprKind::kAnd, left, ParseRelation(), Span(t)), t);
  }
  return left;
}

std::optional<BinaryOp> Parser::RelOp() const {
  switch (Peek().kind) {
    case Tok::kEq:
      return BinaryOp::kEq;
    case Tok::kNotEq:
      return BinaryOp::kNotEq;
    case Tok::kLess:
      return BinaryOp::kLess;
    case Tok::kLessEq:
      return BinaryOp::kLessEq;
    case Tok::kGreater:
      return BinaryOp::kGreater;
    case Tok::kGreaterEq:
      return BinaryOp::kGreaterEq;
    case Tok::kIdent:
      if (Peek().text == "in") return BinaryOp::kIn;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

bool Parser::AtRelation() const {
  return RelOp().has_value() || IsIdent("has") || IsIdent("like") || IsIdent("is");
}

ExprPtr Parser::ParseRelation() {
  const Token& first = Peek();
  ExprPtr left = ParseAdd();
  if (auto op = RelOp()) {
    const Token& t = Next();
    left = Checked(internal::MakeBinary(*op, left, ParseAdd(), Span(t)), t);
  } else if (IsIdent("has")) {
    const Token& t = Next();
    if (Peek().kind == Tok::kString) {
      left = Checked(internal::MakeHasAttr(left, StringLiteral(Next()), Span(t)), t);
      if (Peek().kind == Tok::kDot) Fail(Peek(), "invalid right-hand side of a `has` operation");
    } else {
      // `e has a.b.c` is `e has a && e.a has b && e.a.b has c`.
      std::vector<std::string> path{Identifier("attribute name or string literal")};
      while (Peek().kind == Tok::kDot) {
        Next();
        path.push_back(Identifier("attribute name"));
      }
      ExprPtr base = left;
      ExprPtr result = internal::MakeHasAttr(base, path[0], Span(t));
      for (size_t i = 1; i < path.size(); ++i) {
        base = internal::MakeGetAttr(base, path[i - 1], Span(t));
        result = internal::MakeAndOr(ExprKind::kAnd, result,
                                     internal::MakeHasAttr(base, path[i], Span(t)), Span(t));
      }
      left = Checked(result, t);
    }
  } else if (IsIdent("like")) {
    const Token& t = Next();
    if (Peek().kind != Tok::kString) Unexpected("string literal");
    const Token& pt = Next();
    std::string_view body = pt.text.substr(1, pt.text.size() - 2);
    if (body.size() > limits_.max_literal_bytes) {
      Fail(pt,
           "pattern exceeds the limit of " + std::to_string(limits_.max_literal_bytes) + " bytes");
    }
    Expr e;
    e.kind = ExprKind::kLike;
    auto r = internal::Unescape(body, &e.pattern);
    if (!r) Fail(pt, r.error().message());
    e.args.push_back(left);
    e.span = Span(t);
    left = Checked(internal::MakeExpr(std::move(e)), t);
  } else if (IsIdent("is")) {
    const Token& t = Next();
    Expr e;
    e.kind = ExprKind::kIs;
    e.name = Path();
    e.args.push_back(left);
    if (IsIdent("in")) {
      Next();
      e.args.push_back(ParseAdd());
    }
    e.span = Span(t);
    left = Checked(internal::MakeExpr(std::move(e)), t);
  } else {
    return left;
  }
  if (AtRelation()) {
    Fail(first,
         "multiple relational operators (>, ==, in, etc.) must be used with parentheses to "
         "make ordering explicit");
  }
  return left;
}

ExprPtr Parser::ParseAdd() {
  ExprPtr left = ParseMul();
  while (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus) {
    const Token& t = Next();
    BinaryOp op = t.kind == Tok::kPlus ? BinaryOp::kAdd : BinaryOp::kSub;
    left = Checked(internal::MakeBinary(op, left, ParseMul(), Span(t)), t);
  }
  return left;
}

ExprPtr Parser::ParseMul() {
  ExprPtr left = ParseUnary();
  while (Peek().kind == Tok::kStar) {
    const Token& t = Next();
    left = Checked(internal::MakeBinary(BinaryOp::kMul, left, ParseUnary(), Span(t)), t);
  }
  return left;
}

ExprPtr Parser::ParseUnary() {
  const Token& first = Peek();
  Tok op = first.kind;
  if (op != Tok::kNot && op != Tok::kMinus) return ParseMember();
  size_t count = 0;
  while (Peek().kind == op) {
    Next();
    ++count;
  }
  if (count > 4) {
    Fail(first, "too many occurrences of `" + std::string(first.text) +
                    "`: cannot chain more than 4 applications of a unary operator");
  }
  ExprPtr inner;
  if (op == Tok::kMinus && Peek().kind == Tok::kInt && Peek(1).kind != Tok::kDot &&
      Peek(1).kind != Tok::kLBracket) {
    // A negative literal: folds one `-` so that -9223372036854775808 is representable.
    const Token& t = Next();
    inner = internal::MakeLiteral(Value::Long(IntLiteral(t, true)), Span(first));
    --count;
  } else {
    inner = ParseMember();
  }
  for (size_t i = 0; i < count; ++i) {
    inner = Checked(
        internal::MakeUnary(op == Tok::kNot ? ExprKind::kNot : ExprKind::kNeg, inner, Span(first)),
        first);
  }
  return inner;
}

int64_t Parser::IntLiteral(const Token& t, bool negative) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  uint64_t limit = negative ? 9223372036854775808ULL : 9223372036854775807ULL;
  if (ec != std::errc() || v > limit) {
    Fail(t, "integer literal `" + std::string(negative ? "-" : "") + std::string(t.text) +
                "` is too large");
  }
  return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

std::vector<ExprPtr> Parser::ArgList(Tok close) {
  std::vector<ExprPtr> args;
  while (Peek().kind != close) {
    if (args.size() >= limits_.max_set_elements) {
      Fail(Peek(),
           "list exceeds the limit of " + std::to_string(limits_.max_set_elements) + " elements");
    }
    args.push_back(ParseExpr());
    if (Peek().kind != Tok::kComma) break;
    Next();
  }
  Expect(close);
  return args;
}

ExprPtr Parser::ParseMember() {
  const Token& start = Peek();
  ExprPtr e = ParsePrimary();
  while (true) {
    if (Peek().kind == Tok::kDot) {
      const Token& dot = Next();
      if (Peek().kind != Tok::kIdent) Unexpected("attribute or method name");
      const Token& name_tok = Next();
      std::string name(name_tok.text);
      if (Peek().kind == Tok::kLParen) {
        Next();
        std::vector<ExprPtr> args = ArgList(Tok::kRParen);
        e = Checked(MethodCall(e, name, std::move(args), name_tok), dot);
      } else {
        if (internal::IsReservedIdent(name)) {
          Fail(name_tok, "this identifier is reserved and cannot be used: `" + name + "`");
        }
        e = Checked(internal::MakeGetAttr(e, std::move(name), Span(dot)), dot);
      }
    } else if (Peek().kind == Tok::kLBracket) {
      const Token& br = Next();
      if (Peek().kind != Tok::kString) Unexpected("string literal");
      std::string key = StringLiteral(Next());
      Expect(Tok::kRBracket);
      e = Checked(internal::MakeGetAttr(e, std::move(key), Span(br)), br);
    } else {
      break;
    }
  }
  (void)start;
  return e;
}

ExprPtr Parser::MethodCall(ExprPtr target, const std::string& name, std::vector<ExprPtr> args,
                           const Token& at) {
  if (auto op = internal::MethodOp(name)) {
    if (args.size() != 1) {
      Fail(at, "call to `" + name + "` requires exactly 1 argument, but got " +
                   std::to_string(args.size()) + " arguments");
    }
    return internal::MakeBinary(*op, target, args[0], Span(at));
  }
  if (name == "isEmpty") {
    if (!args.empty()) {
      Fail(at, "call to `isEmpty` requires exactly 0 arguments, but got " +
                   std::to_string(args.size()) + " arguments");
    }
    return internal::MakeUnary(ExprKind::kIsEmpty, target, Span(at));
  }
  auto fn = internal::ExtFnFromName(name);
  if (!fn || internal::ExtFnIsConstructor(*fn)) Fail(at, "`" + name + "` is not a valid method");
  Expr e;
  e.kind = ExprKind::kExtCall;
  e.fn = *fn;
  e.name = name;
  e.args.push_back(std::move(target));
  for (auto& a : args) e.args.push_back(std::move(a));
  e.span = Span(at);
  return internal::MakeExpr(std::move(e));
}

ExprPtr Parser::ParsePrimary() {
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kInt:
      Next();
      return internal::MakeLiteral(Value::Long(IntLiteral(t, false)), Span(t));
    case Tok::kString:
      Next();
      return internal::MakeLiteral(Value::String(StringLiteral(t)), Span(t));
    case Tok::kSlotPrincipal:
    case Tok::kSlotResource:
      Fail(t, "template slot `" + std::string(t.text) + "` may appear only in the policy scope");
    case Tok::kLParen: {
      Next();
      ExprPtr e = ParseExpr();
      Expect(Tok::kRParen);
      return e;
    }
    case Tok::kLBracket: {
      Next();
      Expr e;
      e.kind = ExprKind::kSet;
      e.args = ArgList(Tok::kRBracket);
      e.span = Span(t);
      return Checked(internal::MakeExpr(std::move(e)), t);
    }
    case Tok::kLBrace:
      return ParseRecord();
    case Tok::kIdent:
      break;
    default:
      Unexpected("expression");
  }
  if (t.text == "true" || t.text == "false") {
    Next();
    return internal::MakeLiteral(Value::Bool(t.text == "true"), Span(t));
  }
  if (t.text == "if" || internal::IsReservedIdent(t.text)) Unexpected("expression");
  // Entity literal, function call, or variable.
  size_t save = pos_;
  std::string path = Path();
  if (Peek().kind == Tok::kPathSep) {
    pos_ = save;
    return internal::MakeLiteral(Value::Entity(EntityLiteral()), Span(t));
  }
  if (Peek().kind == Tok::kLParen) {
    Next();
    std::vector<ExprPtr> args = ArgList(Tok::kRParen);
    auto fn = internal::ExtFnFromName(path);
    if (!fn) Fail(t, "`" + path + "` is not a valid function");
    if (!internal::ExtFnIsConstructor(*fn)) Fail(t, "`" + path + "` is a method, not a function");
    Expr e;
    e.kind = ExprKind::kExtCall;
    e.fn = *fn;
    e.name = path;
    e.args = std::move(args);
    e.span = Span(t);
    return Checked(internal::MakeExpr(std::move(e)), t);
  }
  auto var = internal::VarFromName(path);
  if (!var) Fail(t, "invalid variable: `" + path + "`");
  return internal::MakeVar(*var, Span(t));
}

ExprPtr Parser::ParseRecord() {
  const Token& t = Next();
  Expr e;
  e.kind = ExprKind::kRecord;
  e.span = Span(t);
  while (Peek().kind != Tok::kRBrace) {
    const Token& kt = Peek();
    std::string key;
    if (kt.kind == Tok::kString) {
      key = StringLiteral(Next());
    } else {
      key = Identifier("record key");
    }
    if (std::find(e.names.begin(), e.names.end(), key) != e.names.end()) {
      Fail(kt, "duplicate key `" + key + "` in record literal");
    }
    Expect(Tok::kColon);
    e.names.push_back(std::move(key));
    e.args.push_back(ParseExpr());
    if (e.args.size() > limits_.max_set_elements) {
      Fail(kt, "record exceeds the limit of " + std::to_string(limits_.max_set_elements) +
                   " attributes");
    }
    if (Peek().kind != Tok::kComma) break;
    Next();
  }
  Expect(Tok::kRBrace);
  return Checked(internal::MakeExpr(std::move(e)), t);
}

}  // namespace mandate::cedar::internal
