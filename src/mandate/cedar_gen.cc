#include "src/mandate/cedar_gen.h"

#include <cstdio>
#include <map>

#include "src/mandate/internal/guard_refs.h"

namespace mandate {
namespace {

std::string CedarType(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "String";
    case ValueType::kLong:
      return "Long";
    case ValueType::kBool:
      return "Bool";
    case ValueType::kStringSet:
      return "Set<String>";
    case ValueType::kLongSet:
      return "Set<Long>";
  }
  return "String";
}

std::string Quote(std::string_view s);

std::string Record(const std::vector<TypedField>& fields) {
  std::string s = "{";
  for (size_t i = 0; i < fields.size(); ++i) {
    s += (i ? ", " : "") + Quote(fields[i].name) + (fields[i].required ? ": " : "?: ") +
         CedarType(fields[i].type);
  }
  return s + "}";
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A Cedar text fragment and where its first line sits in the mandate's source.
struct Origin {
  SourceSpan scalar;  // the YAML scalar holding the fragment
  std::string_view value;
  int first_line = 1;  // the fragment's first line within the generated policy text
};

class Generator {
 public:
  Generator(const Mandate& m, std::string_view source, std::vector<Diagnostic>* out)
      : m_(m), source_(source), out_(out) {}

  std::shared_ptr<const MandateCedar> Run() {
    auto cedar = std::make_shared<MandateCedar>();
    cedar->schema_text = CedarSchemaText(m_);
    auto schema = cedar::Schema::ParseCedar(cedar->schema_text);
    if (!schema) {
      Error(m_.where, "cedar.schema",
            "generated cedar schema is invalid: " + schema.error().message());
    } else {
      cedar->schema = *schema;
    }
    for (const Step& step : m_.steps) {
      const std::string head =
          "permit (principal, action == Action::" + Quote(step.id) + ", resource)";
      std::string text =
          step.guard.empty() ? head + ";" : head + "\nwhen {\n" + step.guard + "\n};";
      Add(cedar.get(), "step." + step.id, text, {step.guard_where, step.guard, 3},
          "step `" + step.id + "`: guard");
    }
    for (const auto& [from, transitions] : m_.order.next) {
      for (const Transition& t : transitions) {
        if (t.when.empty()) continue;
        std::string text = "forbid (principal, action == Action::" + Quote(t.to) +
                           ", resource)\nwhen { context.task.last_step == " + Quote(from) +
                           " }\nunless {\n" + t.when + "\n};";
        Add(cedar.get(), "order." + from + "." + t.to, text, {t.where, t.when, 4},
            "order: next: `" + from + "` -> `" + t.to + "`: when");
      }
    }
    for (const Policy& policy : m_.policies) AddPolicies(cedar.get(), policy);
    if (!failed_ && cedar->schema) Validate(*cedar);
    return failed_ ? nullptr : cedar;
  }

 private:
  void Error(const SourceSpan& where, std::string code, std::string message) {
    out_->push_back({Severity::kError, std::move(code), std::move(message), where, ""});
    failed_ = true;
  }

  // The source position of a Cedar diagnostic at (line, column) of generated text.
  SourceSpan Map(const Origin& origin, uint32_t line, uint32_t column) {
    if (line < static_cast<uint32_t>(origin.first_line)) return origin.scalar;
    size_t offset = 0;
    for (uint32_t l = origin.first_line; l < line && offset != std::string_view::npos; ++l) {
      offset = origin.value.find('\n', offset);
      if (offset != std::string_view::npos) ++offset;
    }
    if (offset == std::string_view::npos) return origin.scalar;
    offset += column > 0 ? column - 1 : 0;
    return internal::SpanInScalar(origin.scalar, source_, origin.value, offset);
  }

  void Add(MandateCedar* cedar, const std::string& id, const std::string& text,
           const Origin& origin, const std::string& what) {
    std::vector<cedar::Diagnostic> diags;
    auto parsed = cedar::ParsePolicies(text, {}, &diags);
    if (!parsed) {
      for (const auto& d : diags)
        Error(Map(origin, d.line, d.column), "cedar.parse", what + ": " + d.message);
      if (diags.empty())
        Error(origin.scalar, "cedar.parse", what + ": " + parsed.error().message());
      return;
    }
    if (parsed->policies().size() != 1 || !parsed->templates().empty()) {
      Error(origin.scalar, "cedar.parse", what + ": must be one condition expression");
      return;
    }
    cedar::Policy policy = parsed->policies()[0];
    policy.id = id;
    Commit(cedar, std::move(policy), text, origin, what);
  }

  void AddPolicies(MandateCedar* cedar, const Policy& policy) {
    const std::string what = "policy `" + policy.id + "`";
    std::vector<cedar::Diagnostic> diags;
    auto parsed = cedar::ParsePolicies(policy.cedar, {}, &diags);
    const Origin origin{policy.cedar_where, policy.cedar, 1};
    if (!parsed) {
      for (const auto& d : diags)
        Error(Map(origin, d.line, d.column), "cedar.parse", what + ": " + d.message);
      if (diags.empty())
        Error(origin.scalar, "cedar.parse", what + ": " + parsed.error().message());
      return;
    }
    if (!parsed->templates().empty()) {
      Error(origin.scalar, "cedar.template", what + ": templates are not allowed in a mandate");
    }
    const auto& list = parsed->policies();
    if (list.empty()) Error(origin.scalar, "cedar.parse", what + ": no policy in the text");
    for (size_t i = 0; i < list.size(); ++i) {
      cedar::Policy p = list[i];
      p.id = "policy." + policy.id + (list.size() > 1 ? "." + std::to_string(i) : "");
      Commit(cedar, std::move(p), policy.cedar, origin, what);
    }
  }

  // Strict validation against the generated schema: a misspelt attribute or a type error in a
  // guard is a load error at its place in the mandate.
  void Validate(const MandateCedar& cedar) {
    const cedar::ValidationResult result = cedar::ValidatePolicies(*cedar.schema, cedar.policies);
    for (const cedar::ValidationIssue& issue : result.errors) {
      auto it = origins_.find(issue.policy_id);
      if (it == origins_.end()) {
        Error(m_.where, "cedar.validation", issue.policy_id + ": " + issue.message);
        continue;
      }
      const auto& [origin, what] = it->second;
      Error(Map(origin, issue.span.line, issue.span.column), "cedar." + issue.code,
            what + ": " + issue.message);
    }
  }

  void Commit(MandateCedar* cedar, cedar::Policy policy, const std::string& text,
              const Origin& origin, const std::string& what) {
    const std::string id = policy.id;
    origins_[id] = {origin, what};
    const SourceSpan& where = origin.scalar;
    if (Status s = cedar->policies.Add(std::move(policy)); !s.ok()) {
      Error(where, "cedar.policy", what + ": " + s.message());
      return;
    }
    cedar->policies_text += "@id(" + Quote(id) + ")\n" + text + "\n\n";
  }

  const Mandate& m_;
  std::string_view source_;
  std::vector<Diagnostic>* out_;
  std::map<std::string, std::pair<Origin, std::string>> origins_;  // policy id -> source, label
  bool failed_ = false;
};

}  // namespace

std::string CedarSchemaText(const Mandate& m) {
  std::string s = "// Generated from mandate `" + m.name + "` version `" + m.version + "`.\n";
  s += "entity Agent;\nentity System;\nentity Task;\n";
  s += "type Inputs = " + Record(m.inputs) + ";\n";
  s += "type Call = {system: String, action: String, resource: String};\n";
  s += "type StepInfo = {id: String, reads: Set<String>, writes: Set<String>};\n";
  s += "type TaskState = {steps_done: Set<String>, last_step: String, calls: Long, "
       "labels_read: Set<String>, count: {";
  for (size_t i = 0; i < m.steps.size(); ++i)
    s += (i ? ", " : "") + Quote(m.steps[i].id) + ": Long";
  s += "}};\n";
  for (const Step& step : m.steps) {
    s +=
        "action " + Quote(step.id) + " appliesTo {\n  principal: [Agent],\n  resource: [System],\n";
    s += "  context: {args: " + Record(step.args) +
         ", inputs: Inputs, task: TaskState, call: Call, step: StepInfo, now: Long}\n};\n";
  }
  return s;
}

std::shared_ptr<const MandateCedar> CompileMandateCedar(const Mandate& mandate,
                                                        std::string_view source,
                                                        std::vector<Diagnostic>* diagnostics) {
  return Generator(mandate, source, diagnostics).Run();
}

}  // namespace mandate
