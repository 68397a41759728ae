// RequestReader: the server's HTTP/1.1 request parser (RFC 9112), strict where the RFC lets a
// server choose: every line ends in CRLF, no obs-fold, no whitespace before a field's colon, one
// Content-Length of digits only, Transfer-Encoding only `chunked` and never beside
// Content-Length or in HTTP/1.0 (the framing ambiguities request smuggling is made of). It copies
// the head once into its own buffer and keeps its fields as views there, so a request costs no
// allocation once the reader's buffers have grown to the connection's usual request.
// Why not Beast's parser: it allocated five times and spent ~6 instructions per header byte
// (docs/design/http-parser.md); the tokens an agent sends make the head most of a request.
// Thread-safety: one reader per connection, on that connection's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mandate::http::internal {

struct HeaderField {
  std::string_view name;   // as sent (case kept)
  std::string_view value;  // leading and trailing whitespace removed
};

// Why a request was refused: the status to answer, the stable code and a precise message.
struct ReadError {
  int status = 0;
  std::string_view code;
  std::string message;
};

class RequestReader {
 public:
  struct Limits {
    size_t max_header_bytes = 16 * 1024;  // request line and fields, CRLFs included
    size_t max_body_bytes = 1024 * 1024;  // the decoded body
    size_t max_fields = 100;
  };
  explicit RequestReader(Limits limits) : limits_(limits) {}

  // Starts the next request (keeps the buffers' capacity).
  void Reset();

  // Takes from `input` (the connection's unread bytes, a prefix of what the next call sees until
  // something is used) what belongs to this request: up to the end of its head when `whole` is
  // false, else up to the end of the message. Returns how many bytes the caller may drop. After
  // it: failed(), or the part asked for is complete, or it needs more bytes.
  size_t Feed(std::string_view input, bool whole);

  // A byte of this request arrived (its whole head, once past the head).
  bool got_some() const { return got_some_ || phase_ != Phase::kHead; }
  bool head_done() const { return phase_ != Phase::kHead && phase_ != Phase::kFailed; }
  bool done() const { return phase_ == Phase::kDone; }
  bool failed() const { return phase_ == Phase::kFailed; }
  const ReadError& error() const { return error_; }

  // The request; valid once head_done() until Reset().
  std::string_view method() const { return method_; }
  std::string_view target() const { return target_; }
  int version() const { return version_; }  // 10 or 11
  const std::vector<HeaderField>& fields() const { return fields_; }
  // The first field named `name` (ASCII case-insensitive).
  std::optional<std::string_view> Field(std::string_view name) const;
  bool keep_alive() const { return keep_alive_; }
  bool expects_continue() const { return expects_continue_; }
  std::string_view body() const { return body_; }  // complete once done()

 private:
  enum class Phase { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailer, kDone, kFailed };

  size_t FeedHead(std::string_view input);
  size_t FeedBody(std::string_view input);
  size_t FeedChunked(std::string_view input);
  bool ParseHead();  // head_ holds the request line and fields, each ending in CRLF
  bool ParseRequestLine(std::string_view line);
  bool ParseField(std::string_view line);
  bool Fail(int status, std::string_view code, std::string message);
  bool BadRequest(std::string message) { return Fail(400, "http.bad_request", std::move(message)); }
  bool BodyTooLarge();

  const Limits limits_;
  Phase phase_ = Phase::kHead;
  ReadError error_;
  bool got_some_ = false;
  // kHead, as offsets into the unread input: how far it was checked for the head's end, where
  // the line being checked starts, and where the head starts (after empty lines).
  size_t scanned_ = 0, line_start_ = 0, head_begin_ = 0;
  std::string head_;
  std::string_view method_, target_;
  int version_ = 11;
  std::vector<HeaderField> fields_;
  std::optional<uint64_t> content_length_;
  bool chunked_ = false;
  bool keep_alive_ = true;
  bool expects_continue_ = false;
  uint64_t remaining_ = 0;  // body bytes still to read: of the message or of the chunk
  std::string line_;        // a chunk-size or trailer line split across reads
  size_t trailer_bytes_ = 0;
  std::string body_;
};

}  // namespace mandate::http::internal
