// Strict JSON parsing over Boost.JSON for every untrusted document the service reads.
//
// Stricter than boost::json::parse: duplicate object members are an error (a security
// decision must never depend on which of two `alg` members a parser keeps), and size and
// nesting are bounded. Errors say where: `json: line 3, column 7: duplicate member `alg``.
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/sha256.h"
#include "src/util/status.h"

namespace mandate::json {

struct Limits {
  size_t max_bytes = 1 << 20;  // 1 MiB
  size_t max_depth = 64;
};

// Parses one JSON document. Rejects (reason `json.invalid`): syntax errors, invalid UTF-8,
// duplicate members, trailing content, comments; (reason `json.too_large`) input over
// `max_bytes`; (reason `json.too_deep`) nesting over `max_depth`. The value's memory comes from
// `storage` (default: the heap).
[[nodiscard]] Result<boost::json::value> Parse(std::string_view text, const Limits& limits = {},
                                               boost::json::storage_ptr storage = {});

// Where byte `offset` of `text` is, as error messages name it: "line L, column C".
std::string Where(std::string_view text, size_t offset);

// A JSON array of the strings `items`, in their order.
boost::json::array StringArray(const std::vector<std::string>& items);

// Compact serialization (boost::json::serialize), here so callers need one header.
std::string Serialize(const boost::json::value& value);
// The same for an object, without first copying it into a value.
std::string Serialize(const boost::json::object& object);
// The canonical form of `object`, appended to `out` without a serializer or a string of its own
// per call (argument digests are taken on every decision): compact, the members of every object
// (nested ones too) in bytewise key order, strings escaped and numbers written as Boost.JSON
// writes them. Two documents that differ only in member order have one canonical form: what a
// call's arguments digest (the audit record's `args_digest`, a step credential's `args` claim), so
// the agent's order and a route table's agree.
void AppendCanonical(std::string& out, const boost::json::object& object);
// SHA-256 of that canonical form: the one digest of a call's arguments, which the audit record
// writes in hex and the step credential's `args` claim in base64url.
Sha256Digest CanonicalSha256(const boost::json::object& object);

}  // namespace mandate::json
