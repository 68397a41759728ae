// Parser for the Cedar schema syntax (`.cedarschema`), Cedar 4.x grammar:
//   Schema    := {Namespace}
//   Namespace := Annotations 'namespace' Path '{' {Decl} '}' | Decl
//   Decl      := Entity | Action | TypeDecl
//   Entity    := Annotations 'entity' Idents ['in' EntOrTyps] [['='] RecType] ['tags' Type] ';'
//              | Annotations 'entity' Idents 'enum' '[' STR {',' STR} ']' ';'
//   Action    := Annotations 'action' Names ['in' RefOrRefs] [AppliesTo] ';'
//   TypeDecl  := Annotations 'type' IDENT '=' Type ';'
//   Type      := Path | 'Set' '<' Type '>' | RecType
//   RecType   := '{' [Annotations Name ['?'] ':' Type {',' ...} [',']] '}'
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "src/cedar/internal/schema_lexer.h"
#include "src/cedar/internal/schema_model.h"
#include "src/cedar/internal/schema_status.h"
#include "src/cedar/schema.h"

namespace mandate::cedar::internal {
namespace {

class CedarSchemaParser {
 public:
  CedarSchemaParser(std::vector<SchemaToken> tokens, const SchemaLimits& limits)
      : tokens_(std::move(tokens)), limits_(limits) {}

  Result<RawSchema> Parse() {
    RawSchema schema;
    RawNamespace empty;
    while (!AtEnd()) {
      size_t start = pos_;
      CEDAR_RETURN_IF_ERROR(SkipAnnotations());
      if (PeekIdent("namespace")) {
        RawNamespace ns;
        ns.span = Peek().span;
        Next();
        auto path = ParsePath();
        if (!path) return Err(path.error());
        ns.name = *path;
        CEDAR_RETURN_IF_ERROR(Expect("{"));
        while (!PeekPunct("}")) {
          if (AtEnd()) return Error(Peek(), "expected `}` to close namespace `" + ns.name + "`");
          CEDAR_RETURN_IF_ERROR(ParseDecl(ns));
        }
        Next();
        schema.namespaces.push_back(std::move(ns));
      } else {
        pos_ = start;  // annotations belong to the declaration
        CEDAR_RETURN_IF_ERROR(ParseDecl(empty));
      }
    }
    if (!empty.entity_types.empty() || !empty.actions.empty() || !empty.common_types.empty()) {
      schema.namespaces.insert(schema.namespaces.begin(), std::move(empty));
    }
    return schema;
  }

