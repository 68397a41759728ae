// Test-only batch driver for the differential test (tests/cedar_diff/diff.js): reads
// {"sets":[{"policies":text,"templates":{id:text},"templateLinks":[{templateId,newId,values}],
//            "est":{staticPolicies,templates,templateLinks} (optional, used instead),
//            "entities":[...],"requests":[{principal,action,resource,context}]}]}
// and prints {"sets":[{"results":[{"decision","reasons","errors"}]}|{"failure":true}]}.
#include <boost/json.hpp>

#include "src/cedar/cedar.h"
#include "src/json/json.h"
#include "tests/cedar_diff/batch_main.h"

namespace bj = boost::json;
using namespace mandate;

namespace {

bj::value Failure(const Status& s) {
  return bj::object{{"failure", true}, {"message", s.ToString()}};
}

bj::value Decide(const cedar::PolicySet& policies, const bj::object& set);

// Policies as text (+ templates and links by id), or as an EST policy set.
bj::value RunSet(const bj::object& set) {
  if (const bj::value* est = set.if_contains("est")) {
    auto policies = cedar::PolicySetFromEst(*est);
    if (!policies) return Failure(policies.error());
    return Decide(*policies, set);
  }
  auto policies = cedar::ParsePolicies(set.at("policies").as_string());
  if (!policies) return Failure(policies.error());
  // Templates by id and their links, in cedar-wasm's `templates` / `templateLinks` shape.
  if (const bj::value* templates = set.if_contains("templates")) {
    for (const auto& [id, text] : templates->as_object()) {
      auto t = cedar::ParsePolicy(text.as_string(), std::string(id));
      if (!t) return Failure(t.error());
      Status added = policies->Add(*std::move(t));
      if (!added.ok()) return Failure(added);
    }
  }
  if (const bj::value* links = set.if_contains("templateLinks")) {
    for (const bj::value& l : links->as_array()) {
      const bj::object& lo = l.as_object();
      std::vector<std::pair<cedar::SlotId, cedar::EntityUid>> values;
      for (const auto& [slot, uid_json] : lo.at("values").as_object()) {
        auto uid = cedar::EntityUidFromJson(uid_json);
        if (!uid) return Failure(uid.error());
        values.emplace_back(
            slot == "?principal" ? cedar::SlotId::kPrincipal : cedar::SlotId::kResource,
            *std::move(uid));
      }
      Status linked = policies->Link(lo.at("templateId").as_string(),
                                     std::string(lo.at("newId").as_string()), values);
      if (!linked.ok()) return Failure(linked);
    }
  }
  return Decide(*policies, set);
}

bj::value Decide(const cedar::PolicySet& policies, const bj::object& set) {
  auto authorizer = cedar::Authorizer::Build(policies);
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
  return mandate::cedar_diff::RunBatch(argc, argv, "cedar_diff_driver", "sets", RunSet);
}
