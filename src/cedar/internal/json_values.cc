// Cedar JSON values, entity UIDs, entities and contexts, optionally typed by a schema hook.
#include <boost/json.hpp>

#include "src/cedar/cedar.h"
#include "src/cedar/internal/evaluator.h"
#include "src/cedar/internal/expr_builder.h"
#include "src/cedar/internal/extensions.h"
#include "src/cedar/internal/lexer.h"
#include "src/json/json.h"

namespace mandate::cedar {
namespace {

namespace bj = boost::json;

tl::unexpected<Status> JsonErr(std::string message) {
  return Err(StatusCode::kInvalidArgument, "cedar.json", std::move(message));
}

std::string_view KindOf(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null:
      return "null";
    case bj::kind::bool_:
      return "bool";
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::double_:
      return "number";
    case bj::kind::string:
      return "string";
    case bj::kind::array:
      return "array";
    case bj::kind::object:
      return "object";
  }
  return "value";
}

const char* HintName(TypeHint::Kind k) {
  switch (k) {
    case TypeHint::Kind::kAny:
      return "any value";
    case TypeHint::Kind::kBool:
      return "a bool";
    case TypeHint::Kind::kLong:
      return "a long";
    case TypeHint::Kind::kString:
      return "a string";
    case TypeHint::Kind::kEntity:
      return "an entity reference";
    case TypeHint::Kind::kSet:
      return "a set";
    case TypeHint::Kind::kRecord:
      return "a record";
    case TypeHint::Kind::kExtension:
      return "an extension value";
  }
  return "a value";
}

Result<EntityUid> UidFromObject(const bj::object& o) {
  const bj::value* type = o.if_contains("type");
  const bj::value* id = o.if_contains("id");
  if (!type || !id || o.size() != 2 || !type->is_string() || !id->is_string()) {
    return JsonErr("an entity reference needs exactly the string members `type` and `id`");
  }
  return EntityUid(std::string(type->get_string()), std::string(id->get_string()));
}

// The escapes `{"__entity": X}` and `{"__extn": X}` are escapes only when X has the escape's
// shape (members beyond it are ignored); otherwise the object is an ordinary record with a
// member named `__entity` / `__extn`. This is how the reference reads them (an untagged serde
// enum that falls back to a record).
bool IsEntityEscape(const bj::value& inner) {
  const bj::object* o = inner.if_object();
  if (!o) return false;
  const bj::value* type = o->if_contains("type");
  const bj::value* id = o->if_contains("id");
  return type && id && type->is_string() && id->is_string();
}

// `{"fn": NAME, "arg": VALUE}` (one argument) or `{"fn": NAME, "args": [VALUE, ...]}`; when
// both are present `arg` wins, as in the reference.
bool IsExtnEscape(const bj::value& inner) {
  const bj::object* o = inner.if_object();
  if (!o) return false;
  const bj::value* fn = o->if_contains("fn");
  if (!fn || !fn->is_string()) return false;
  const bj::value* args = o->if_contains("args");
  return o->contains("arg") || (args && args->is_array());
}

class Converter {
 public:
  explicit Converter(const Limits& limits) : limits_(limits) {}

