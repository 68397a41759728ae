// Binding the task inputs a principal supplies at task start.
#include <boost/json.hpp>

#include "src/mandate/chain.h"

namespace mandate {
namespace {

constexpr size_t kMaxInputValueBytes = 4096;
constexpr size_t kMaxSetSize = 256;

Status Invalid(const TypedField& field, std::string_view expected) {
  return InvalidArgument("task.invalid_input",
                         "input `" + field.name + "`: expected " + std::string(expected));
}

Status BindScalar(const TypedField& field, const boost::json::value& v, ValueType type,
                  std::vector<std::string>* out) {
  if (type == ValueType::kString) {
    if (!v.is_string()) return Invalid(field, "a string");
    if (v.as_string().empty() || v.as_string().size() > kMaxInputValueBytes) {
      return Invalid(field, "a string of 1 to 4096 bytes");
    }
    out->emplace_back(v.as_string().c_str(), v.as_string().size());
  } else if (type == ValueType::kLong) {
    if (!v.is_int64() && !v.is_uint64()) return Invalid(field, "a whole number");
    if (v.is_uint64() && v.as_uint64() > static_cast<uint64_t>(INT64_MAX)) {
      return Invalid(field, "a 64-bit signed number");
    }
    out->push_back(v.is_int64() ? std::to_string(v.as_int64()) : std::to_string(v.as_uint64()));
  } else {
    if (!v.is_bool()) return Invalid(field, "`true` or `false`");
    out->push_back(v.as_bool() ? "true" : "false");
  }
  return {};
}

}  // namespace

Result<TaskInputs> BindTaskInputs(const Mandate& mandate, const boost::json::object& inputs) {
  TaskInputs bound;
  bound.values.resize(mandate.inputs.size());
  for (const auto& member : inputs) {
    const std::string_view key(member.key().data(), member.key().size());
    bool known = false;
    for (const TypedField& f : mandate.inputs) known = known || f.name == key;
    if (!known) {
      return Err(StatusCode::kInvalidArgument, "task.unknown_input",
                 "mandate `" + mandate.name + "` declares no input `" + std::string(key) + "`");
    }
  }
  for (size_t i = 0; i < mandate.inputs.size(); ++i) {
    const TypedField& field = mandate.inputs[i];
    const boost::json::value* v = inputs.if_contains(field.name);
    if (v == nullptr || v->is_null()) {
      if (field.required) {
        return Err(StatusCode::kInvalidArgument, "task.missing_input",
                   "mandate `" + mandate.name + "` requires input `" + field.name + "`");
      }
      continue;
    }
    if (field.type == ValueType::kStringSet || field.type == ValueType::kLongSet) {
      if (!v->is_array() || v->as_array().size() > kMaxSetSize) {
        return Err(Invalid(field, "a list of at most 256 values"));
      }
      const ValueType item =
          field.type == ValueType::kStringSet ? ValueType::kString : ValueType::kLong;
      for (const auto& element : v->as_array()) {
        MANDATE_RETURN_IF_ERROR(BindScalar(field, element, item, &bound.values[i]));
      }
    } else {
      MANDATE_RETURN_IF_ERROR(BindScalar(field, *v, field.type, &bound.values[i]));
    }
  }
  return bound;
}

}  // namespace mandate
