// The pretty-printer: values, expressions and policies back to canonical Cedar text that
// parses to the same AST.
#include <string>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/expr_builder.h"
#include "src/cedar/internal/extensions.h"

namespace mandate::cedar {
namespace {

using internal::ExtFnIsConstructor;
using internal::ExtFnName;

// Binding strength; a child printed where a stronger level is required gets parentheses.
enum Level : int { kIf = 0, kOr, kAnd, kRel, kAdd, kMul, kUnary, kMember, kPrimary };

Level LevelOf(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kIf:
      return kIf;
    case ExprKind::kOr:
      return kOr;
    case ExprKind::kAnd:
      return kAnd;
    case ExprKind::kHasAttr:
    case ExprKind::kLike:
    case ExprKind::kIs:
      return kRel;
    case ExprKind::kBinary:
      switch (e.op) {
        case BinaryOp::kAdd:
        case BinaryOp::kSub:
          return kAdd;
        case BinaryOp::kMul:
          return kMul;
        case BinaryOp::kContains:
        case BinaryOp::kContainsAll:
        case BinaryOp::kContainsAny:
        case BinaryOp::kGetTag:
        case BinaryOp::kHasTag:
          return kMember;
        default:
          return kRel;
      }
    case ExprKind::kNot:
    case ExprKind::kNeg:
      return kUnary;
    case ExprKind::kLiteral:
      return e.literal.is_long() && e.literal.as_long() < 0 ? kUnary : kPrimary;
    case ExprKind::kGetAttr:
    case ExprKind::kIsEmpty:
      return kMember;
    case ExprKind::kExtCall:
      return ExtFnIsConstructor(e.fn) ? kPrimary : kMember;
    default:
      return kPrimary;
  }
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || internal::IsReservedIdent(s)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void Print(const Expr& e, std::string& out);

void PrintAt(const Expr& e, Level need, std::string& out) {
  if (LevelOf(e) < need) {
    out += '(';
    Print(e, out);
    out += ')';
  } else {
    Print(e, out);
  }
}

std::string PatternText(const std::vector<PatternElem>& pattern) {
  std::string body;
  for (const PatternElem& p : pattern) {
    if (p.wildcard) {
      body += '*';
      continue;
    }
    std::string q = QuoteString(p.literal);
    for (char c : std::string_view(q).substr(1, q.size() - 2)) {
      if (c == '*') body += '\\';
      body += c;
    }
  }
  return "\"" + body + "\"";
}

void Print(const Expr& e, std::string& out) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      out += ValueToString(e.literal);
      return;
    case ExprKind::kVar:
      out += internal::VarName(e.var);
      return;
    case ExprKind::kSlot:
      out += e.slot == SlotId::kPrincipal ? "?principal" : "?resource";
      return;
    case ExprKind::kNot:
    case ExprKind::kNeg:
      out += e.kind == ExprKind::kNot ? "!" : "-";
      PrintAt(*e.args[0], kUnary, out);
      return;
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      Level l = LevelOf(e);
      PrintAt(*e.args[0], l, out);
      out += e.kind == ExprKind::kAnd ? " && " : " || ";
      PrintAt(*e.args[1], static_cast<Level>(l + 1), out);
      return;
    }
    case ExprKind::kIf:
      out += "if ";
      Print(*e.args[0], out);
      out += " then ";
      Print(*e.args[1], out);
      out += " else ";
      Print(*e.args[2], out);
      return;
    case ExprKind::kBinary: {
      Level l = LevelOf(e);
      if (l == kMember) {
        PrintAt(*e.args[0], kMember, out);
        out += '.';
        out += internal::BinaryOpName(e.op);
        out += '(';
        Print(*e.args[1], out);
        out += ')';
        return;
      }
      PrintAt(*e.args[0], l == kRel ? kAdd : l, out);
      out += ' ';
      out += internal::BinaryOpName(e.op);
      out += ' ';
      PrintAt(*e.args[1], l == kRel ? kAdd : static_cast<Level>(l + 1), out);
      return;
    }
    case ExprKind::kGetAttr:
      PrintAt(*e.args[0], kMember, out);
      if (IsIdentifier(e.name)) {
        out += '.';
        out += e.name;
      } else {
        out += '[' + QuoteString(e.name) + ']';
      }
      return;
    case ExprKind::kHasAttr:
      PrintAt(*e.args[0], kAdd, out);
      out += " has ";
      out += IsIdentifier(e.name) ? e.name : QuoteString(e.name);
      return;
    case ExprKind::kLike:
      PrintAt(*e.args[0], kAdd, out);
      out += " like " + PatternText(e.pattern);
      return;
    case ExprKind::kIs:
      PrintAt(*e.args[0], kAdd, out);
      out += " is " + e.name;
      if (e.args.size() > 1) {
        out += " in ";
        PrintAt(*e.args[1], kAdd, out);
      }
      return;
    case ExprKind::kIsEmpty:
      PrintAt(*e.args[0], kMember, out);
      out += ".isEmpty()";
      return;
    case ExprKind::kSet:
      out += '[';
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i) out += ", ";
        Print(*e.args[i], out);
      }
      out += ']';
      return;
    case ExprKind::kRecord:
      out += '{';
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i) out += ", ";
        out += QuoteString(e.names[i]) + ": ";
        Print(*e.args[i], out);
      }
      out += '}';
      return;
    case ExprKind::kExtCall: {
      size_t first = 0;
      if (!ExtFnIsConstructor(e.fn)) {
        if (e.args.empty()) {
          out += ExtFnName(e.fn);  // unreachable from the parsers; keeps output total
          out += "()";
          return;
        }
        PrintAt(*e.args[0], kMember, out);
        out += '.';
        first = 1;
      }
      out += ExtFnName(e.fn);
      out += '(';
      for (size_t i = first; i < e.args.size(); ++i) {
        if (i > first) out += ", ";
        Print(*e.args[i], out);
      }
      out += ')';
      return;
    }
  }
}