  Result<Value> Convert(const bj::value& j, const TypeHint* hint, size_t depth) {
    if (depth > limits_.max_depth) return JsonErr("value nesting exceeds the limit");
    TypeHint::Kind want = hint ? hint->kind : TypeHint::Kind::kAny;
    auto mismatch = [&]() {
      return JsonErr(std::string("expected ") + HintName(want) + ", got " + std::string(KindOf(j)));
    };
    // Escapes are accepted wherever an entity or extension value may appear.
    if (j.is_object()) {
      const bj::object& o = j.get_object();
      if (o.size() == 1 && o.contains("__expr")) {
        return JsonErr("the `__expr` escape is no longer supported");
      }
      if (o.size() == 1 && o.contains("__entity") && IsEntityEscape(o.at("__entity"))) {
        if (want != TypeHint::Kind::kAny && want != TypeHint::Kind::kEntity) return mismatch();
        return EntityValue(o.at("__entity").get_object(), hint);
      }
      if (o.size() == 1 && o.contains("__extn") && IsExtnEscape(o.at("__extn"))) {
        if (want != TypeHint::Kind::kAny && want != TypeHint::Kind::kExtension) return mismatch();
        return ExtnValue(o.at("__extn").get_object(), hint, depth);
      }
    }
    switch (want) {
      case TypeHint::Kind::kAny:
        break;
      case TypeHint::Kind::kBool:
        if (!j.is_bool()) return mismatch();
        break;
      case TypeHint::Kind::kLong:
        if (!j.is_int64() && !j.is_uint64() && !j.is_double()) return mismatch();
        break;
      case TypeHint::Kind::kString:
        if (!j.is_string()) return mismatch();
        break;
      case TypeHint::Kind::kEntity: {
        if (!j.is_object()) return mismatch();
        auto uid = UidFromObject(j.get_object());
        if (!uid) return tl::unexpected<Status>(uid.error());
        return EntityValue(j.get_object(), hint);
      }
      case TypeHint::Kind::kExtension: {
        if (!j.is_string()) return mismatch();
        auto ext = internal::ParseExtension(internal::ExtensionConstructor(hint->extension),
                                            j.get_string());
        if (!ext) return JsonErr(ext.error().message());
        return Value::Ext(*ext);
      }
      case TypeHint::Kind::kSet:
        if (!j.is_array()) return mismatch();
        break;
      case TypeHint::Kind::kRecord:
        if (!j.is_object()) return mismatch();
        return RecordValue(j.get_object(), hint, depth);
    }
    switch (j.kind()) {
      case bj::kind::null:
        return JsonErr("null is not a cedar value");
      case bj::kind::bool_:
        return Value::Bool(j.get_bool());
      case bj::kind::int64:
        return Value::Long(j.get_int64());
      case bj::kind::uint64:
        return JsonErr("integer " + std::to_string(j.get_uint64()) +
                       " is out of the signed 64-bit range");
      case bj::kind::double_:
        return JsonErr("number is not an integer: cedar has no floats");
      case bj::kind::string: {
        const bj::string& s = j.get_string();
        if (s.size() > limits_.max_literal_bytes) return JsonErr("string exceeds the size limit");
        return Value::String(std::string(s));
      }
      case bj::kind::array: {
        const bj::array& a = j.get_array();
        if (a.size() > limits_.max_set_elements) return JsonErr("set exceeds the element limit");
        std::vector<Value> elems;
        elems.reserve(a.size());
        const TypeHint* elem = hint && hint->element ? hint->element.get() : nullptr;
        for (const bj::value& e : a) {
          auto v = Convert(e, elem, depth + 1);
          if (!v) return v;
          elems.push_back(*std::move(v));
        }
        return Value::SetOf(std::move(elems));
      }
      case bj::kind::object:
        return RecordValue(j.get_object(), nullptr, depth);
    }
    return JsonErr("unsupported json value");
  }

 private:
  // REQUIRES: `o` has string members `type` and `id`.
  Result<Value> EntityValue(const bj::object& o, const TypeHint* hint) {
    EntityUid uid(std::string(o.at("type").get_string()), std::string(o.at("id").get_string()));
    if (hint && hint->kind == TypeHint::Kind::kEntity && !hint->entity_type.empty() &&
        uid.type() != hint->entity_type) {
      return JsonErr("expected an entity of type `" + hint->entity_type + "`, got `" +
                     uid.ToString() + "`");
    }
    return Value::Entity(std::move(uid));
  }

  // The value is the result of calling the extension function on the (untyped) arguments, so
  // `{"fn": "offset", "args": [datetime, duration]}` is a datetime and `{"fn": "toDays", ...}`
  // a long. REQUIRES: IsExtnEscape(o).
  Result<Value> ExtnValue(const bj::object& o, const TypeHint* hint, size_t depth) {
    std::string_view name = o.at("fn").get_string();
    std::vector<Value> args;
    auto add = [&](const bj::value& a) -> Status {
      auto v = Convert(a, nullptr, depth + 1);
      if (!v) return v.error();
      args.push_back(*std::move(v));
      return Status();
    };
    if (const bj::value* arg = o.if_contains("arg")) {
      MANDATE_RETURN_IF_ERROR(add(*arg));
    } else {
      const bj::array& list = o.at("args").get_array();
      if (list.size() > limits_.max_set_elements) return JsonErr("`args` exceeds the limit");
      for (const bj::value& a : list) MANDATE_RETURN_IF_ERROR(add(a));
    }
    auto fn = internal::ExtFnFromName(name);
    if (!fn) return JsonErr("extension function `" + std::string(name) + "` does not exist");
    auto value = internal::CallExtFn(*fn, args);
    if (!value) return JsonErr(std::move(value.error().message));
    if (hint && hint->kind == TypeHint::Kind::kExtension &&
        (!value->is_extension() || value->as_extension().kind != hint->extension)) {
      return JsonErr("expected an extension value of type `" +
                     std::string(internal::ExtensionConstructor(hint->extension)) + "`");
    }
    return *std::move(value);
  }

