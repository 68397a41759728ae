// Recursive-descent parser for Cedar policy text. Errors inside a policy abort that policy
// (thrown internally, caught at the policy boundary) and parsing resumes after its `;`, so
// one run reports every broken policy.
#include <algorithm>
#include <charconv>
#include <string>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/expr_builder.h"
#include "src/cedar/internal/lexer.h"

namespace mandate::cedar {
namespace {

using internal::Tok;
using internal::Token;

struct ParseFailure {
  Diagnostic diagnostic;
};

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits)
      : toks_(internal::Tokenize(text)), limits_(limits) {}

  // Parses every policy; ids policy0.. in order.
  std::vector<Policy> ParseAll(std::vector<Diagnostic>* diags) {
    std::vector<Policy> out;
    size_t n = 0;
    while (Peek().kind != Tok::kEnd) {
      if (out.size() >= limits_.max_policies) {
        diags->push_back({Peek().line, Peek().column, "too many policies"});
        break;
      }
      try {
        out.push_back(ParsePolicyBody("policy" + std::to_string(n)));
      } catch (const ParseFailure& f) {
        diags->push_back(f.diagnostic);
        Resync();
      }
      ++n;
    }
    return out;
  }

  Policy ParseSingle(std::string id) {
    Policy p = ParsePolicyBody(std::move(id));
    if (Peek().kind != Tok::kEnd) Unexpected("end of input");
    return p;
  }

