// Strict DOM-free payload reading (internal/payload_reader.h).
#include "src/credential/internal/payload_reader.h"

#include <boost/json/basic_parser_impl.hpp>

namespace mandate::credential::internal {

struct PayloadReader::Handler {
  static constexpr std::size_t max_object_size = kMaxMembersPerObject;
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr uint32_t kNoParent = uint32_t(-1);

  using Frame = PayloadReader::Frame;

  // The open objects and their keys live in the reader, which keeps their storage from one
  // read to the next (a reader serves one thread's proofs one after another).
  explicit Handler(PayloadReader& r) : reader(r), frames(r.frames_), keys(r.keys_) {
    frames.clear();
    keys.clear();
  }

  PayloadReader& reader;
  std::vector<Frame>& frames;
  std::vector<uint32_t>& keys;  // member indexes of the keys of every open object
  uint32_t pending_key_offset = 0, pending_key_size = 0;
  size_t part_begin = std::string::npos;  // arena offset of a key or string in parts
  std::string duplicate;

  size_t BeginPart() {
    if (part_begin == std::string::npos) part_begin = reader.arena_.size();
    return part_begin;
  }

  Member& Add(Type type) {
    Member m;
    m.type = type;
    if (frames.empty()) {
      m.parent = kNoParent;
    } else {
      m.parent = frames.back().member;
      m.in_array = frames.back().is_array;
      if (!m.in_array) {
        m.key_offset = pending_key_offset;
        m.key_size = pending_key_size;
      }
    }
    reader.members_.push_back(m);
    return reader.members_.back();
  }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    Add(Type::kObject);
    frames.push_back({uint32_t(reader.members_.size() - 1), false, uint32_t(keys.size())});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    keys.resize(frames.back().keys_begin);
    frames.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    Add(Type::kArray);
    frames.push_back({uint32_t(reader.members_.size() - 1), true, uint32_t(keys.size())});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    frames.pop_back();
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    BeginPart();
    reader.arena_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    const size_t begin = BeginPart();
    reader.arena_.append(s.data(), s.size());
    part_begin = std::string::npos;
    const std::string_view key = std::string_view(reader.arena_).substr(begin);
    // The key is recorded before its value as a placeholder member's key: remember it by
    // offset, and compare it with the object's earlier keys.
    for (size_t i = frames.back().keys_begin; i < keys.size(); ++i) {
      if (reader.Key(reader.members_[keys[i]]) == key) {
        duplicate.assign(key);
        ec = boost::json::error::syntax;
        return false;
      }
    }
    pending_key_offset = uint32_t(begin);
    pending_key_size = uint32_t(key.size());
    keys.push_back(uint32_t(reader.members_.size()));  // the value added next carries this key
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    BeginPart();
    reader.arena_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    const size_t begin = BeginPart();
    reader.arena_.append(s.data(), s.size());
    part_begin = std::string::npos;
    Member& m = Add(Type::kString);
    m.text_offset = uint32_t(begin);
    m.text_size = uint32_t(reader.arena_.size() - begin);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t i, boost::json::string_view, boost::system::error_code&) {
    Add(Type::kInt64).int64 = i;
    return true;
  }
  bool on_uint64(uint64_t u, boost::json::string_view, boost::system::error_code&) {
    Add(Type::kUint64).uint64 = u;
    return true;
  }
  bool on_double(double d, boost::json::string_view, boost::system::error_code&) {
    Add(Type::kDouble).number = d;
    return true;
  }
  bool on_bool(bool b, boost::system::error_code&) {
    Add(Type::kBool).boolean = b;
    return true;
  }
  bool on_null(boost::system::error_code&) {
    Add(Type::kNull);
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
};

Status PayloadReader::Read(std::string_view payload) {
  arena_.clear();
  members_.clear();
  auto invalid = [](std::string message) {
    return Unauthenticated("jwt.payload_invalid", "jws: payload: " + std::move(message));
  };
  if (payload.size() > (size_t{1} << 20)) return invalid("too large");
  boost::json::parse_options options;  // strict: no comments, commas or invalid UTF-8
  options.max_depth = kMaxDepth;
  boost::json::basic_parser<Handler> parser(options, *this);
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(false, payload.data(), payload.size(), ec);
  if (!ec && consumed < payload.size()) ec = boost::json::error::extra_data;
  if (ec) {
    if (!parser.handler().duplicate.empty()) {
      return Unauthenticated("jws.duplicate_member",
                             "jws: payload: duplicate member `" + parser.handler().duplicate + "`");
    }
    if (ec == boost::json::error::object_too_large) {
      return invalid("an object has more than " + std::to_string(kMaxMembersPerObject) +
                     " members");
    }
    return invalid("json: offset " + std::to_string(consumed) + ": " + ec.message());
  }
  if (members_.empty() || members_.front().type != Type::kObject) {
    return Unauthenticated("jwt.payload_invalid", "jwt: payload is not a json object");
  }
  return {};
}

const PayloadReader::Member* PayloadReader::Find(uint32_t object, std::string_view key) const {
  // Members of one object are recorded in order after it, nested values in between.
  for (size_t i = object + 1; i < members_.size(); ++i) {
    const Member& m = members_[i];
    if (m.parent == object && !m.in_array && Key(m) == key) return &m;
  }
  return nullptr;
}

}  // namespace mandate::credential::internal
