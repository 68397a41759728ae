// The mandate document: the permitted action chain for one kind of task, owned by a named human.
//
// One model, two syntaxes (YAML and JSON). `LoadMandateFile` / `LoadMandateText` parse, check
// every reference and collect ALL diagnostics (file, line, column) instead of stopping at the
// first; a mandate is returned only when there is no error (warnings are kept beside it).
// `LoadMandateDirectory` loads every mandate of a folder, several versions of one mandate side by
// side, identified by name + version and pinned by a content digest. docs/mandates.md describes
// every field.
//
// Thread-safety: a loaded `Mandate` is immutable and safe to share between threads; the load
// functions are stateless and may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mandate {

struct MandateCedar;  // cedar_gen.h

// Where something is in a source file; line and column are 1-based (0 = unknown).
struct SourceSpan {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity : uint8_t { kError, kWarning };

// One finding of the loader, like a compiler's: `file:line:col: error: message [code]`.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;     // stable, e.g. `mandate.unknown_key`, `order.unbounded_loop`
  std::string message;  // lowercase, user input in backticks
  SourceSpan where;
  std::string help;  // optional hint
  std::string ToString() const;
};

// The value types of step arguments and task inputs (Cedar types in the generated schema).
enum class ValueType : uint8_t { kString, kLong, kBool, kStringSet, kLongSet };
std::string_view ValueTypeName(ValueType type);  // "string", "long", "bool", "set<string>", ...

struct TypedField {
  std::string name;
  ValueType type = ValueType::kString;
  bool required = true;
  std::string description;
  SourceSpan where;
};

// Who may run a mandate: one of the three forms is set.
struct AgentMatcher {
  std::string spiffe_id;      // exact SPIFFE ID, `spiffe://td/path`
  std::string spiffe_prefix;  // path prefix, `spiffe://td/agents/` (matches below it)
  std::string oidc_issuer;    // OIDC issuer + subject (both required together)
  std::string oidc_subject;
};

enum class SystemKind : uint8_t { kHttp, kMcp };
enum class CredentialInjection : uint8_t { kBearer, kHeader, kBasic };

// The real upstream credential the enforcement point injects for allowed steps.
struct CredentialRef {
  std::string secret;  // name of the secret in the operator's secret store
  CredentialInjection inject = CredentialInjection::kBearer;
  std::string header;  // header name, only for `inject: header`
};

struct System {
  std::string name;
  std::string audience;  // the audience step credentials for this system carry
  SystemKind kind = SystemKind::kHttp;
  std::string upstream;  // base URL (http) or server address/command (mcp)
  std::optional<CredentialRef> credential;
  std::string description;
  SourceSpan where;
};

struct Step {
  std::string id;
  std::string system;
  std::vector<std::string> actions;  // HTTP `METHOD /path` style names or MCP tool names; `*` glob
  std::vector<std::string> resources;  // patterns: `*` (no `/`), `**` (anything), `{input}`
  std::vector<TypedField> args;        // declared arguments with types (guards see context.args)
  std::vector<std::string> reads;      // data labels this step reads (`pii`, `untrusted`, ...)
  std::vector<std::string> writes;     // data labels this step writes / sends
  std::string guard;                   // Cedar condition expression; empty = always
  SourceSpan guard_where;
  std::optional<uint32_t> max_calls;  // call budget of the step
  bool approval_required = false;
  std::optional<int64_t> credential_ttl_seconds;  // overrides limits.step_credential_ttl
  bool delegable = false;
  std::string description;
  SourceSpan where;
};

// An allowed transition `from` -> `to`, optionally only when a Cedar condition on live data
// (the call's arguments, inputs, task state) holds: a branch.
struct Transition {
  std::string to;
  std::string when;  // Cedar condition; empty = unconditional
  SourceSpan where;
};

// A loop: every re-entry of `head` from inside its cycle is one more iteration.
struct Loop {
  std::string head;
  uint32_t max_iterations = 0;
  SourceSpan where;
};

struct Order {
  bool sequenced = false;          // true when `next` is given: each call must follow an edge
  std::vector<std::string> start;  // steps that may come first (sequenced only)
  std::map<std::string, std::vector<Transition>> next;            // from step -> transitions
  std::map<std::string, std::vector<std::string>> prerequisites;  // `requires`: done before
  std::vector<Loop> loops;
  std::vector<std::string> final_steps;  // steps after which the task may complete (empty = any)
  SourceSpan where;
};

