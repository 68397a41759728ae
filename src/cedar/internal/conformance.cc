// The conformance runner: Cedar integration-test JSON files against this engine.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "src/cedar/schema.h"
#include "src/json/json.h"
#include "src/util/file.h"

namespace mandate::cedar {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

Result<std::string> ReadFile(const fs::path& path) {
  auto text = ReadFileBytes(path.string());
  if (!text) return Err(NotFound("cedar.conformance", text.error().message()));
  return text;
}

std::string Joined(const std::set<std::string>& ids) {
  std::string out = "[";
  for (const auto& id : ids) out += (out.size() > 1 ? ", " : "") + id;
  return out + "]";
}

std::set<std::string> StringSet(const bj::value* v) {
  std::set<std::string> out;
  if (v && v->is_array()) {
    for (const auto& e : v->get_array()) {
      if (e.is_string()) out.insert(std::string(e.get_string()));
    }
  }
  return out;
}

// Parsed inputs shared by the tests that name the same files.
class Inputs {
 public:
  explicit Inputs(fs::path root) : root_(std::move(root)) {}

  Result<std::shared_ptr<const Schema>> GetSchema(const std::string& path) {
    auto it = schemas_.find(path);
    if (it != schemas_.end()) return it->second;
    auto text = ReadFile(root_ / path);
    if (!text) return Err(text.error());
    auto schema = Schema::Parse(*text);
    if (!schema) return Err(schema.error().WithContext("schema `" + path + "`"));
    schemas_[path] = *schema;
    return *schema;
  }

  struct Policies {
    PolicySet set;
    std::shared_ptr<const Authorizer> authorizer;
  };
  Result<const Policies*> GetPolicies(const std::string& path) {
    auto it = policies_.find(path);
    if (it != policies_.end()) return it->second.get();
    auto text = ReadFile(root_ / path);
    if (!text) return Err(text.error());
    auto set = ParsePolicies(*text);
    if (!set) return Err(set.error().WithContext("policies `" + path + "`"));
    auto authorizer = Authorizer::Build(*set);
    if (!authorizer) return Err(authorizer.error().WithContext("policies `" + path + "`"));
    auto entry = std::make_unique<Policies>(Policies{std::move(*set), *authorizer});
    const Policies* out = entry.get();
    policies_[path] = std::move(entry);
    return out;
  }

  Result<const Entities*> GetEntities(const std::string& path, const std::string& schema_path,
                                      const Schema& schema) {
    std::string key = path + "\n" + schema_path;
    auto it = entities_.find(key);
    if (it != entities_.end()) return it->second.get();
    auto text = ReadFile(root_ / path);
    if (!text) return Err(text.error());
    auto entities = EntitiesFromJson(*text, &schema.entity_hook());
    if (!entities) return Err(entities.error().WithContext("entities `" + path + "`"));
    auto entry = std::make_unique<Entities>(std::move(*entities));
    const Entities* out = entry.get();
    entities_[key] = std::move(entry);
    return out;
  }

