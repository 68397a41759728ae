#include "src/json/json.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "src/json/writer.h"

namespace mandate::json {
namespace {

// Builds the value with boost's value_stack while remembering each open object's keys, so a
// duplicate member fails the parse instead of silently replacing the first one.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  // `temp`: the caller's buffer for the values under construction (most documents fit, so a
  // parse allocates only the values it returns).
  StrictHandler(unsigned char* temp, size_t temp_size) : stack({}, temp, temp_size) {
    objects_.clear();  // a parse that failed half-way leaves its open objects behind
    spans_.clear();
    arena_.clear();
  }

  boost::json::value_stack stack;
  std::string pending_key;
  std::string duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_object_begin(boost::system::error_code&) {
    objects_.push_back({spans_.size(), arena_.size(), nullptr});
    return true;
  }
  bool on_object_end(std::size_t n, boost::system::error_code&) {
    spans_.resize(objects_.back().first_key);
    arena_.resize(objects_.back().first_byte);
    objects_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    pending_key.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    // A key in one piece (the usual case) is checked where it lies, without a copy.
    std::string_view key(s.data(), s.size());
    if (!pending_key.empty()) key = pending_key.append(key);
    if (!RememberKey(key)) {
      duplicate.assign(key);
      pending_key.clear();
      ec = boost::json::error::syntax;
      return false;
    }
    pending_key.clear();
    stack.push_key(s);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t i, boost::json::string_view, boost::system::error_code&) {
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, boost::json::string_view, boost::system::error_code&) {
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, boost::json::string_view, boost::system::error_code&) {
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::system::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(boost::system::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  // The keys of every open object, back to back in one buffer: a small object (the usual
  // request body) is checked by scanning its few keys, with no allocation per object or key;
  // past kScanned keys an object gets a hash set, so a hostile object of many keys stays linear.
  static constexpr size_t kScanned = 16;
  struct OpenObject {
    size_t first_key;                                       // index into spans_
    size_t first_byte;                                      // offset into arena_
    std::unique_ptr<std::unordered_set<std::string>> many;  // its keys once it has many
  };
  // False when the innermost open object already has `key`.
  bool RememberKey(std::string_view key) {
    OpenObject& o = objects_.back();
    if (o.many) return o.many->emplace(key).second;
    for (size_t i = o.first_key; i < spans_.size(); ++i) {
      if (std::string_view(arena_).substr(spans_[i].first, spans_[i].second) == key) return false;
    }
    if (spans_.size() - o.first_key < kScanned) {
      spans_.emplace_back(arena_.size(), key.size());
      arena_ += key;
      return true;
    }
    o.many = std::make_unique<std::unordered_set<std::string>>();
    for (size_t i = o.first_key; i < spans_.size(); ++i) {
      o.many->emplace(std::string_view(arena_).substr(spans_[i].first, spans_[i].second));
    }
    return o.many->emplace(key).second;
  }
  // Per thread, keeping their storage from parse to parse (Parse never nests).
  static inline thread_local std::vector<OpenObject> objects_;
  static inline thread_local std::vector<std::pair<size_t, size_t>> spans_;  // (offset, size)
  static inline thread_local std::string arena_;
};

}  // namespace

std::string Where(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Result<boost::json::value> Parse(std::string_view text, const Limits& limits,
                                 boost::json::storage_ptr storage) {
  if (text.size() > limits.max_bytes) {
    return Err(StatusCode::kInvalidArgument, "json.too_large",
               "json: document of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                   std::to_string(limits.max_bytes));
  }
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  unsigned char temp[2048];
  boost::json::basic_parser<StrictHandler> parser(options, temp, sizeof temp);
  parser.handler().stack.reset(std::move(storage));
  boost::system::error_code ec;
  size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) ec = boost::json::error::extra_data;
  if (ec) {
    const std::string where = Where(text, consumed);
    if (!parser.handler().duplicate.empty()) {
      return Err(StatusCode::kInvalidArgument, "json.invalid",
                 "json: " + where + ": duplicate member `" + parser.handler().duplicate + "`");
    }
    if (ec == boost::json::error::too_deep) {
      return Err(StatusCode::kInvalidArgument, "json.too_deep",
                 "json: " + where + ": nesting deeper than " + std::to_string(limits.max_depth));
    }
    return Err(StatusCode::kInvalidArgument, "json.invalid",
               "json: " + where + ": " + ec.message());
  }
  return parser.handler().stack.release();
}

boost::json::array StringArray(const std::vector<std::string>& items) {
  boost::json::array out;
  out.reserve(items.size());
  for (const auto& i : items) out.emplace_back(i);
  return out;
}

std::string Serialize(const boost::json::value& value) { return boost::json::serialize(value); }
std::string Serialize(const boost::json::object& object) { return boost::json::serialize(object); }

namespace {

// The canonical form: members of every object in key order (bytewise).
void WriteValue(JsonWriter& w, const boost::json::value& v, size_t depth);

void WriteObject(JsonWriter& w, const boost::json::object& o, size_t depth) {
  w.Char('{');
  auto write = [&, first = true](const boost::json::key_value_pair& member) mutable {
    if (!first) w.Char(',');
    first = false;
    w.String(member.key());
    w.Char(':');
    WriteValue(w, member.value(), depth + 1);
  };
  if (o.size() > 1) {
    std::vector<const boost::json::key_value_pair*> members;
    members.reserve(o.size());
    for (const auto& member : o) members.push_back(&member);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    for (const auto* member : members) write(*member);
  } else {
    for (const auto& member : o) write(member);
  }
  w.Char('}');
}

void WriteValue(JsonWriter& w, const boost::json::value& v, size_t depth) {
  // Deeper than any parsed document may be (Limits): Boost.JSON's own serializer, which keeps
  // its stack on the heap, takes the rest (in member order: such values never come from Parse).
  if (depth > Limits().max_depth) return w.Raw(boost::json::serialize(v));
  switch (v.kind()) {
    case boost::json::kind::null:
      return w.Raw("null");
    case boost::json::kind::bool_:
      return w.Raw(v.get_bool() ? "true" : "false");
    case boost::json::kind::int64:
      return w.Int(v.get_int64());
    case boost::json::kind::string:
      return w.String(v.get_string());
    case boost::json::kind::object:
      return WriteObject(w, v.get_object(), depth);
    case boost::json::kind::array: {
      w.Char('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) w.Char(',');
        first = false;
        WriteValue(w, e, depth + 1);
      }
      return w.Char(']');
    }
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return w.Raw(boost::json::serialize(v));  // Boost's own number formats, byte for byte
  }
}

}  // namespace

void AppendCanonical(std::string& out, const boost::json::object& object) {
  JsonWriter w(out, 256);
  WriteObject(w, object, 1);
}

Sha256Digest CanonicalSha256(const boost::json::object& object) {
  thread_local std::string canonical;  // keeps its storage from call to call
  canonical.clear();
  AppendCanonical(canonical, object);
  return Sha256(canonical);
}

}  // namespace mandate::json
