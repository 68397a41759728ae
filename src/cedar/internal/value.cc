#include "src/cedar/internal/value.h"

#include <algorithm>
#include <cstdio>

namespace mandate::cedar {

EntityUid::EntityUid(std::string type, std::string id)
    : type_(std::move(type)), id_(std::move(id)) {
  size_t h = std::hash<std::string>{}(type_);
  hash_ = h ^ (std::hash<std::string>{}(id_) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::string EntityUid::ToString() const { return type_ + "::" + QuoteString(id_); }

Value Value::String(std::string s) {
  return Value(Storage(std::make_shared<const std::string>(std::move(s))));
}

Value Value::Entity(EntityUid uid) {
  return Value(Storage(std::make_shared<const EntityUid>(std::move(uid))));
}

// Both constructors skip the sort when the input is already canonical (callers that build
// values per decision add members in order) and never allocate beside the result.
Value Value::SetOf(std::vector<Value> elements) {
  const auto not_increasing = [](const Value& a, const Value& b) { return Compare(a, b) >= 0; };
  if (std::adjacent_find(elements.begin(), elements.end(), not_increasing) != elements.end()) {
    std::sort(elements.begin(), elements.end(),
              [](const Value& a, const Value& b) { return Compare(a, b) < 0; });
    elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  }
  return Value(Storage(std::make_shared<const Set>(std::move(elements))));
}

Value Value::RecordOf(Record fields) {
  const auto not_increasing = [](const auto& a, const auto& b) { return !(a.first < b.first); };
  if (std::adjacent_find(fields.begin(), fields.end(), not_increasing) != fields.end()) {
    const auto key_less = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (fields.size() > 32) {
      std::stable_sort(fields.begin(), fields.end(), key_less);
    } else {
      // Insertion sort: stable and in place (std::stable_sort takes a temporary buffer).
      for (size_t i = 1; i < fields.size(); ++i) {
        for (size_t j = i; j > 0 && key_less(fields[j], fields[j - 1]); --j) {
          std::swap(fields[j], fields[j - 1]);
        }
      }
    }
    // Keep the last of equal keys, in place.
    size_t kept = 0;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (kept > 0 && fields[kept - 1].first == fields[i].first) {
        fields[kept - 1].second = std::move(fields[i].second);
      } else {
        if (kept != i) fields[kept] = std::move(fields[i]);
        ++kept;
      }
    }
    fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(kept), fields.end());
  }
  // A non-const object behind the const view, so FieldsIfUnique may write to it.
  return Value(Storage(RecordPtr(std::make_shared<Record>(std::move(fields)))));
}

Record* Value::FieldsIfUnique() {
  auto* record = std::get_if<RecordPtr>(&v_);
  if (record == nullptr || record->use_count() != 1) return nullptr;
  return const_cast<Record*>(record->get());
}

const Value* Value::Field(std::string_view key) const {
  const Record& r = as_record();
  if (r.size() <= 8) {
    for (const auto& f : r) {
      if (f.first == key) return &f.second;
    }
    return nullptr;
  }
  auto it = std::lower_bound(r.begin(), r.end(), key,
                             [](const auto& f, std::string_view k) { return f.first < k; });
  return it != r.end() && it->first == key ? &it->second : nullptr;
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kBool:
      return a.as_bool() == b.as_bool();
    case ValueKind::kLong:
      return a.as_long() == b.as_long();
    case ValueKind::kString:
      return a.as_string() == b.as_string();
    case ValueKind::kEntity:
      return a.as_entity() == b.as_entity();
    case ValueKind::kSet:
      return a.as_set() == b.as_set();
    case ValueKind::kRecord:
      return a.as_record() == b.as_record();
    case ValueKind::kExtension:
      return a.as_extension() == b.as_extension();
  }
  return false;
}

namespace {
template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}
}  // namespace

int Compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return Cmp(static_cast<int>(a.kind()), static_cast<int>(b.kind()));
  switch (a.kind()) {
    case ValueKind::kBool:
      return Cmp(a.as_bool(), b.as_bool());
    case ValueKind::kLong:
      return Cmp(a.as_long(), b.as_long());
    case ValueKind::kString:
      return a.as_string().compare(b.as_string()) < 0 ? -1
                                                      : (a.as_string() == b.as_string() ? 0 : 1);
    case ValueKind::kEntity:
      return Cmp(a.as_entity(), b.as_entity());
    case ValueKind::kSet: {
      const Set& x = a.as_set();
      const Set& y = b.as_set();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        int c = Compare(x[i], y[i]);
        if (c != 0) return c;
      }
      return Cmp(x.size(), y.size());
    }
    case ValueKind::kRecord: {
      const Record& x = a.as_record();
      const Record& y = b.as_record();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (x[i].first != y[i].first) return x[i].first < y[i].first ? -1 : 1;
        int c = Compare(x[i].second, y[i].second);
        if (c != 0) return c;
      }
      return Cmp(x.size(), y.size());
    }
    case ValueKind::kExtension: {
      const Extension& x = a.as_extension();
      const Extension& y = b.as_extension();
      if (x.kind != y.kind) return Cmp(static_cast<int>(x.kind), static_cast<int>(y.kind));
      if (x.kind != ExtensionKind::kIpAddr) return Cmp(x.number, y.number);
      if (x.ip.v6 != y.ip.v6) return Cmp(x.ip.v6, y.ip.v6);
      if (x.ip.bytes != y.ip.bytes) return x.ip.bytes < y.ip.bytes ? -1 : 1;
      return Cmp(x.ip.prefix, y.ip.prefix);
    }
  }
  return 0;
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "\\u{%x}", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string_view KindName(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kLong:
      return "long";
    case ValueKind::kString:
      return "string";
    case ValueKind::kEntity:
      return "entity";
    case ValueKind::kSet:
      return "set";
    case ValueKind::kRecord:
      return "record";
    case ValueKind::kExtension:
      switch (value.as_extension().kind) {
        case ExtensionKind::kIpAddr:
          return "ipaddr";
        case ExtensionKind::kDecimal:
          return "decimal";
        case ExtensionKind::kDatetime:
          return "datetime";
        case ExtensionKind::kDuration:
          return "duration";
      }
  }
  return "unknown";
}

}  // namespace mandate::cedar
