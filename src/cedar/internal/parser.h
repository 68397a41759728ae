// The Cedar policy parser (recursive descent over the lexer's tokens), shared by parser.cc
// (policies, scopes, names and the public entry points) and parser_expr.cc (expressions).
// Errors inside a policy abort that policy (thrown as ParseFailure, caught at the policy
// boundary) and parsing resumes after its `;`, so one run reports every broken policy.
// Thread-safety: a Parser belongs to one call on one thread.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/lexer.h"

namespace mandate::cedar::internal {

struct ParseFailure {
  Diagnostic diagnostic;
};

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits)
      : toks_(internal::Tokenize(text)), limits_(limits) {}

  // Parses every policy; ids policy0.. in order.
  std::vector<Policy> ParseAll(std::vector<Diagnostic>* diags);
  Policy ParseSingle(std::string id);
  ExprPtr ParseOnlyExpr();

 private:
  // ---- tokens (inline: on every path) ----
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

  // ---- names, literals, policies and scopes (parser.cc) ----
  std::string Identifier(std::string_view what);
  std::string StringLiteral(const Token& t);
  // Path {:: Ident}; stops before `::` followed by a string.
  std::string Path();
  EntityUid EntityLiteral();
  Policy ParsePolicyBody(std::string id);
  ScopeConstraint ParseScope(Var var);

  // ---- expressions (parser_expr.cc) ----
  ExprPtr ParseExpr();
  ExprPtr ParseOr();
  ExprPtr ParseAnd();
  std::optional<BinaryOp> RelOp() const;
  bool AtRelation() const;
  ExprPtr ParseRelation();
  ExprPtr ParseAdd();
  ExprPtr ParseMul();
  ExprPtr ParseUnary();
  int64_t IntLiteral(const Token& t, bool negative);
  std::vector<ExprPtr> ArgList(Tok close);
  ExprPtr ParseMember();
  ExprPtr MethodCall(ExprPtr target, const std::string& name, std::vector<ExprPtr> args,
                     const Token& at);
  ExprPtr ParsePrimary();
  ExprPtr ParseRecord();

  std::vector<Token> toks_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  const Limits& limits_;
};

}  // namespace mandate::cedar::internal