  Result<Value> RecordValue(const bj::object& o, const TypeHint* hint, size_t depth) {
    if (o.size() > limits_.max_set_elements) return JsonErr("record exceeds the attribute limit");
    Record fields;
    fields.reserve(o.size());
    for (const auto& member : o) {
      std::string key(member.key());
      const TypeHint* field_hint = nullptr;
      if (hint) {
        const TypeHint::Attribute* attr = nullptr;
        for (const auto& [name, a] : hint->attributes) {
          if (name == key) attr = &a;
        }
        if (attr) {
          field_hint = attr->type.get();
        } else if (!hint->open) {
          return JsonErr("attribute `" + key + "` is not declared");
        }
      }
      auto v = Convert(member.value(), field_hint, depth + 1);
      if (!v) return tl::unexpected<Status>(v.error().WithContext("attribute `" + key + "`"));
      fields.emplace_back(std::move(key), *std::move(v));
    }
    if (hint) {
      for (const auto& [name, a] : hint->attributes) {
        if (a.required && !o.contains(name)) {
          return JsonErr("required attribute `" + name + "` is missing");
        }
      }
    }
    return Value::RecordOf(std::move(fields));
  }

  const Limits& limits_;
};

Result<EntityUid> UidFromJson(const bj::value& j) {
  if (!j.is_object()) return JsonErr("an entity reference must be an object");
  const bj::object& o = j.get_object();
  if (o.size() == 1 && o.contains("__entity")) {
    if (!o.at("__entity").is_object()) return JsonErr("`__entity` must be an object");
    return UidFromObject(o.at("__entity").get_object());
  }
  return UidFromObject(o);
}

Result<EntityData> EntityFromJson(const bj::value& j, const EntitySchemaHook* hook,
                                  Converter& converter) {
  if (!j.is_object()) return JsonErr("an entity must be an object");
  const bj::object& o = j.get_object();
  for (const auto& m : o) {
    if (m.key() != "uid" && m.key() != "attrs" && m.key() != "parents" && m.key() != "tags") {
      return JsonErr("unknown entity member `" + std::string(m.key()) + "`");
    }
  }
  const bj::value* uid = o.if_contains("uid");
  if (!uid) return JsonErr("an entity needs a `uid`");
  EntityData e;
  auto u = UidFromJson(*uid);
  if (!u) return tl::unexpected<Status>(u.error());
  e.uid = *std::move(u);
  auto ctx = [&e](const Status& s) { return s.WithContext("entity `" + e.uid.ToString() + "`"); };
  const TypeHint* attrs_hint = nullptr;
  const TypeHint* tags_hint = nullptr;
  if (hook) {
    auto h = hook->AttributesHint(e.uid);
    if (!h) return tl::unexpected<Status>(ctx(h.error()));
    attrs_hint = *h;
    auto t = hook->TagsHint(e.uid);
    if (!t) return tl::unexpected<Status>(ctx(t.error()));
    tags_hint = *t;
  }
  if (const bj::value* attrs = o.if_contains("attrs")) {
    if (!attrs->is_object()) return JsonErr("`attrs` must be an object");
    auto v = converter.Convert(*attrs, attrs_hint, 1);
    if (!v) return tl::unexpected<Status>(ctx(v.error()));
    e.attrs = *std::move(v);
  } else if (attrs_hint) {
    auto v = converter.Convert(bj::object(), attrs_hint, 1);
    if (!v) return tl::unexpected<Status>(ctx(v.error()));
  }
  if (const bj::value* parents = o.if_contains("parents")) {
    if (!parents->is_array()) return JsonErr("`parents` must be an array");
    for (const bj::value& p : parents->get_array()) {
      auto pu = UidFromJson(p);
      if (!pu) return tl::unexpected<Status>(ctx(pu.error()));
      e.parents.push_back(*std::move(pu));
    }
  }
  if (const bj::value* tags = o.if_contains("tags")) {
    if (!tags->is_object()) return JsonErr("`tags` must be an object");
    if (hook && !tags_hint && !tags->get_object().empty()) {
      return tl::unexpected<Status>(ctx(InvalidArgument("cedar.json", "tags are not declared")));
    }
    Record fields;
    for (const auto& m : tags->get_object()) {
      auto v = converter.Convert(m.value(), tags_hint, 1);
      if (!v) return tl::unexpected<Status>(ctx(v.error()));
      fields.emplace_back(std::string(m.key()), *std::move(v));
    }
    e.tags = Value::RecordOf(std::move(fields));
  }
  if (hook) {
    Status s = hook->CheckEntity(e);
    if (!s.ok()) return tl::unexpected<Status>(ctx(s));
  }
  return e;
}

Result<bj::value> ParseDocument(std::string_view text, const Limits& limits) {
  return json::Parse(text, json::Limits{limits.max_json_bytes, limits.max_depth});
}

}  // namespace