struct Limits {
  std::optional<int64_t> deadline_seconds;  // task deadline from start
  std::optional<int64_t> idle_timeout_seconds;
  std::optional<uint32_t> max_calls;  // total call budget of the task
  int64_t step_credential_ttl_seconds = 60;
};

struct Policy {
  std::string id;
  std::string cedar;  // one or more Cedar policies (permit/forbid, annotations allowed)
  std::string description;
  SourceSpan where;
  SourceSpan cedar_where;
};

enum class OnDeviation : uint8_t { kRevoke, kDeny, kEscalate };
enum class Mode : uint8_t { kEnforce, kShadow };
// agent: calls tools and may delegate its delegable steps; planner: may only delegate;
// executor: runs delegated steps and may not delegate further.
enum class PlanningRole : uint8_t { kAgent, kPlanner, kExecutor };

struct Planning {
  PlanningRole role = PlanningRole::kAgent;
  std::vector<AgentMatcher> executors;  // who a planner may delegate to (empty = any allowed agent)
  std::vector<std::string> executor_mandates;  // mandates a child task may run under
};

struct Mandate {
  std::string name;
  std::string version;
  std::string owner;
  std::string description;
  std::vector<AgentMatcher> agents;
  std::vector<System> systems;
  std::vector<TypedField> inputs;
  std::vector<Step> steps;
  Order order;
  Limits limits;
  std::vector<Policy> policies;
  OnDeviation on_deviation = OnDeviation::kRevoke;
  Mode mode = Mode::kEnforce;
  Planning planning;
  std::string digest;                         // `sha256:<hex>` of the normalised JSON form
  std::shared_ptr<const MandateCedar> cedar;  // generated schema and policies (cedar_gen.h)
  SourceSpan where;

  // Index of a step / system by name, or -1.
  int StepIndex(std::string_view id) const;
  int SystemIndex(std::string_view name) const;
  // All data labels the mandate mentions (step reads and writes), sorted, unique.
  std::vector<std::string> Labels() const;
};

enum class Format : uint8_t { kAuto, kYaml, kJson };

struct LoadOptions {
  size_t max_bytes = 1 << 20;  // document size bound
  size_t max_nodes = 100'000;  // YAML nodes visited (alias expansion counts every visit)
  size_t max_depth = 64;       // nesting bound
  size_t max_scalar_bytes = 64 << 10;
};

struct LoadResult {
  std::shared_ptr<const Mandate> mandate;  // set iff there is no error
  std::vector<Diagnostic> diagnostics;     // errors and warnings, in source order
  bool ok() const { return mandate != nullptr; }
  size_t ErrorCount() const;
};

// Parses and checks one mandate. `file` names the source in diagnostics; kAuto picks JSON when
// the first non-blank character is `{`, YAML otherwise.
LoadResult LoadMandateText(std::string_view text, std::string_view file,
                           Format format = Format::kAuto, const LoadOptions& options = {});
// Reads `path` (format from the extension: .json, .yaml, .yml) and loads it.
LoadResult LoadMandateFile(const std::string& path, const LoadOptions& options = {});

// Every mandate of a directory (files ending in .yaml, .yml or .json, not recursive).
struct MandateCatalog {
  std::vector<std::shared_ptr<const Mandate>> mandates;  // sorted by name, then version
  std::vector<Diagnostic> diagnostics;
  // The exact version, or the highest version (dotted numeric comparison) when `version` is empty.
  std::shared_ptr<const Mandate> Find(std::string_view name, std::string_view version = {}) const;
};
// A name+version loaded twice with different content is an error (`mandate.duplicate_version`).
MandateCatalog LoadMandateDirectory(const std::string& dir, const LoadOptions& options = {});

// Compares versions as dotted numbers (`1.10.0` > `1.9.2`), non-numeric parts as text.
int CompareVersions(std::string_view a, std::string_view b);

// The normalised JSON form (what `mandate mandate show` prints), deterministic; the digest is
// the SHA-256 of this text.
std::string ToNormalisedJson(const Mandate& mandate);

// The order as a Graphviz DOT digraph: steps, transitions (with `when`), prerequisites, loops.
std::string ToDot(const Mandate& mandate);

}  // namespace mandate
