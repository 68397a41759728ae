#include "src/mandate/internal/decoder.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace mandate::internal {
namespace {

std::string Join(std::initializer_list<std::string_view> items) {
  std::string s;
  for (auto item : items) {
    if (!s.empty()) s += ", ";
    s += "`" + std::string(item) + "`";
  }
  return s;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool IsLabel(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) ||
        std::isdigit(static_cast<unsigned char>(s[0]))))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// A plain (unquoted) scalar carries the tag "?"; quoted ones "!".
bool IsPlain(const YAML::Node& node) { return node.Tag() == "?"; }

}  // namespace

SourceSpan Decoder::Span(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  return SourceSpan{file_, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1};
}

void Decoder::Error(const YAML::Node& node, std::string code, std::string message,
                    std::string help) {
  Error(Span(node), std::move(code), std::move(message), std::move(help));
}

void Decoder::Error(const SourceSpan& where, std::string code, std::string message,
                    std::string help) {
  out_->push_back(
      Diagnostic{Severity::kError, std::move(code), std::move(message), where, std::move(help)});
}

void Decoder::Warn(const SourceSpan& where, std::string code, std::string message,
                   std::string help) {
  out_->push_back(
      Diagnostic{Severity::kWarning, std::move(code), std::move(message), where, std::move(help)});
}

bool Decoder::Map(const YAML::Node& node, std::string_view what,
                  std::initializer_list<std::string_view> allowed, Members* out) {
  return Members_(node, what, out, false, &allowed);
}

bool Decoder::NamedMap(const YAML::Node& node, std::string_view what, Members* out,
                       bool identifiers) {
  return Members_(node, what, out, identifiers, nullptr);
}

bool Decoder::Members_(const YAML::Node& node, std::string_view what, Members* out,
                       bool identifiers, const std::initializer_list<std::string_view>* allowed) {
  out->clear();
  if (!node.IsMap()) {
    Error(node, "mandate.type", std::string(what) + ": expected a mapping");
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      Error(kv.first, "mandate.type", std::string(what) + ": keys must be strings");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      Error(kv.first, "mandate.duplicate_key", std::string(what) + ": duplicate key `" + key + "`");
      continue;
    }
    if (allowed && std::find(allowed->begin(), allowed->end(), key) == allowed->end()) {
      Error(kv.first, "mandate.unknown_key", std::string(what) + ": unknown key `" + key + "`",
            "expected one of " + Join(*allowed));
      continue;
    }
    std::string name;
    if (identifiers && !Identifier(kv.first, what, &name)) continue;
    out->emplace_back(key, kv.second);
  }
  return true;
}

void Decoder::Require(const YAML::Node& node, const Members& members, std::string_view what,
                      std::initializer_list<std::string_view> required) {
  for (auto key : required) {
    bool found =
        std::any_of(members.begin(), members.end(), [&](const auto& m) { return m.first == key; });
    if (!found) {
      Error(node, "mandate.missing_key",
            std::string(what) + ": missing required key `" + std::string(key) + "`");
    }
  }
}

bool Decoder::Scalar(const YAML::Node& node, std::string_view what, std::string_view expected) {
  if (node.IsScalar()) return true;
  Error(node, "mandate.type", std::string(what) + ": expected " + std::string(expected));
  return false;
}

bool Decoder::String(const YAML::Node& node, std::string_view what, std::string* out) {
  if (!Scalar(node, what, "a string")) return false;
  *out = node.Scalar();
  return true;
}

bool Decoder::Identifier(const YAML::Node& node, std::string_view what, std::string* out) {
  if (!String(node, what, out)) return false;
  if (IsIdentifier(*out)) return true;
  Error(node, "mandate.invalid_name", std::string(what) + ": `" + *out + "` is not a valid name",
        "names are letters, digits and `_`, starting with a letter or `_`, at most 64 bytes");
  return false;
}

bool Decoder::Label(const YAML::Node& node, std::string_view what, std::string* out) {
  if (!String(node, what, out)) return false;
  if (IsLabel(*out)) return true;
  Error(node, "mandate.invalid_label", std::string(what) + ": `" + *out + "` is not a valid label",
        "labels are lowercase letters, digits, `_`, `.` and `-`");
  return false;
}

bool Decoder::Bool(const YAML::Node& node, std::string_view what, bool* out) {
  if (node.IsScalar() && IsPlain(node) && (node.Scalar() == "true" || node.Scalar() == "false")) {
    *out = node.Scalar() == "true";
    return true;
  }
  Error(node, "mandate.type", std::string(what) + ": expected `true` or `false`");
  return false;
}

bool Decoder::Unsigned(const YAML::Node& node, std::string_view what, uint32_t max, uint32_t* out) {
  if (node.IsScalar() && IsPlain(node)) {
    const std::string& s = node.Scalar();
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && value <= max) {
      *out = static_cast<uint32_t>(value);
      return true;
    }
  }
  Error(node, "mandate.type",
        std::string(what) + ": expected a whole number from 0 to " + std::to_string(max));
  return false;
}

bool Decoder::Duration(const YAML::Node& node, std::string_view what, int64_t* seconds) {
  constexpr int64_t kMax = 30 * 86400;
  if (node.IsScalar()) {
    std::string s = node.Scalar();
    int64_t unit = 0;
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s.back()))) {
      unit = 1;
    } else if (!s.empty()) {
      const char suffix = s.back();
      s.pop_back();
      unit = suffix == 's'   ? 1
             : suffix == 'm' ? 60
             : suffix == 'h' ? 3600
             : suffix == 'd' ? 86400
                             : 0;
    }
    int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (unit != 0 && !s.empty() && ec == std::errc() && end == s.data() + s.size() && value > 0 &&
        value <= kMax / unit) {
      *seconds = value * unit;
      return true;
    }
  }
  Error(
      node, "mandate.invalid_duration",
      std::string(what) + ": expected a duration such as `30s`, `5m`, `2h`, `1d` or whole seconds",
      "durations are positive and at most 30 days");
  return false;
}

bool Decoder::StringList(const YAML::Node& node, std::string_view what,
                         std::vector<std::string>* out, ItemFn item) {
  out->clear();
  if (node.IsScalar()) {
    std::string value;
    if (!(this->*item)(node, what, &value)) return false;
    out->push_back(std::move(value));
    return true;
  }
  if (!node.IsSequence()) {
    Error(node, "mandate.type", std::string(what) + ": expected a string or a list of strings");
    return false;
  }
  bool ok = true;
  for (const auto& child : node) {
    std::string value;
    if (!(this->*item)(child, what, &value)) {
      ok = false;
      continue;
    }
    if (std::find(out->begin(), out->end(), value) != out->end()) {
      Error(child, "mandate.duplicate_item", std::string(what) + ": `" + value + "` listed twice");
      ok = false;
      continue;
    }
    out->push_back(std::move(value));
  }
  return ok;
}

bool Decoder::Choice(const YAML::Node& node, std::string_view what,
                     std::initializer_list<std::string_view> choices, int* index) {
  if (node.IsScalar()) {
    auto it = std::find(choices.begin(), choices.end(), node.Scalar());
    if (it != choices.end()) {
      *index = static_cast<int>(it - choices.begin());
      return true;
    }
    Error(node, "mandate.invalid_value",
          std::string(what) + ": unknown value `" + node.Scalar() + "`",
          "expected one of " + Join(choices));
    return false;
  }
  Error(node, "mandate.type", std::string(what) + ": expected one of " + Join(choices));
  return false;
}

}  // namespace mandate::internal
