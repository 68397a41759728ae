// Strict reading of the JWT payloads Mandate verifies on its hot paths (task tokens, step
// credentials, DPoP proofs) without building a JSON DOM. Internal to src/credential.
//
// Boost.JSON's basic_parser does the grammar (no comments, no trailing commas, valid UTF-8,
// escapes, numbers); this handler records every value as a flat member list addressed by
// (parent object, key), so a key containing dots can never pose as a nested member. The same
// rules as src/json hold: duplicate members are an error (`jws.duplicate_member`), size and
// depth are bounded; and an object may hold at most kMaxMembersPerObject members, which keeps
// the duplicate check linear-time in practice on attacker-signed proofs.
// Thread-safety: a PayloadReader is used by one thread at a time (callers keep one per thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/status.h"

namespace mandate::credential::internal {

class PayloadReader {
 public:
  enum class Type : uint8_t { kString, kInt64, kUint64, kDouble, kBool, kNull, kObject, kArray };
  static constexpr uint32_t kRoot = 0;  // index of the top-level object after Read
  static constexpr size_t kMaxMembersPerObject = 256;
  static constexpr size_t kMaxDepth = 16;

  struct Member {
    uint32_t parent = 0;
    uint32_t key_offset = 0, key_size = 0;
    uint32_t text_offset = 0, text_size = 0;  // kString only
    Type type = Type::kNull;
    bool in_array = false;
    bool boolean = false;
    int64_t int64 = 0;
    uint64_t uint64 = 0;
    double number = 0;
  };

  // Reads `payload`, which must be one JSON object (`jwt.payload_invalid` otherwise, or
  // `jws.duplicate_member`). Replaces what an earlier Read recorded, keeping the capacity.
  Status Read(std::string_view payload);

  // The member `key` of the object at index `object` (kRoot for the top level), or nullptr.
  const Member* Find(uint32_t object, std::string_view key) const;
  uint32_t IndexOf(const Member* member) const { return uint32_t(member - members_.data()); }
  std::string_view Text(const Member& member) const {
    return std::string_view(arena_).substr(member.text_offset, member.text_size);
  }

  // Parser callbacks (boost::json::basic_parser handler); see payload_reader.cc.
  struct Handler;

 private:
  std::string_view Key(const Member& member) const {
    return std::string_view(arena_).substr(member.key_offset, member.key_size);
  }
  friend struct Handler;
  struct Frame {
    uint32_t member;
    bool is_array;
    uint32_t keys_begin;  // this object's keys in `keys_`
  };
  std::string arena_;  // decoded keys and strings
  std::vector<Member> members_;
  std::vector<Frame> frames_;   // scratch of Read: the open objects and arrays
  std::vector<uint32_t> keys_;  // scratch of Read: member indexes of their keys
};

}  // namespace mandate::credential::internal