  ExprPtr ParseOnlyExpr() {
    ExprPtr e = ParseExpr();
    if (Peek().kind != Tok::kEnd) Unexpected("end of input");
    return e;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool IsIdent(std::string_view word, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kIdent && Peek(ahead).text == word;
  }
  SourceSpan Span(const Token& t) const { return {t.line, t.column, t.offset}; }

  [[noreturn]] void Fail(const Token& t, std::string message) const {
    throw ParseFailure{{t.line, t.column, std::move(message)}};
  }
  [[noreturn]] void Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    std::string found = t.kind == Tok::kEnd ? "end of input" : "`" + std::string(t.text) + "`";
    if (t.kind == Tok::kError) {
      Fail(t, "invalid token " + found + ", expected " + std::string(expected));
    }
    Fail(t, "unexpected " + found + ", expected " + std::string(expected));
  }
  const Token& Expect(Tok kind) {
    if (Peek().kind != kind) Unexpected(internal::TokDescription(kind));
    return Next();
  }
  void ExpectWord(std::string_view word) {
    if (!IsIdent(word)) Unexpected("`" + std::string(word) + "`");
    Next();
  }
  // Skips past the next `;` (or to the end) after an error.
  void Resync() {
    while (Peek().kind != Tok::kEnd && Peek().kind != Tok::kSemi) Next();
    if (Peek().kind == Tok::kSemi) Next();
  }
  ExprPtr Checked(ExprPtr e, const Token& at) const {
    if (e->depth > limits_.max_depth) {
      Fail(at, "expression nesting exceeds the limit of " + std::to_string(limits_.max_depth));
    }
    return e;
  }
  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p(p) {
      if (++p->depth_ > p->limits_.max_depth) {
        p->Fail(p->Peek(),
                "expression nesting exceeds the limit of " + std::to_string(p->limits_.max_depth));
      }
    }
    ~DepthGuard() { --p->depth_; }
    Parser* p;
  };

  std::string Identifier(std::string_view what) {
    if (Peek().kind != Tok::kIdent) Unexpected(what);
    const Token& t = Next();
    if (internal::IsReservedIdent(t.text)) {
      Fail(t, "this identifier is reserved and cannot be used: `" + std::string(t.text) + "`");
    }
    return std::string(t.text);
  }

  std::string StringLiteral(const Token& t) {
    std::string_view body = t.text.substr(1, t.text.size() - 2);
    if (body.size() > limits_.max_literal_bytes) {
      Fail(t, "string literal exceeds the limit of " + std::to_string(limits_.max_literal_bytes) +
                  " bytes");
    }
    auto s = internal::Unescape(body);
    if (!s) Fail(t, s.error().message());
    return *std::move(s);
  }

  // Path {:: Ident}; stops before `::` followed by a string.
  std::string Path() {
    std::string path = Identifier("identifier");
    while (Peek().kind == Tok::kPathSep && Peek(1).kind == Tok::kIdent) {
      Next();
      path += "::";
      path += Identifier("identifier");
    }
    if (path.starts_with("__cedar") || path.find("::__cedar") != std::string::npos) {
      Fail(Peek(), "the name `" + path + "` contains `__cedar`, which is reserved");
    }
    return path;
  }

  EntityUid EntityLiteral() {
    std::string type = Path();
    Expect(Tok::kPathSep);
    if (Peek().kind != Tok::kString) Unexpected("string literal");
    return EntityUid(std::move(type), StringLiteral(Next()));
  }

  // ---- policies ----
  Policy ParsePolicyBody(std::string id) {
    Policy p;
    p.id = std::move(id);
    p.span = Span(Peek());
    while (Peek().kind == Tok::kAt) {
      const Token& at = Next();
      if (Peek().kind != Tok::kIdent) Unexpected("annotation name");
      std::string key(Next().text);
      std::string value;
      if (Peek().kind == Tok::kLParen) {
        Next();
        if (Peek().kind != Tok::kString) Unexpected("string literal");
        value = StringLiteral(Next());
        Expect(Tok::kRParen);
      }
      for (const auto& a : p.annotations) {
        if (a.first == key) Fail(at, "duplicate annotation `@" + key + "`");
      }
      p.annotations.emplace_back(std::move(key), std::move(value));
    }
    p.span = Span(Peek());
    if (IsIdent("permit")) {
      p.effect = Effect::kPermit;
    } else if (IsIdent("forbid")) {
      p.effect = Effect::kForbid;
    } else {
      Unexpected("`permit` or `forbid`");
    }
    Next();
    Expect(Tok::kLParen);
    p.principal = ParseScope(Var::kPrincipal);
    Expect(Tok::kComma);
    p.action = ParseScope(Var::kAction);
    Expect(Tok::kComma);
    p.resource = ParseScope(Var::kResource);
    Expect(Tok::kRParen);
    while (IsIdent("when") || IsIdent("unless")) {
      Condition c;
      c.is_when = Next().text == "when";
      Expect(Tok::kLBrace);
      if (Peek().kind == Tok::kRBrace)
        Fail(Peek(), "condition body is empty, expected an expression");
      c.body = ParseExpr();
      Expect(Tok::kRBrace);
      p.conditions.push_back(std::move(c));
    }
    if (Peek().kind != Tok::kSemi) Unexpected("`when`, `unless` or `;`");
    Next();
    return p;
  }

  ScopeConstraint ParseScope(Var var) {
    ScopeConstraint s;
    std::string_view name = internal::VarName(var);
    if (!IsIdent(name)) Unexpected("`" + std::string(name) + "`");
    Next();
    auto slot_or_entity = [&](ScopeConstraint& c) {
      Tok slot_tok = var == Var::kPrincipal ? Tok::kSlotPrincipal : Tok::kSlotResource;
      if (var != Var::kAction && Peek().kind == slot_tok) {
        Next();
        c.slot = var == Var::kPrincipal ? SlotId::kPrincipal : SlotId::kResource;
      } else if (Peek().kind == Tok::kSlotPrincipal || Peek().kind == Tok::kSlotResource) {
        Fail(Peek(), "slot `" + std::string(Peek().text) + "` is not allowed in the " +
                         std::string(name) + " scope");
      } else {
        c.entity = EntityLiteral();
      }
    };
    if (Peek().kind == Tok::kEq) {
      Next();
      s.op = ScopeConstraint::Op::kEq;
      slot_or_entity(s);
    } else if (IsIdent("in")) {
      Next();
      s.op = ScopeConstraint::Op::kIn;
      if (var == Var::kAction && Peek().kind == Tok::kLBracket) {
        Next();
        s.is_list = true;
        while (Peek().kind != Tok::kRBracket) {
          s.entities.push_back(EntityLiteral());
          if (Peek().kind != Tok::kComma) break;
          Next();
        }
        Expect(Tok::kRBracket);
      } else {
        slot_or_entity(s);
      }
    } else if (IsIdent("is")) {
      if (var == Var::kAction) Fail(Peek(), "`is` cannot appear in the action scope");
      Next();
      s.op = ScopeConstraint::Op::kIs;
      s.entity_type = Path();
      if (IsIdent("in")) {
        Next();
        s.op = ScopeConstraint::Op::kIsIn;
        slot_or_entity(s);
      }
    }
    return s;
  }

  // ---- expressions ----
  ExprPtr ParseExpr() {
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

  ExprPtr ParseOr() {
    ExprPtr left = ParseAnd();
    while (Peek().kind == Tok::kOr) {
      const Token& t = Next();
      left = Checked(internal::MakeAndOr(ExprKind::kOr, left, ParseAnd(), Span(t)), t);
    }
    return left;
  }

  ExprPtr ParseAnd() {
    ExprPtr left = ParseRelation();
    while (Peek().kind == Tok::kAnd) {
      const Token& t = Next();
      left = Checked(internal::MakeAndOr(ExprKind::kAnd, left, ParseRelation(), Span(t)), t);
    }
    return left;
  }

  std::optional<BinaryOp> RelOp() const {
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

  bool AtRelation() const {
    return RelOp().has_value() || IsIdent("has") || IsIdent("like") || IsIdent("is");
  }

  ExprPtr ParseRelation() {
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
        Fail(pt, "pattern exceeds the limit of " + std::to_string(limits_.max_literal_bytes) +
                     " bytes");
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

  ExprPtr ParseAdd() {
    ExprPtr left = ParseMul();
    while (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus) {
      const Token& t = Next();
      BinaryOp op = t.kind == Tok::kPlus ? BinaryOp::kAdd : BinaryOp::kSub;
      left = Checked(internal::MakeBinary(op, left, ParseMul(), Span(t)), t);
    }
    return left;
  }

  ExprPtr ParseMul() {
    ExprPtr left = ParseUnary();
    while (Peek().kind == Tok::kStar) {
      const Token& t = Next();
      left = Checked(internal::MakeBinary(BinaryOp::kMul, left, ParseUnary(), Span(t)), t);
    }
    return left;
  }

  ExprPtr ParseUnary() {
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
      inner = Checked(internal::MakeUnary(op == Tok::kNot ? ExprKind::kNot : ExprKind::kNeg, inner,
                                          Span(first)),
                      first);
    }
    return inner;
  }

  int64_t IntLiteral(const Token& t, bool negative) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    uint64_t limit = negative ? 9223372036854775808ULL : 9223372036854775807ULL;
    if (ec != std::errc() || v > limit) {
      Fail(t, "integer literal `" + std::string(negative ? "-" : "") + std::string(t.text) +
                  "` is too large");
    }
    return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }

  std::vector<ExprPtr> ArgList(Tok close) {
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

  ExprPtr ParseMember() {
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

  ExprPtr MethodCall(ExprPtr target, const std::string& name, std::vector<ExprPtr> args,
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

  ExprPtr ParsePrimary() {
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

  ExprPtr ParseRecord() {
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

  std::vector<Token> toks_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  const Limits& limits_;
};

std::string JoinDiagnostics(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const Diagnostic& d : diags) {
    if (!out.empty()) out += "; ";
    out += "line " + std::to_string(d.line) + ", column " + std::to_string(d.column) + ": " +
           d.message;
  }
  return out;
}

// Checks size and UTF-8 before tokenizing.
std::optional<Diagnostic> CheckText(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_policy_text_bytes) {
    return Diagnostic{0, 0,
                      "policy text of " + std::to_string(text.size()) +
                          " bytes exceeds the limit of " +
                          std::to_string(limits.max_policy_text_bytes)};
  }
  size_t bad = internal::InvalidUtf8Offset(text);
  if (bad != std::string_view::npos) {
    uint32_t line = 1, col = 1;
    for (size_t i = 0; i < bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++col;
      }
    }
    return Diagnostic{line, col, "policy text is not valid utf-8"};
  }
  return std::nullopt;
}

tl::unexpected<Status> ParseError(const std::vector<Diagnostic>& diags) {
  return Err(StatusCode::kInvalidArgument, "cedar.parse", JoinDiagnostics(diags));
}

}  // namespace

Result<PolicySet> ParsePolicies(std::string_view text, const Limits& limits,
                                std::vector<Diagnostic>* diagnostics) {
  std::vector<Diagnostic> diags;
  if (auto d = CheckText(text, limits)) {
    diags.push_back(*d);
  } else {
    Parser parser(text, limits);
    std::vector<Policy> policies = parser.ParseAll(&diags);
    if (diags.empty()) {
      PolicySet set;
      for (Policy& p : policies) {
        Status s = set.Add(std::move(p));
        if (!s.ok()) return Err(s);
      }
      return set;
    }
  }
  if (diagnostics) *diagnostics = diags;
  return ParseError(diags);
}

Result<Policy> ParsePolicy(std::string_view text, std::string id, const Limits& limits) {
  if (auto d = CheckText(text, limits)) return ParseError({*d});
  try {
    Parser parser(text, limits);
    return parser.ParseSingle(std::move(id));
  } catch (const ParseFailure& f) {
    return ParseError({f.diagnostic});
  }
}

Result<ExprPtr> ParseExpression(std::string_view text, const Limits& limits) {
  if (auto d = CheckText(text, limits)) return ParseError({*d});
  try {
    Parser parser(text, limits);
    return parser.ParseOnlyExpr();
  } catch (const ParseFailure& f) {
    return ParseError({f.diagnostic});
  }
}

}  // namespace mandate::cedar
