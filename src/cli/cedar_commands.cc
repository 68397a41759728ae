// `mandate cedar ...`: authorize, validate, format and the conformance suite, over src/cedar/.
#include <boost/json.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "src/cedar/cedar.h"
#include "src/cedar/schema.h"
#include "src/cli/commands.h"
#include "src/json/json.h"
#include "src/util/file.h"

namespace mandate::cli {
namespace {

namespace bj = boost::json;

// Policies in Cedar text, or in Cedar JSON (EST) when the file starts with `{`.
Result<cedar::PolicySet> LoadPolicies(const std::string& path) {
  auto text = ReadFileBytes(path);
  if (!text) return Err(text.error());
  size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{') {
    json::Limits limits;
    limits.max_bytes = cedar::Limits{}.max_policy_text_bytes;
    auto doc = json::Parse(*text, limits);
    if (!doc) return Err(doc.error().WithContext("`" + path + "`"));
    return cedar::PolicySetFromEst(*doc);
  }
  auto set = cedar::ParsePolicies(*text);
  if (!set) return Err(set.error().WithContext("`" + path + "`"));
  return set;
}

Result<std::shared_ptr<const cedar::Schema>> LoadSchema(const std::string& path) {
  auto text = ReadFileBytes(path);
  if (!text) return Err(text.error());
  auto schema = cedar::Schema::Parse(*text);
  if (!schema) return Err(schema.error().WithContext("`" + path + "`"));
  return schema;
}

struct AuthorizeArgs {
  std::string policies, entities, request, schema;
};

// Request file: {"principal":{"type","id"},"action":...,"resource":...,"context":{...}}.
int RunAuthorize(const AuthorizeArgs& args) {
  auto policies = LoadPolicies(args.policies);
  if (!policies) return Fail("cedar", policies.error());
  std::shared_ptr<const cedar::Schema> schema;
  if (!args.schema.empty()) {
    auto s = LoadSchema(args.schema);
    if (!s) return Fail("cedar", s.error());
    schema = *s;
  }
  auto entities_text = ReadFileBytes(args.entities);
  if (!entities_text) return Fail("cedar", entities_text.error());
  auto entities =
      cedar::EntitiesFromJson(*entities_text, schema ? &schema->entity_hook() : nullptr);
  if (!entities) return Fail("cedar", entities.error().WithContext("`" + args.entities + "`"));
  auto request_text = ReadFileBytes(args.request);
  if (!request_text) return Fail("cedar", request_text.error());
  auto doc = json::Parse(*request_text);
  if (!doc || !doc->is_object()) {
    return Fail("cedar", doc ? InvalidArgument("cli.request", "the request must be a JSON object")
                             : doc.error().WithContext("`" + args.request + "`"));
  }
  const bj::object& o = doc->get_object();
  cedar::Request request;
  for (auto [key, out] :
       {std::pair("principal", &request.principal), std::pair("action", &request.action),
        std::pair("resource", &request.resource)}) {
    const bj::value* v = o.if_contains(key);
    if (!v)
      return Fail("cedar", InvalidArgument("cli.request", std::string("missing `") + key + "`"));
    auto uid = cedar::EntityUidFromJson(*v);
    if (!uid) return Fail("cedar", uid.error().WithContext(key));
    *out = *uid;
  }
  static const bj::value kEmpty = bj::object();
  const bj::value* context_json = o.if_contains("context");
  const bj::value& context_value = context_json ? *context_json : kEmpty;
  if (schema) {
    auto context = schema->ParseContext(context_value, request.action);
    if (!context) return Fail("cedar", context.error());
    request.context = *context;
    Status valid = schema->ValidateRequest(request);
    if (!valid.ok()) return Fail("cedar", valid);
  } else {
    auto context = cedar::ValueFromJson(context_value, nullptr);
    if (!context || !context->is_record()) {
      return Fail("cedar", context ? InvalidArgument("cli.request", "`context` must be an object")
                                   : context.error().WithContext("context"));
    }
    request.context = *context;
  }
  auto authorizer = cedar::Authorizer::Build(*policies);
  if (!authorizer) return Fail("cedar", authorizer.error());
  cedar::Response response = (*authorizer)->Authorize(request, *entities);
  bj::object out;
  out["decision"] = response.decision == cedar::Decision::kAllow ? "allow" : "deny";
  bj::array reasons, errors;
  for (const auto& r : response.reasons) reasons.emplace_back(r);
  for (const auto& e : response.errors) {
    errors.emplace_back(bj::object{{"policy", e.policy_id}, {"message", e.message}});
  }
  out["reasons"] = std::move(reasons);
  out["errors"] = std::move(errors);
  std::cout << bj::serialize(out) << "\n";
  return response.decision == cedar::Decision::kAllow ? 0 : 1;
}

int RunValidate(const std::string& policies_path, const std::string& schema_path, bool as_json) {
  auto policies = LoadPolicies(policies_path);
  if (!policies) return Fail("cedar", policies.error());
  auto schema = LoadSchema(schema_path);
  if (!schema) return Fail("cedar", schema.error());
  cedar::ValidationResult result = cedar::ValidatePolicies(**schema, *policies);
  auto issue_json = [](const cedar::ValidationIssue& i) {
    return bj::object{{"policy", i.policy_id},
                      {"code", i.code},
                      {"message", i.message},
                      {"line", i.span.line},
                      {"column", i.span.column}};
  };
  if (as_json) {
    bj::array errors, warnings;
    for (const auto& e : result.errors) errors.emplace_back(issue_json(e));
    for (const auto& w : result.warnings) warnings.emplace_back(issue_json(w));
    std::cout << bj::serialize(bj::object{{"passed", result.passed()},
                                          {"errors", std::move(errors)},
                                          {"warnings", std::move(warnings)}})
              << "\n";
  } else {
    auto print = [](const char* level, const cedar::ValidationIssue& i) {
      std::cout << level << ": policy `" << i.policy_id << "`";
      if (i.span.line) std::cout << " (line " << i.span.line << ", column " << i.span.column << ")";
      std::cout << ": " << i.code << ": " << i.message << "\n";
    };
    for (const auto& e : result.errors) print("error", e);
    for (const auto& w : result.warnings) print("warning", w);
    std::cout << (result.passed() ? "validation passed" : "validation failed") << " ("
              << result.errors.size() << " errors, " << result.warnings.size() << " warnings)\n";
  }
  return result.passed() ? 0 : 1;
}

int RunFormat(const std::string& path) {
  auto policies = LoadPolicies(path);
  if (!policies) return Fail("cedar", policies.error());
  std::cout << cedar::FormatPolicySet(*policies);
  return 0;
}

int RunConformance(const std::string& root, bool as_json) {
  auto report = cedar::RunConformance(root);
  if (!report) return Fail("cedar", report.error());
  if (as_json) {
    std::cout << "{\"requests\":{\"total\":" << report->requests_total
              << ",\"matched\":" << report->requests_matched
              << "},\"validation\":{\"total\":" << report->validation_total
              << ",\"matched\":" << report->validation_matched << "}}\n";
  } else {
    for (const auto& m : report->mismatches) {
      std::cout << "mismatch: " << m.test << ": " << m.what << ": " << m.detail << "\n";
    }
    std::cout << "requests: " << report->requests_matched << " of " << report->requests_total
              << " matched\nvalidation: " << report->validation_matched << " of "
              << report->validation_total << " matched\n";
  }
  bool all = report->requests_matched == report->requests_total &&
             report->validation_matched == report->validation_total;
  return all ? 0 : 1;
}

}  // namespace

void AddCedarCommands(CLI::App& app, int& exit_code) {
  CLI::App* cedar = app.add_subcommand("cedar", "Cedar policies: authorize, validate, format");
  cedar->require_subcommand(1);

  auto authorize_args = std::make_shared<AuthorizeArgs>();
  CLI::App* authorize =
      cedar->add_subcommand("authorize",
                            "decide one request; prints decision, reasons and errors as JSON "
                            "(exit 0 allow, 1 deny or error)");
  authorize->add_option("--policies", authorize_args->policies, "policy set (Cedar or JSON)")
      ->required();
  authorize->add_option("--entities", authorize_args->entities, "entities JSON")->required();
  authorize
      ->add_option("--request", authorize_args->request,
                   "request JSON {principal, action, resource, context}")
      ->required();
  authorize->add_option("--schema", authorize_args->schema,
                        "schema (Cedar or JSON syntax): types entities and context, validates "
                        "the request");
  authorize->callback([&exit_code, authorize_args] { exit_code = RunAuthorize(*authorize_args); });

  auto validate_args = std::make_shared<std::pair<std::string, std::string>>();
  auto validate_json = std::make_shared<bool>(false);
  CLI::App* validate = cedar->add_subcommand(
      "validate", "strict-mode validation of a policy set against a schema (exit 0 when valid)");
  validate->add_option("--policies", validate_args->first, "policy set (Cedar or JSON)")
      ->required();
  validate->add_option("--schema", validate_args->second, "schema (Cedar or JSON syntax)")
      ->required();
  validate->add_flag("--json", *validate_json, "print the result as JSON");
  validate->callback([&exit_code, validate_args, validate_json] {
    exit_code = RunValidate(validate_args->first, validate_args->second, *validate_json);
  });

  auto format_path = std::make_shared<std::string>();
  CLI::App* format = cedar->add_subcommand("format", "print a policy set in canonical layout");
  format->add_option("policies", *format_path, "policy set (Cedar or JSON)")->required();
  format->callback([&exit_code, format_path] { exit_code = RunFormat(*format_path); });

  auto root = std::make_shared<std::string>();
  auto conformance_json = std::make_shared<bool>(false);
  CLI::App* conformance = cedar->add_subcommand(
      "conformance", "run a Cedar conformance suite (exit 0 when everything matches)");
  conformance->add_option("root", *root, "suite root holding tests/ and corpus-tests/")->required();
  conformance->add_flag("--json", *conformance_json,
                        "print {\"requests\":{...},\"validation\":{...}} only");
  conformance->callback([&exit_code, root, conformance_json] {
    exit_code = RunConformance(*root, *conformance_json);
  });
}

}  // namespace mandate::cli
