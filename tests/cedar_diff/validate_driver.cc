// Test-only batch driver for the differential validation test (tests/cedar_diff/validate_diff.js):
// reads {"cases":[{"format":"cedar"|"json","schema":text,"policies":text,"templates":{id:text}}]}
// and prints {"cases":[{"errors":[{"policy","kind"}],"warnings":[{"policy","kind"}]} |
// {"rejected":true,"message"}]}, where `rejected` means the schema or the policies did not parse
// and `kind` is the validator's code.
#include <boost/json.hpp>

#include "src/cedar/cedar.h"
#include "src/cedar/schema.h"
#include "src/json/json.h"
#include "tests/cedar_diff/batch_main.h"

namespace bj = boost::json;
using namespace mandate;

namespace {

bj::value Rejected(const Status& s) {
  return bj::object{{"rejected", true}, {"message", s.ToString()}};
}

bj::value RunCase(const bj::object& c) {
  std::string_view text = c.at("schema").as_string();
  auto schema = c.at("format").as_string() == "json" ? cedar::Schema::ParseJson(text)
                                                     : cedar::Schema::ParseCedar(text);
  if (!schema) return Rejected(schema.error());
  auto policies = cedar::ParsePolicies(c.at("policies").as_string());
  if (!policies) return Rejected(policies.error());
  if (const bj::value* templates = c.if_contains("templates")) {
    for (const auto& [id, text] : templates->as_object()) {
      auto t = cedar::ParsePolicy(text.as_string(), std::string(id));
      if (!t) return Rejected(t.error());
      Status added = policies->Add(*std::move(t));
      if (!added.ok()) return Rejected(added);
    }
  }
  cedar::ValidationResult result = cedar::ValidatePolicies(**schema, *policies);
  bj::array errors;
  for (const cedar::ValidationIssue& e : result.errors) {
    errors.push_back(bj::object{{"policy", e.policy_id}, {"kind", e.code}, {"message", e.message}});
  }
  bj::array warnings;
  for (const cedar::ValidationIssue& w : result.warnings) {
    warnings.push_back(bj::object{{"policy", w.policy_id}, {"kind", w.code}});
  }
  return bj::object{{"errors", std::move(errors)}, {"warnings", std::move(warnings)}};
}

}  // namespace

int main(int argc, char** argv) {
  return mandate::cedar_diff::RunBatch(argc, argv, "cedar_validate_driver", "cases", RunCase);
}
