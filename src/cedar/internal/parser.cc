// Cedar policy text: policies, annotations and scopes, names and literals, and the public
// entry points (ParsePolicies, ParsePolicy, ParseExpression). Expressions are in
// parser_expr.cc; the Parser class is declared in parser.h.
#include <algorithm>
#include <string>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/expr_builder.h"
#include "src/cedar/internal/lexer.h"
#include "src/cedar/internal/parser.h"

namespace mandate::cedar::internal {

// Parses every policy; ids policy0.. in order.
std::vector<Policy> Parser::ParseAll(std::vector<Diagnostic>* diags) {
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

Policy Parser::ParseSingle(std::string id) {
  Policy p = ParsePolicyBody(std::move(id));
  if (Peek().kind != Tok::kEnd) Unexpected("end of input");
  return p;
}

ExprPtr Parser::ParseOnlyExpr() {
  ExprPtr e = ParseExpr();
  if (Peek().kind != Tok::kEnd) Unexpected("end of input");
  return e;
}

std::string Parser::Identifier(std::string_view what) {
  if (Peek().kind != Tok::kIdent) Unexpected(what);
  const Token& t = Next();
  if (internal::IsReservedIdent(t.text)) {
    Fail(t, "this identifier is reserved and cannot be used: `" + std::string(t.text) + "`");
  }
  return std::string(t.text);
}

std::string Parser::StringLiteral(const Token& t) {
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
std::string Parser::Path() {
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

EntityUid Parser::EntityLiteral() {
  std::string type = Path();
  Expect(Tok::kPathSep);
  if (Peek().kind != Tok::kString) Unexpected("string literal");
  return EntityUid(std::move(type), StringLiteral(Next()));
}

Policy Parser::ParsePolicyBody(std::string id) {
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

ScopeConstraint Parser::ParseScope(Var var) {
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

}  // namespace mandate::cedar::internal

namespace mandate::cedar {
namespace {

using internal::ParseFailure;
using internal::Parser;

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