std::string ScopeText(std::string_view var, const ScopeConstraint& s) {
  std::string out(var);
  auto target = [&s, var]() {
    if (s.slot) return std::string(var == "principal" ? "?principal" : "?resource");
    return s.entity ? s.entity->ToString() : std::string("?");
  };
  switch (s.op) {
    case ScopeConstraint::Op::kAll:
      break;
    case ScopeConstraint::Op::kEq:
      out += " == " + target();
      break;
    case ScopeConstraint::Op::kIn:
      if (s.is_list) {
        out += " in [";
        for (size_t i = 0; i < s.entities.size(); ++i) {
          if (i) out += ", ";
          out += s.entities[i].ToString();
        }
        out += ']';
      } else {
        out += " in " + target();
      }
      break;
    case ScopeConstraint::Op::kIs:
      out += " is " + s.entity_type;
      break;
    case ScopeConstraint::Op::kIsIn:
      out += " is " + s.entity_type + " in " + target();
      break;
  }
  return out;
}

}  // namespace

std::string ValueToString(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBool:
      return v.as_bool() ? "true" : "false";
    case ValueKind::kLong:
      return std::to_string(v.as_long());
    case ValueKind::kString:
      return QuoteString(v.as_string());
    case ValueKind::kEntity:
      return v.as_entity().ToString();
    case ValueKind::kSet: {
      std::string out = "[";
      for (size_t i = 0; i < v.as_set().size(); ++i) {
        if (i) out += ", ";
        out += ValueToString(v.as_set()[i]);
      }
      return out + "]";
    }
    case ValueKind::kRecord: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, f] : v.as_record()) {
        if (!first) out += ", ";
        first = false;
        out += QuoteString(k) + ": " + ValueToString(f);
      }
      return out + "}";
    }
    case ValueKind::kExtension: {
      const Extension& x = v.as_extension();
      return std::string(internal::ExtensionConstructor(x.kind)) + "(" +
             QuoteString(internal::ExtensionArgument(x)) + ")";
    }
  }
  return "";
}

std::string FormatExpr(const Expr& expr) {
  std::string out;
  Print(expr, out);
  return out;
}

std::string FormatPolicy(const Policy& p) {
  std::string out;
  for (const auto& [k, v] : p.annotations) out += "@" + k + "(" + QuoteString(v) + ")\n";
  out += p.effect == Effect::kPermit ? "permit (\n" : "forbid (\n";
  out += "  " + ScopeText("principal", p.principal) + ",\n";
  out += "  " + ScopeText("action", p.action) + ",\n";
  out += "  " + ScopeText("resource", p.resource) + "\n)";
  for (const Condition& c : p.conditions) {
    out += c.is_when ? "\nwhen { " : "\nunless { ";
    Print(*c.body, out);
    out += " }";
  }
  out += ";\n";
  return out;
}

std::string FormatPolicySet(const PolicySet& policies) {
  // Textual order: static policies and templates interleaved by their source position.
  std::vector<const Policy*> all;
  for (const Policy& p : policies.policies()) {
    if (!p.template_id) all.push_back(&p);
  }
  for (const Policy& p : policies.templates()) all.push_back(&p);
  std::stable_sort(all.begin(), all.end(), [](const Policy* a, const Policy* b) {
    return a->span.offset < b->span.offset;
  });
  std::string out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i) out += '\n';
    out += FormatPolicy(*all[i]);
  }
  return out;
}

}  // namespace mandate::cedar
