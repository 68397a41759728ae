// Parser for Cedar's JSON schema syntax:
//   {"NS": {"entityTypes": {...}, "actions": {...}, "commonTypes": {...}, "annotations": {...}}}
// Unknown members are rejected, as Cedar does; errors name the JSON path.
#include <boost/json.hpp>
#include <string>
#include <utility>

#include "src/cedar/internal/schema_model.h"
#include "src/cedar/internal/schema_status.h"
#include "src/cedar/schema.h"
#include "src/json/json.h"

namespace mandate::cedar::internal {
namespace {

namespace bj = boost::json;

Status JsonSchemaError(const std::string& path, const std::string& message) {
  return InvalidArgument("cedar.schema", "json schema: `" + path + "`: " + message);
}

Status CheckMembers(const bj::object& object, const std::string& path,
                    std::initializer_list<std::string_view> allowed) {
  for (const auto& member : object) {
    bool ok = false;
    for (auto a : allowed) ok = ok || member.key() == a;
    if (!ok) {
      return JsonSchemaError(path, "unknown member `" + std::string(member.key()) + "`");
    }
  }
  return {};
}

Result<const bj::object*> AsObject(const bj::value& v, const std::string& path) {
  if (!v.is_object()) return Err(JsonSchemaError(path, "expected an object"));
  return &v.get_object();
}

Result<std::string> AsString(const bj::value& v, const std::string& path) {
  if (!v.is_string()) return Err(JsonSchemaError(path, "expected a string"));
  return std::string(v.get_string());
}

Result<std::vector<std::string>> AsStrings(const bj::value& v, const std::string& path) {
  if (!v.is_array()) return Err(JsonSchemaError(path, "expected an array of strings"));
  std::vector<std::string> out;
  for (const auto& e : v.get_array()) {
    auto s = AsString(e, path + "[]");
    if (!s) return Err(s.error());
    out.push_back(*s);
  }
  return out;
}

Status CheckAnnotations(const bj::object& object, const std::string& path) {
  auto it = object.find("annotations");
  if (it == object.end()) return {};
  if (!it->value().is_object()) return JsonSchemaError(path + ".annotations", "expected an object");
  for (const auto& a : it->value().get_object()) {
    if (!a.value().is_string() && !a.value().is_null()) {
      return JsonSchemaError(path + ".annotations." + std::string(a.key()), "expected a string");
    }
  }
  return {};
}

Result<RawTypePtr> ParseType(const bj::value& v, const std::string& path, bool attribute,
                             bool* required, size_t depth, const SchemaLimits& limits) {
  if (depth > limits.max_depth) {
    return Err(JsonSchemaError(
        path, "type nesting exceeds the limit of " + std::to_string(limits.max_depth)));
  }
  auto object = AsObject(v, path);
  if (!object) return Err(object.error());
  const bj::object& o = **object;
  auto type_it = o.find("type");
  if (type_it == o.end()) return Err(JsonSchemaError(path, "missing member `type`"));
  auto kind = AsString(type_it->value(), path + ".type");
  if (!kind) return Err(kind.error());
  auto type = std::make_shared<RawType>();
  std::initializer_list<std::string_view> common = {"type", "annotations", "required"};
  CEDAR_RETURN_IF_ERROR(CheckAnnotations(o, path));
  if (required) {
    auto r = o.find("required");
    if (r != o.end()) {
      if (!r->value().is_bool()) return Err(JsonSchemaError(path + ".required", "expected a bool"));
      *required = r->value().get_bool();
    }
  } else if (o.contains("required")) {
    return Err(JsonSchemaError(path, "`required` is only allowed on record attributes"));
  }
  (void)attribute;
  (void)common;
  auto name_member = [&](const char* what) -> Result<std::string> {
    auto n = o.find("name");
    if (n == o.end())
      return Err(JsonSchemaError(path, std::string("missing member `name` of ") + what));
    return AsString(n->value(), path + ".name");
  };
  if (*kind == "String" || *kind == "Long" || *kind == "Boolean") {
    CEDAR_RETURN_IF_ERROR(CheckMembers(o, path, {"type", "annotations", "required"}));
    type->kind = *kind == "String" ? RawType::Kind::kString
                 : *kind == "Long" ? RawType::Kind::kLong
                                   : RawType::Kind::kBool;
  } else if (*kind == "Set") {
    CEDAR_RETURN_IF_ERROR(CheckMembers(o, path, {"type", "element", "annotations", "required"}));
    auto e = o.find("element");
    if (e == o.end()) return Err(JsonSchemaError(path, "missing member `element` of a set"));
    auto element = ParseType(e->value(), path + ".element", false, nullptr, depth + 1, limits);
    if (!element) return element;
    type->kind = RawType::Kind::kSet;
    type->element = *element;
  } else if (*kind == "Record") {
    CEDAR_RETURN_IF_ERROR(CheckMembers(
        o, path, {"type", "attributes", "additionalAttributes", "annotations", "required"}));
    type->kind = RawType::Kind::kRecord;
    auto extra = o.find("additionalAttributes");
    if (extra != o.end()) {
      if (!extra->value().is_bool()) {
        return Err(JsonSchemaError(path + ".additionalAttributes", "expected a bool"));
      }
      if (extra->value().get_bool()) {
        return Err(JsonSchemaError(path, "`additionalAttributes: true` is not supported"));
      }
    }
    auto attrs = o.find("attributes");
    if (attrs != o.end()) {
      auto ao = AsObject(attrs->value(), path + ".attributes");
      if (!ao) return Err(ao.error());
      for (const auto& a : **ao) {
        RawAttribute attribute;
        attribute.name = std::string(a.key());
        bool req = true;
        auto t = ParseType(a.value(), path + ".attributes." + attribute.name, true, &req, depth + 1,
                           limits);
        if (!t) return t;
        attribute.type = *t;
        attribute.required = req;
        type->attributes.push_back(std::move(attribute));
      }
    }
  } else if (*kind == "Entity" || *kind == "Extension" || *kind == "EntityOrCommon") {
    CEDAR_RETURN_IF_ERROR(CheckMembers(o, path, {"type", "name", "annotations", "required"}));
    auto name = name_member(kind->c_str());
    if (!name) return Err(name.error());
    type->kind = *kind == "Entity"      ? RawType::Kind::kEntity
                 : *kind == "Extension" ? RawType::Kind::kExtension
                                        : RawType::Kind::kName;
    type->name = *name;
  } else {
    CEDAR_RETURN_IF_ERROR(CheckMembers(o, path, {"type", "annotations", "required"}));
    type->kind = RawType::Kind::kCommon;
    type->name = *kind;
  }
  return RawTypePtr(type);
}

Status ParseEntityType(const std::string& name, const bj::value& v, const std::string& path,
                       RawNamespace& ns, const SchemaLimits& limits) {
  auto object = AsObject(v, path);
  if (!object) return object.error();
  const bj::object& o = **object;
  CEDAR_RETURN_IF_ERROR(
      CheckMembers(o, path, {"memberOfTypes", "shape", "tags", "enum", "annotations"}));
  CEDAR_RETURN_IF_ERROR(CheckAnnotations(o, path));
  RawEntityType et;
  et.name = name;
  if (auto it = o.find("memberOfTypes"); it != o.end()) {
    auto types = AsStrings(it->value(), path + ".memberOfTypes");
    if (!types) return types.error();
    et.member_of = std::move(*types);
  }
  if (auto it = o.find("shape"); it != o.end()) {
    auto shape = ParseType(it->value(), path + ".shape", false, nullptr, 0, limits);
    if (!shape) return shape.error();
    et.shape = *shape;
  }
  if (auto it = o.find("tags"); it != o.end()) {
    auto tags = ParseType(it->value(), path + ".tags", false, nullptr, 0, limits);
    if (!tags) return tags.error();
    et.tags = *tags;
  }
  if (auto it = o.find("enum"); it != o.end()) {
    if (et.shape || et.tags || !et.member_of.empty()) {
      return JsonSchemaError(path, "an enumerated entity type has no shape, tags or parents");
    }
    auto ids = AsStrings(it->value(), path + ".enum");
    if (!ids) return ids.error();
    et.enum_ids = std::move(*ids);
  }
  ns.entity_types.push_back(std::move(et));
  return {};
}

Status ParseAction(const std::string& id, const bj::value& v, const std::string& path,
                   RawNamespace& ns, const SchemaLimits& limits) {
  auto object = AsObject(v, path);
  if (!object) return object.error();
  const bj::object& o = **object;
  CEDAR_RETURN_IF_ERROR(CheckMembers(o, path, {"appliesTo", "memberOf", "annotations"}));
  CEDAR_RETURN_IF_ERROR(CheckAnnotations(o, path));
  RawAction action;
  action.id = id;
  if (auto it = o.find("memberOf"); it != o.end()) {
    if (!it->value().is_array()) return JsonSchemaError(path + ".memberOf", "expected an array");
    for (const auto& ref : it->value().get_array()) {
      auto ro = AsObject(ref, path + ".memberOf[]");
      if (!ro) return ro.error();
      CEDAR_RETURN_IF_ERROR(CheckMembers(**ro, path + ".memberOf[]", {"id", "type"}));
      RawActionRef r;
      auto idv = (*ro)->find("id");
      if (idv == (*ro)->end()) return JsonSchemaError(path + ".memberOf[]", "missing member `id`");
      auto ids = AsString(idv->value(), path + ".memberOf[].id");
      if (!ids) return ids.error();
      r.id = *ids;
      if (auto t = (*ro)->find("type"); t != (*ro)->end()) {
        auto ts = AsString(t->value(), path + ".memberOf[].type");
        if (!ts) return ts.error();
        r.type = *ts;
      }
      action.member_of.push_back(std::move(r));
    }
  }
  if (auto it = o.find("appliesTo"); it != o.end() && !it->value().is_null()) {
    auto ao = AsObject(it->value(), path + ".appliesTo");
    if (!ao) return ao.error();
    CEDAR_RETURN_IF_ERROR(
        CheckMembers(**ao, path + ".appliesTo", {"principalTypes", "resourceTypes", "context"}));
    action.has_applies_to = true;
    for (auto [key, out] : {std::make_pair("principalTypes", &action.principal_types),
                            std::make_pair("resourceTypes", &action.resource_types)}) {
      auto m = (*ao)->find(key);
      if (m == (*ao)->end()) continue;
      auto types = AsStrings(m->value(), path + ".appliesTo." + key);
      if (!types) return types.error();
      *out = std::move(*types);
    }
    if (auto c = (*ao)->find("context"); c != (*ao)->end()) {
      auto context = ParseType(c->value(), path + ".appliesTo.context", false, nullptr, 0, limits);
      if (!context) return context.error();
      action.context = *context;
    }
  }
  ns.actions.push_back(std::move(action));
  return {};
}

}  // namespace

Result<RawSchema> ParseJsonSchemaSyntax(std::string_view text, const SchemaLimits& limits) {
  json::Limits json_limits;
  json_limits.max_bytes = limits.max_bytes;
  json_limits.max_depth = limits.max_depth * 2 + 8;
  auto doc = json::Parse(text, json_limits);
  if (!doc) return Err(doc.error().WithContext("json schema"));
  auto top = AsObject(*doc, "");
  if (!top) return Err(top.error());
  RawSchema schema;
  for (const auto& [key, value] : **top) {
    RawNamespace ns;
    ns.name = std::string(key);
    std::string path = ns.name.empty() ? "\"\"" : ns.name;
    auto object = AsObject(value, path);
    if (!object) return Err(object.error());
    const bj::object& o = **object;
    CEDAR_RETURN_IF_ERROR(
        CheckMembers(o, path, {"entityTypes", "actions", "commonTypes", "annotations"}));
    CEDAR_RETURN_IF_ERROR(CheckAnnotations(o, path));
    for (const char* required : {"entityTypes", "actions"}) {
      if (!o.contains(required)) {
        return Err(JsonSchemaError(path, std::string("missing member `") + required + "`"));
      }
    }
    auto entities = AsObject(o.at("entityTypes"), path + ".entityTypes");
    if (!entities) return Err(entities.error());
    for (const auto& [name, def] : **entities) {
      CEDAR_RETURN_IF_ERROR(ParseEntityType(
          std::string(name), def, path + ".entityTypes." + std::string(name), ns, limits));
    }
    auto actions = AsObject(o.at("actions"), path + ".actions");
    if (!actions) return Err(actions.error());
    for (const auto& [id, def] : **actions) {
      CEDAR_RETURN_IF_ERROR(
          ParseAction(std::string(id), def, path + ".actions." + std::string(id), ns, limits));
    }
    if (auto it = o.find("commonTypes"); it != o.end()) {
      auto commons = AsObject(it->value(), path + ".commonTypes");
      if (!commons) return Err(commons.error());
      for (const auto& [name, def] : **commons) {
        std::string p = path + ".commonTypes." + std::string(name);
        auto type = ParseType(def, p, false, nullptr, 0, limits);
        if (!type) return Err(type.error());
        ns.common_types.push_back(RawCommonType{std::string(name), *type, {}});
      }
    }
    schema.namespaces.push_back(std::move(ns));
  }
  return schema;
}

}  // namespace mandate::cedar::internal