 private:
  const SchemaToken& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const SchemaToken& Next() {
    const SchemaToken& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool AtEnd() const { return Peek().kind == SchemaToken::Kind::kEnd; }
  bool PeekPunct(std::string_view p, size_t ahead = 0) const {
    const SchemaToken& t = Peek(ahead);
    return t.kind == SchemaToken::Kind::kPunct && t.text == p;
  }
  bool PeekIdent(std::string_view word, size_t ahead = 0) const {
    const SchemaToken& t = Peek(ahead);
    return t.kind == SchemaToken::Kind::kIdent && t.text == word;
  }

  static Status ErrorStatus(const SchemaToken& at, const std::string& message) {
    return InvalidArgument("cedar.schema", "line " + std::to_string(at.span.line) + ", column " +
                                               std::to_string(at.span.column) + ": " + message +
                                               ", found " + Describe(at));
  }
  static tl::unexpected<Status> Error(const SchemaToken& at, const std::string& message) {
    return Err(ErrorStatus(at, message));
  }
  static std::string Describe(const SchemaToken& t) {
    switch (t.kind) {
      case SchemaToken::Kind::kEnd:
        return "end of input";
      case SchemaToken::Kind::kString:
        return "string literal";
      default:
        return "`" + t.text + "`";
    }
  }

  Status Expect(std::string_view punct) {
    if (!PeekPunct(punct)) return ErrorStatus(Peek(), "expected `" + std::string(punct) + "`");
    Next();
    return {};
  }

  Status SkipAnnotations() {
    while (PeekPunct("@")) {
      Next();
      if (Peek().kind != SchemaToken::Kind::kIdent) {
        return ErrorStatus(Peek(), "expected an annotation name after `@`");
      }
      Next();
      if (PeekPunct("(")) {
        Next();
        if (Peek().kind != SchemaToken::Kind::kString) {
          return ErrorStatus(Peek(), "expected a string as the annotation value");
        }
        Next();
        CEDAR_RETURN_IF_ERROR(Expect(")"));
      }
    }
    return {};
  }

  Result<std::string> ParseIdent(std::string_view what) {
    if (Peek().kind != SchemaToken::Kind::kIdent)
      return Error(Peek(), "expected " + std::string(what));
    return Next().text;
  }

  Result<std::string> ParsePath() {
    auto first = ParseIdent("an identifier");
    if (!first) return first;
    std::string path = *first;
    while (PeekPunct("::") && Peek(1).kind == SchemaToken::Kind::kIdent) {
      Next();
      path += "::" + Next().text;
    }
    return path;
  }

  Status ParseDecl(RawNamespace& ns) {
    CEDAR_RETURN_IF_ERROR(SkipAnnotations());
    if (PeekIdent("entity")) return ParseEntity(ns);
    if (PeekIdent("action")) return ParseAction(ns);
    if (PeekIdent("type")) return ParseCommonType(ns);
    return ErrorStatus(Peek(), "expected `entity`, `action`, `type` or `namespace`");
  }

  // Idents ['in' EntOrTyps] [['='] RecType] ['tags' Type] ';' | Idents 'enum' [...] ';'
  Status ParseEntity(RawNamespace& ns) {
    SourceSpan span = Next().span;
    std::vector<std::string> names;
    do {
      auto name = ParseIdent("an entity type name");
      if (!name) return name.error();
      names.push_back(*name);
    } while (PeekPunct(",") && (Next(), true));
    RawEntityType decl;
    decl.span = span;
    if (PeekIdent("enum")) {
      Next();
      CEDAR_RETURN_IF_ERROR(Expect("["));
      std::vector<std::string> ids;
      while (true) {
        if (Peek().kind != SchemaToken::Kind::kString) {
          return ErrorStatus(Peek(), "expected a string in the enumeration");
        }
        ids.push_back(Next().text);
        if (!PeekPunct(",")) break;
        Next();
        if (PeekPunct("]")) break;
      }
      CEDAR_RETURN_IF_ERROR(Expect("]"));
      decl.enum_ids = std::move(ids);
    } else {
      if (PeekIdent("in")) {
        Next();
        auto types = ParseTypeList();
        if (!types) return types.error();
        decl.member_of = std::move(*types);
      }
      if (PeekPunct("=") || PeekPunct("{")) {
        if (PeekPunct("=")) Next();
        if (!PeekPunct("{")) return ErrorStatus(Peek(), "expected a record type `{ ... }`");
        auto shape = ParseType(0);
        if (!shape) return shape.error();
        decl.shape = *shape;
      }
      if (PeekIdent("tags")) {
        Next();
        auto tags = ParseType(0);
        if (!tags) return tags.error();
        decl.tags = *tags;
      }
    }
    CEDAR_RETURN_IF_ERROR(Expect(";"));
    for (auto& name : names) {
      RawEntityType copy = decl;
      copy.name = name;
      ns.entity_types.push_back(std::move(copy));
    }
    return {};
  }

  // EntOrTyps := Path | '[' [Path {',' Path} [',']] ']'
  Result<std::vector<std::string>> ParseTypeList() {
    std::vector<std::string> out;
    if (!PeekPunct("[")) {
      auto path = ParsePath();
      if (!path) return Err(path.error());
      out.push_back(*path);
      return out;
    }
    Next();
    while (!PeekPunct("]")) {
      auto path = ParsePath();
      if (!path) return Err(path.error());
      out.push_back(*path);
      if (!PeekPunct(",")) break;
      Next();
    }
    CEDAR_RETURN_IF_ERROR(Expect("]"));
    return out;
  }

  Result<std::string> ParseName(std::string_view what) {
    if (Peek().kind == SchemaToken::Kind::kIdent || Peek().kind == SchemaToken::Kind::kString) {
      return Next().text;
    }
    return Error(Peek(), "expected " + std::string(what));
  }

  // Ref := Path '::' STR | Name
  Result<RawActionRef> ParseActionRef() {
    RawActionRef ref;
    if (Peek().kind == SchemaToken::Kind::kString) {
      ref.id = Next().text;
      return ref;
    }
    auto first = ParseIdent("an action reference");
    if (!first) return Err(first.error());
    std::string path = *first;
    while (PeekPunct("::")) {
      Next();
      if (Peek().kind == SchemaToken::Kind::kString) {
        ref.type = path;
        ref.id = Next().text;
        return ref;
      }
      auto part = ParseIdent("an identifier or a string after `::`");
      if (!part) return Err(part.error());
      path += "::" + *part;
    }
    if (path.find("::") != std::string::npos) {
      return Error(Peek(), "expected `::\"id\"` after the action type `" + path + "`");
    }
    ref.id = path;
    return ref;
  }

  Status ParseAction(RawNamespace& ns) {
    SourceSpan span = Next().span;
    std::vector<std::string> names;
    do {
      auto name = ParseName("an action name");
      if (!name) return name.error();
      names.push_back(*name);
    } while (PeekPunct(",") && (Next(), true));
    RawAction decl;
    decl.span = span;
    if (PeekIdent("in")) {
      Next();
      if (PeekPunct("[")) {
        Next();
        while (!PeekPunct("]")) {
          auto ref = ParseActionRef();
          if (!ref) return ref.error();
          decl.member_of.push_back(*ref);
          if (!PeekPunct(",")) break;
          Next();
        }
        CEDAR_RETURN_IF_ERROR(Expect("]"));
      } else {
        auto ref = ParseActionRef();
        if (!ref) return ref.error();
        decl.member_of.push_back(*ref);
      }
    }
    if (PeekIdent("appliesTo")) {
      Next();
      decl.has_applies_to = true;
      CEDAR_RETURN_IF_ERROR(ParseAppliesTo(decl));
    }
    if (PeekIdent("attributes")) {
      return ErrorStatus(Peek(), "action attributes are not supported in Cedar 4 schemas");
    }
    CEDAR_RETURN_IF_ERROR(Expect(";"));
    for (auto& name : names) {
      RawAction copy = decl;
      copy.id = name;
      ns.actions.push_back(std::move(copy));
    }
    return {};
  }

  Status ParseAppliesTo(RawAction& decl) {
    CEDAR_RETURN_IF_ERROR(Expect("{"));
    bool seen_principal = false, seen_resource = false, seen_context = false;
    while (!PeekPunct("}")) {
      const SchemaToken& key = Peek();
      if (PeekIdent("principal") || PeekIdent("resource")) {
        bool principal = key.text == "principal";
        bool& seen = principal ? seen_principal : seen_resource;
        if (seen) return ErrorStatus(key, "duplicate `" + key.text + "` declaration");
        seen = true;
        Next();
        CEDAR_RETURN_IF_ERROR(Expect(":"));
        auto types = ParseTypeList();
        if (!types) return types.error();
        (principal ? decl.principal_types : decl.resource_types) = std::move(*types);
      } else if (PeekIdent("context")) {
        if (seen_context) return ErrorStatus(key, "duplicate `context` declaration");
        seen_context = true;
        Next();
        CEDAR_RETURN_IF_ERROR(Expect(":"));
        auto type = ParseType(0);
        if (!type) return type.error();
        if ((*type)->kind == RawType::Kind::kSet) {
          return ErrorStatus(key, "`context` must be a record type or a common type name");
        }
        decl.context = *type;
      } else {
        return ErrorStatus(key, "expected `principal`, `resource` or `context`");
      }
      if (!PeekPunct(",")) break;
      Next();
    }
    CEDAR_RETURN_IF_ERROR(Expect("}"));
    if (!seen_principal || !seen_resource) {
      return ErrorStatus(Peek(), std::string("`appliesTo` lacks a `") +
                                     (seen_principal ? "resource" : "principal") + "` declaration");
    }
    return {};
  }

  Status ParseCommonType(RawNamespace& ns) {
    SourceSpan span = Next().span;
    auto name = ParseIdent("a common type name");
    if (!name) return name.error();
    CEDAR_RETURN_IF_ERROR(Expect("="));
    auto type = ParseType(0);
    if (!type) return type.error();
    CEDAR_RETURN_IF_ERROR(Expect(";"));
    ns.common_types.push_back(RawCommonType{*name, *type, span});
    return {};
  }

  Result<RawTypePtr> ParseType(size_t depth) {
    if (depth > limits_.max_depth) {
      return Error(Peek(),
                   "type nesting exceeds the limit of " + std::to_string(limits_.max_depth));
    }
    auto type = std::make_shared<RawType>();
    type->span = Peek().span;
    if (PeekPunct("{")) {
      Next();
      type->kind = RawType::Kind::kRecord;
      while (!PeekPunct("}")) {
        CEDAR_RETURN_IF_ERROR(SkipAnnotations());
        const SchemaToken& at = Peek();
        auto name = ParseName("an attribute name");
        if (!name) return Err(name.error());
        for (const auto& a : type->attributes) {
          if (a.name == *name) return Error(at, "duplicate attribute `" + *name + "`");
        }
        RawAttribute attribute;
        attribute.name = *name;
        if (PeekPunct("?")) {
          Next();
          attribute.required = false;
        }
        CEDAR_RETURN_IF_ERROR(Expect(":"));
        auto attr_type = ParseType(depth + 1);
        if (!attr_type) return attr_type;
        attribute.type = *attr_type;
        type->attributes.push_back(std::move(attribute));
        if (!PeekPunct(",")) break;
        Next();
      }
      CEDAR_RETURN_IF_ERROR(Expect("}"));
      return RawTypePtr(type);
    }
    if (PeekIdent("Set") && PeekPunct("<", 1)) {
      Next();
      Next();
      type->kind = RawType::Kind::kSet;
      auto element = ParseType(depth + 1);
      if (!element) return element;
      type->element = *element;
      CEDAR_RETURN_IF_ERROR(Expect(">"));
      return RawTypePtr(type);
    }
    if (Peek().kind != SchemaToken::Kind::kIdent) {
      return Error(Peek(), "expected a type (a name, `Set<...>` or `{ ... }`)");
    }
    auto path = ParsePath();
    if (!path) return Err(path.error());
    type->kind = RawType::Kind::kName;
    type->name = *path;
    return RawTypePtr(type);
  }

  std::vector<SchemaToken> tokens_;
  const SchemaLimits& limits_;
  size_t pos_ = 0;
};

}  // namespace

Result<RawSchema> ParseCedarSchemaSyntax(std::string_view text, const SchemaLimits& limits,
                                         std::vector<Diagnostic>* diagnostics) {
  auto fail = [&](Status status, uint32_t line, uint32_t column) -> Result<RawSchema> {
    if (diagnostics) diagnostics->push_back(Diagnostic{line, column, status.message()});
    return Err(std::move(status));
  };
  if (text.size() > limits.max_bytes) {
    return fail(
        InvalidArgument("cedar.schema_too_large", "schema of " + std::to_string(text.size()) +
                                                      " bytes exceeds the limit of " +
                                                      std::to_string(limits.max_bytes)),
        0, 0);
  }
  auto tokens = LexSchema(text, limits);
  if (!tokens) return fail(tokens.error(), 0, 0);
  CedarSchemaParser parser(std::move(*tokens), limits);
  auto schema = parser.Parse();
  if (!schema) return fail(schema.error(), 0, 0);
  return schema;
}

}  // namespace mandate::cedar::internal