Result<Value> ValueFromJson(const bj::value& j, const TypeHint* hint, const Limits& limits) {
  Converter c(limits);
  return c.Convert(j, hint, 0);
}

Result<EntityUid> EntityUidFromJson(const bj::value& j) { return UidFromJson(j); }

bj::value EntityUidToJson(const EntityUid& uid) {
  return bj::object{{"type", uid.type()}, {"id", uid.id()}};
}

bj::value ValueToJson(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBool:
      return v.as_bool();
    case ValueKind::kLong:
      return v.as_long();
    case ValueKind::kString:
      return bj::string(v.as_string());
    case ValueKind::kEntity:
      return bj::object{{"__entity", EntityUidToJson(v.as_entity())}};
    case ValueKind::kSet: {
      bj::array a;
      for (const Value& e : v.as_set()) a.push_back(ValueToJson(e));
      return a;
    }
    case ValueKind::kRecord: {
      bj::object o;
      for (const auto& [k, f] : v.as_record()) o[k] = ValueToJson(f);
      return o;
    }
    case ValueKind::kExtension: {
      const Extension& x = v.as_extension();
      std::string arg = internal::ExtensionArgument(x);
      if (x.kind == ExtensionKind::kDatetime) {
        // A datetime outside the years 0000-9999 has no `datetime("...")` string; it is written
        // as an offset from the epoch, the form Cedar's own corpus uses.
        auto back = internal::ParseDatetime(arg);
        if (!back || back->number != x.number) {
          auto call = [](std::string_view fn, std::string a) {
            return bj::object{{"__extn", bj::object{{"fn", fn}, {"arg", std::move(a)}}}};
          };
          return bj::object{
              {"__extn",
               bj::object{{"fn", "offset"},
                          {"args", bj::array{call("datetime", "1970-01-01"),
                                             call("duration", std::to_string(x.number) + "ms")}}}}};
        }
      }
      return bj::object{{"__extn", bj::object{{"fn", internal::ExtensionConstructor(x.kind)},
                                              {"arg", std::move(arg)}}}};
    }
  }
  return nullptr;
}

Result<Entities> EntitiesFromJsonValue(const bj::value& j, const EntitySchemaHook* hook,
                                       const Limits& limits) {
  if (!j.is_array()) return JsonErr("entities must be a json array");
  const bj::array& a = j.get_array();
  if (a.size() > limits.max_entities) return JsonErr("too many entities");
  Converter converter(limits);
  std::vector<EntityData> out;
  out.reserve(a.size());
  for (const bj::value& e : a) {
    auto entity = EntityFromJson(e, hook, converter);
    if (!entity) return tl::unexpected<Status>(entity.error());
    out.push_back(*std::move(entity));
  }
  if (hook) {
    for (EntityData& declared : hook->DeclaredEntities()) {
      bool present = false;
      for (const EntityData& e : out) present = present || e.uid == declared.uid;
      if (!present) out.push_back(std::move(declared));
    }
  }
  return Entities::Build(std::move(out));
}

Result<Entities> EntitiesFromJson(std::string_view text, const EntitySchemaHook* hook,
                                  const Limits& limits) {
  auto j = ParseDocument(text, limits);
  if (!j) return tl::unexpected<Status>(j.error());
  return EntitiesFromJsonValue(*j, hook, limits);
}

bj::value EntitiesToJson(const Entities& entities) {
  bj::array out;
  for (const EntityData* e : entities.All()) {
    bj::array parents;
    for (const EntityUid& p : e->parents) parents.push_back(EntityUidToJson(p));
    bj::object o{{"uid", EntityUidToJson(e->uid)},
                 {"attrs", ValueToJson(e->attrs)},
                 {"parents", std::move(parents)}};
    if (!e->tags.as_record().empty()) o["tags"] = ValueToJson(e->tags);
    out.push_back(std::move(o));
  }
  return out;
}

Result<Value> ContextFromJson(std::string_view text, const TypeHint* hint, const Limits& limits) {
  auto j = ParseDocument(text, limits);
  if (!j) return tl::unexpected<Status>(j.error());
  if (!j->is_object()) return JsonErr("context must be a json object");
  return ValueFromJson(*j, hint, limits);
}

}  // namespace mandate::cedar
