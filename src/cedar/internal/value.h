// SHARED MODEL (cedarcore + cedarschema): Cedar names, entity UIDs and runtime values.
//
// Entity types are fully qualified names such as `Agent::Tool` kept as one string. A Value is a
// small immutable handle: strings, sets and records share their payload, so copying a Value
// never copies its contents. Sets are kept sorted by `Compare` and deduplicated, records sorted
// by key, so equality is structural and O(size).
// Thread-safety: all types are immutable value types after construction; safe to share.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mandate::cedar {

// An entity UID: type (e.g. `Agent::Tool`) and id. The hash is computed once.
class EntityUid {
 public:
  EntityUid() = default;
  EntityUid(std::string type, std::string id);

  const std::string& type() const { return type_; }
  const std::string& id() const { return id_; }
  size_t hash() const { return hash_; }
  // Cedar text form: `Agent::Tool::"id"` with the id escaped.
  std::string ToString() const;

  friend bool operator==(const EntityUid& a, const EntityUid& b) {
    return a.hash_ == b.hash_ && a.id_ == b.id_ && a.type_ == b.type_;
  }
  friend bool operator<(const EntityUid& a, const EntityUid& b) {
    return a.type_ != b.type_ ? a.type_ < b.type_ : a.id_ < b.id_;
  }

 private:
  std::string type_;
  std::string id_;
  size_t hash_ = 0;
};

struct EntityUidHash {
  size_t operator()(const EntityUid& uid) const { return uid.hash(); }
};

// Values of the four extension types of Cedar 4.x.
enum class ExtensionKind : uint8_t { kIpAddr, kDecimal, kDatetime, kDuration };

struct IpAddr {
  std::array<uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3]
  uint8_t prefix = 0;               // prefix length; 32/128 for a single address
  bool v6 = false;
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

struct Extension {
  ExtensionKind kind = ExtensionKind::kDecimal;
  // decimal: value * 10^4; datetime: ms since the Unix epoch; duration: ms.
  int64_t number = 0;
  IpAddr ip;  // kIpAddr only
  friend bool operator==(const Extension&, const Extension&) = default;
};

class Value;
using Set = std::vector<Value>;                             // sorted by Compare, no duplicates
using Record = std::vector<std::pair<std::string, Value>>;  // sorted by key, unique keys

enum class ValueKind : uint8_t { kBool, kLong, kString, kEntity, kSet, kRecord, kExtension };

class Value {
 public:
  Value() : v_(false) {}
  static Value Bool(bool b) { return Value(Storage(b)); }
  static Value Long(int64_t n) { return Value(Storage(n)); }
  static Value String(std::string s);
  static Value Entity(EntityUid uid);
  static Value Ext(Extension ext) { return Value(Storage(ext)); }
  // Sorts and deduplicates.
  static Value SetOf(std::vector<Value> elements);
  // Sorts by key; on a duplicate key the last one wins (callers reject duplicates earlier).
  static Value RecordOf(Record fields);

  ValueKind kind() const { return static_cast<ValueKind>(v_.index()); }
  bool is_bool() const { return kind() == ValueKind::kBool; }
  bool is_long() const { return kind() == ValueKind::kLong; }
  bool is_string() const { return kind() == ValueKind::kString; }
  bool is_entity() const { return kind() == ValueKind::kEntity; }
  bool is_set() const { return kind() == ValueKind::kSet; }
  bool is_record() const { return kind() == ValueKind::kRecord; }
  bool is_extension() const { return kind() == ValueKind::kExtension; }

  // REQUIRES: the matching kind.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_long() const { return std::get<int64_t>(v_); }
  const std::string& as_string() const { return *std::get<StringPtr>(v_); }
  const EntityUid& as_entity() const { return *std::get<EntityPtr>(v_); }
  const Set& as_set() const { return *std::get<SetPtr>(v_); }
  const Record& as_record() const { return *std::get<RecordPtr>(v_); }
  const Extension& as_extension() const { return std::get<Extension>(v_); }

  // Record field lookup; nullptr when absent. REQUIRES: is_record().
  const Value* Field(std::string_view key) const;

  // The fields of a record no other Value shares, for a caller that builds a record of the same
  // keys call after call (the authority's request context): it may replace field VALUES in
  // place, never keys (they stay sorted). Null when this is not a record or the record is
  // shared. Not thread-safe: only for a Value one thread owns.
  Record* FieldsIfUnique();

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  using StringPtr = std::shared_ptr<const std::string>;
  using EntityPtr = std::shared_ptr<const EntityUid>;
  using SetPtr = std::shared_ptr<const Set>;
  using RecordPtr = std::shared_ptr<const Record>;
  using Storage = std::variant<bool, int64_t, StringPtr, EntityPtr, SetPtr, RecordPtr, Extension>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// A total order on values (kind first, then contents); used to keep sets canonical.
int Compare(const Value& a, const Value& b);

// Human-readable Cedar-like rendering, for messages and the formatter.
std::string ValueToString(const Value& value);
// Cedar string literal with escapes, including the quotes.
std::string QuoteString(std::string_view s);
// Type name used in error messages: "bool", "long", "string", "entity", "set", "record",
// "ipaddr", "decimal", "datetime", "duration".
std::string_view KindName(const Value& value);

// Builds a context or attribute Record without JSON: RecordBuilder().Add("k", v).Build().
class RecordBuilder {
 public:
  RecordBuilder() { fields_.reserve(8); }  // one allocation for the usual few fields
  RecordBuilder& Add(std::string key, Value value) {
    fields_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  Value Build() { return Value::RecordOf(std::move(fields_)); }

 private:
  Record fields_;
};

}  // namespace mandate::cedar
