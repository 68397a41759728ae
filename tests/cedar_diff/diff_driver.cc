// Test-only batch driver for the differential test (tests/cedar_diff/diff.js): reads
// {"sets":[{"policies":text,"entities":[...],"requests":[{principal,action,resource,context}]}]}
// and prints {"sets":[{"results":[{"decision","reasons","errors"}]}|{"failure":true}]}.
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "src/cedar/cedar.h"
#include "src/json/json.h"

namespace bj = boost::json;
using namespace mandate;

namespace {

bj::value Failure(const Status& s) {
  return bj::object{{"failure", true}, {"message", s.ToString()}};
}

bj::value RunSet(const bj::object& set) {
  auto policies = cedar::ParsePolicies(set.at("policies").as_string());
  if (!policies) return Failure(policies.error());
  auto authorizer = cedar::Authorizer::Build(*policies);
  if (!authorizer) return Failure(authorizer.error());
  auto entities = cedar::EntitiesFromJsonValue(set.at("entities"));
  if (!entities) return Failure(entities.error());
  bj::array results;
  for (const bj::value& r : set.at("requests").as_array()) {
    const bj::object& ro = r.as_object();
    cedar::Request request;
    auto p = cedar::EntityUidFromJson(ro.at("principal"));
    auto a = cedar::EntityUidFromJson(ro.at("action"));
    auto res = cedar::EntityUidFromJson(ro.at("resource"));
    auto ctx = cedar::ValueFromJson(ro.at("context"), nullptr);
    if (!p || !a || !res || !ctx) {
      results.push_back(bj::object{{"failure", true}});
      continue;
    }
    request.principal = *p;
    request.action = *a;
    request.resource = *res;
    request.context = *ctx;
    cedar::Response response = (*authorizer)->Authorize(request, *entities);
    bj::array reasons, errors;
    for (const auto& id : response.reasons) reasons.push_back(bj::string(id));
    for (const auto& e : response.errors) errors.push_back(bj::string(e.policy_id));
    results.push_back(
        bj::object{{"decision", response.decision == cedar::Decision::kAllow ? "allow" : "deny"},
                   {"reasons", std::move(reasons)},
                   {"errors", std::move(errors)}});
  }
  return bj::object{{"results", std::move(results)}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cedar_diff_driver CASES.json\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream buf;
  buf << in.rdbuf();
  auto doc = json::Parse(buf.str(), json::Limits{1u << 30, 256});
  if (!doc) {
    std::cerr << doc.error().ToString() << "\n";
    return 1;
  }
  bj::array out;
  for (const bj::value& set : doc->as_object().at("sets").as_array()) {
    out.push_back(RunSet(set.as_object()));
  }
  std::cout << bj::serialize(bj::object{{"sets", std::move(out)}}) << "\n";
  return 0;
}
