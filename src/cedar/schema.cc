#include "src/cedar/schema.h"

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <utility>

#include "src/cedar/internal/schema_entities.h"
#include "src/cedar/internal/schema_model.h"
#include "src/cedar/internal/schema_status.h"

namespace mandate::cedar {
namespace {

// "line L, column C: message" -> a Diagnostic.
Diagnostic ToDiagnostic(const Status& status) {
  Diagnostic d;
  d.message = status.message();
  unsigned line = 0, column = 0;
  int consumed = 0;
  if (std::sscanf(status.message().c_str(), "line %u, column %u: %n", &line, &column, &consumed) ==
          2 &&
      consumed > 0) {
    d.line = line;
    d.column = column;
    d.message = status.message().substr(static_cast<size_t>(consumed));
  }
  return d;
}

size_t CountDeclarations(const internal::RawSchema& raw) {
  size_t n = 0;
  for (const auto& ns : raw.namespaces) {
    n += ns.entity_types.size() + ns.actions.size() + ns.common_types.size();
  }
  return n;
}

}  // namespace

Schema::Schema() = default;
Schema::~Schema() = default;

Result<std::shared_ptr<const Schema>> Schema::FromRaw(Result<internal::RawSchema> raw,
                                                      const SchemaLimits& limits) {
  if (!raw) return Err(raw.error());
  if (CountDeclarations(*raw) > limits.max_declarations) {
    return Err(InvalidArgument("cedar.schema_too_large",
                               "schema exceeds the limit of " +
                                   std::to_string(limits.max_declarations) + " declarations"));
  }
  auto model = internal::ResolveSchema(*raw);
  if (!model) return Err(model.error());
  std::shared_ptr<Schema> schema(new Schema());
  schema->model_ = std::make_unique<internal::SchemaModel>(std::move(*model));
  schema->hook_ = std::make_unique<internal::SchemaEntityHook>(*schema->model_);
  return std::shared_ptr<const Schema>(std::move(schema));
}

Result<std::shared_ptr<const Schema>> Schema::ParseCedar(std::string_view text,
                                                         const SchemaLimits& limits,
                                                         std::vector<Diagnostic>* diagnostics) {
  auto raw = internal::ParseCedarSchemaSyntax(text, limits, nullptr);
  auto schema = FromRaw(std::move(raw), limits);
  if (!schema && diagnostics) diagnostics->push_back(ToDiagnostic(schema.error()));
  return schema;
}

Result<std::shared_ptr<const Schema>> Schema::ParseJson(std::string_view text,
                                                        const SchemaLimits& limits) {
  return FromRaw(internal::ParseJsonSchemaSyntax(text, limits), limits);
}

Result<std::shared_ptr<const Schema>> Schema::Parse(std::string_view text,
                                                    const SchemaLimits& limits) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return ParseJson(text, limits);
  return ParseCedar(text, limits);
}

const EntitySchemaHook& Schema::entity_hook() const { return *hook_; }

Result<Value> Schema::ParseContext(const boost::json::value& json, const EntityUid& action,
                                   const Limits& limits) const {
  const TypeHint* hint = hook_->ContextHint(action);
  if (!hint) {
    return Err(InvalidArgument("cedar.request_invalid",
                               "action `" + action.ToString() + "` is not declared in the schema"));
  }
  if (!json.is_object()) {
    return Err(InvalidArgument("cedar.request_invalid", "context must be a JSON object"));
  }
  auto value = ValueFromJson(json, hint, limits);
  if (!value) return Err(value.error().WithContext("context"));
  CEDAR_RETURN_IF_ERROR(
      internal::CheckConforms(*value, *model_->FindAction(action)->context, *model_, "context"));
  return value;
}

Status Schema::ValidateRequest(const Request& request) const {
  auto invalid = [](std::string message) {
    return InvalidArgument("cedar.request_invalid", std::move(message));
  };
  const internal::ActionDef* action = model_->FindAction(request.action);
  if (!action) {
    return invalid("action `" + request.action.ToString() + "` is not declared in the schema");
  }
  for (const auto& [uid, types, role] :
       {std::tuple(&request.principal, &action->principal_types, "principal"),
        std::tuple(&request.resource, &action->resource_types, "resource")}) {
    if (std::find(types->begin(), types->end(), uid->type()) == types->end()) {
      return invalid(std::string(role) + " `" + uid->ToString() + "` has a type that action `" +
                     request.action.ToString() + "` does not apply to");
    }
    Status status = internal::CheckEntityUid(*uid, *model_);
    if (!status.ok()) return invalid(status.message());
  }
  Status context = internal::CheckConforms(request.context, *action->context, *model_, "context");
  if (!context.ok()) return invalid(context.message());
  return {};
}

}  // namespace mandate::cedar