 private:
  fs::path root_;
  std::map<std::string, std::shared_ptr<const Schema>> schemas_;
  std::map<std::string, std::unique_ptr<Policies>> policies_;
  std::map<std::string, std::unique_ptr<Entities>> entities_;
};

std::vector<fs::path> TestFiles(const fs::path& root) {
  std::vector<fs::path> out;
  for (const char* dir : {"tests", "corpus-tests"}) {
    fs::path base = root / dir;
    std::error_code ec;
    if (!fs::is_directory(base, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(
             base, fs::directory_options::follow_directory_symlink, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::path& p = it->path();
      std::string name = p.filename().string();
      if (p.extension() != ".json" || name == "entities.json" ||
          (name.size() > 14 && name.substr(name.size() - 14) == ".entities.json")) {
        continue;
      }
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Runner {
 public:
  explicit Runner(fs::path root) : root_(root), inputs_(std::move(root)) {}

  void RunTest(const fs::path& file, ConformanceReport* report) {
    std::string test = fs::relative(file, root_).string();
    auto mismatch = [&](std::string what, std::string detail) {
      report->mismatches.push_back(ConformanceMismatch{test, std::move(what), std::move(detail)});
    };
    auto text = ReadFile(file);
    if (!text) return mismatch("test", text.error().message());
    json::Limits limits;
    limits.max_bytes = 64 << 20;
    auto doc = json::Parse(*text, limits);
    if (!doc || !doc->is_object()) {
      return mismatch("test", doc ? "not a JSON object" : doc.error().message());
    }
    const bj::object& t = doc->get_object();
    const bj::value* requests = t.if_contains("requests");
    size_t request_count = requests && requests->is_array() ? requests->get_array().size() : 0;
    report->requests_total += request_count;
    report->validation_total += t.contains("shouldValidate") ? 1 : 0;
    auto str = [&](const char* key) {
      const bj::value* v = t.if_contains(key);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    std::string schema_path = str("schema");
    auto schema = inputs_.GetSchema(schema_path);
    if (!schema) return mismatch("test", schema.error().message());
    auto policies = inputs_.GetPolicies(str("policies"));
    if (!policies) return mismatch("test", policies.error().message());
    if (const bj::value* should = t.if_contains("shouldValidate"); should && should->is_bool()) {
      ValidationResult v = ValidatePolicies(**schema, (*policies)->set);
      if (v.passed() == should->get_bool()) {
        ++report->validation_matched;
      } else {
        std::string detail =
            std::string("expected shouldValidate=") + (should->get_bool() ? "true" : "false");
        for (const auto& e : v.errors) detail += "; " + e.policy_id + ": " + e.message;
        mismatch("validation", detail);
      }
    }
    auto entities = inputs_.GetEntities(str("entities"), schema_path, **schema);
    if (!entities) return mismatch("test", entities.error().message());
    if (!requests) return;
    for (const auto& r : requests->get_array()) {
      if (RunRequest(r, **schema, **policies, **entities, &mismatch)) ++report->requests_matched;
    }
  }

 private:
  template <typename Mismatch>
  bool RunRequest(const bj::value& r, const Schema& schema, const Inputs::Policies& policies,
                  const Entities& entities, Mismatch* mismatch) {
    if (!r.is_object()) {
      (*mismatch)("request", "not a JSON object");
      return false;
    }
    const bj::object& o = r.get_object();
    std::string description = "request";
    if (const bj::value* d = o.if_contains("description"); d && d->is_string()) {
      description = std::string(d->get_string());
    }
    auto fail = [&](const std::string& detail) {
      (*mismatch)(description, detail);
      return false;
    };
    Request request;
    for (auto [key, out] :
         {std::pair("principal", &request.principal), std::pair("action", &request.action),
          std::pair("resource", &request.resource)}) {
      const bj::value* v = o.if_contains(key);
      if (!v) return fail(std::string("missing `") + key + "`");
      auto uid = EntityUidFromJson(*v);
      if (!uid) return fail(std::string(key) + ": " + uid.error().message());
      *out = *uid;
    }
    static const bj::value kEmpty = bj::object();
    const bj::value* context_json = o.if_contains("context");
    auto context = schema.ParseContext(context_json ? *context_json : kEmpty, request.action);
    if (!context) return fail(context.error().message());
    request.context = *context;
    const bj::value* validate = o.if_contains("validateRequest");
    if (!validate || !validate->is_bool() || validate->get_bool()) {
      Status s = schema.ValidateRequest(request);
      if (!s.ok()) return fail(s.message());
    }
    Response response = policies.authorizer->Authorize(request, entities);
    const bj::value* decision = o.if_contains("decision");
    std::string expected_decision =
        decision && decision->is_string() ? std::string(decision->get_string()) : "";
    std::string actual_decision = response.decision == Decision::kAllow ? "allow" : "deny";
    std::set<std::string> expected_reasons = StringSet(o.if_contains("reason"));
    std::set<std::string> expected_errors = StringSet(o.if_contains("errors"));
    std::set<std::string> reasons(response.reasons.begin(), response.reasons.end());
    std::set<std::string> errors;
    for (const auto& e : response.errors) errors.insert(e.policy_id);
    if (expected_decision == actual_decision && expected_reasons == reasons &&
        expected_errors == errors) {
      return true;
    }
    std::string detail = "expected " + expected_decision + " reasons " + Joined(expected_reasons) +
                         " errors " + Joined(expected_errors) + ", got " + actual_decision +
                         " reasons " + Joined(reasons) + " errors " + Joined(errors);
    for (const auto& e : response.errors) detail += "; " + e.policy_id + ": " + e.message;
    return fail(detail);
  }

  fs::path root_;
  Inputs inputs_;
};

}  // namespace

Result<ConformanceReport> RunConformance(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Err(NotFound("cedar.conformance", "`" + root + "` is not a directory"));
  }
  std::vector<fs::path> files = TestFiles(root);
  if (files.empty()) {
    return Err(NotFound("cedar.conformance",
                        "no test files under `" + root + "/tests` or `" + root + "/corpus-tests`"));
  }
  ConformanceReport report;
  Runner runner{fs::path(root)};
  for (const auto& file : files) runner.RunTest(file, &report);
  return report;
}

}  // namespace mandate::cedar
