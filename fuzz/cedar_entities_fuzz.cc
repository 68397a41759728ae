// libFuzzer target: Cedar entities and context JSON, untyped and typed through a schema hook.
// Nothing may crash; parsed entities must serialize and parse back.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/cedar/cedar.h"
#include "src/json/json.h"

using namespace mandate::cedar;

namespace {

// A schema hook that types `n` as a long, `ip` as ipaddr, `when` as datetime, `who` as a User.
class TestHook : public EntitySchemaHook {
 public:
  TestHook() {
    auto make = [](TypeHint::Kind k) {
      auto t = std::make_shared<TypeHint>();
      t->kind = k;
      return t;
    };
    auto ip = make(TypeHint::Kind::kExtension);
    ip->extension = ExtensionKind::kIpAddr;
    auto when = make(TypeHint::Kind::kExtension);
    when->extension = ExtensionKind::kDatetime;
    auto who = make(TypeHint::Kind::kEntity);
    who->entity_type = "User";
    attrs_.kind = TypeHint::Kind::kRecord;
    attrs_.open = true;
    attrs_.attributes = {{"n", {make(TypeHint::Kind::kLong), false}},
                         {"ip", {ip, false}},
                         {"when", {when, false}},
                         {"who", {who, false}}};
  }
  mandate::Result<const TypeHint*> AttributesHint(const EntityUid&) const override { return &attrs_; }
  mandate::Result<const TypeHint*> TagsHint(const EntityUid&) const override { return nullptr; }
  mandate::Status CheckEntity(const EntityData&) const override { return {}; }
  std::vector<EntityData> DeclaredEntities() const override { return {}; }

 private:
  TypeHint attrs_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ContextFromJson(text);
  static const TestHook hook;
  (void)EntitiesFromJson(text, &hook);
  auto entities = EntitiesFromJson(text);
  if (!entities) return 0;
  auto again = EntitiesFromJson(mandate::json::Serialize(EntitiesToJson(*entities)));
  if (!again || again->size() != entities->size()) std::abort();
  return 0;
}
