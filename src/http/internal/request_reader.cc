#include "src/http/internal/request_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "src/http/message.h"
#include "src/util/hex.h"

namespace mandate::http::internal {

namespace {

constexpr size_t kMaxChunkLine = 4096;  // a chunk-size line with extensions, or a trailer line

// RFC 9110 §5.5 field-vchar, SP and HTAB: no control character but HTAB, no DEL.
constexpr std::array<bool, 256> kFieldValue = [] {
  std::array<bool, 256> t{};
  t['\t'] = true;
  for (int c = 0x20; c < 256; ++c) t[c] = c != 0x7f;
  return t;
}();

// The first byte of `value` that a field value may not hold, or npos. Eight bytes at a time
// (a token is most of a request's head): a word with no byte below 0x20 and none equal to 0x7f
// is valid as a whole; a word with one (HTAB is the valid exception) is checked bytewise.
size_t FindInvalidValueByte(std::string_view value) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, value.data() + i, 8);
    const uint64_t del = w ^ (kOnes * 0x7f);
    if ((((w - kOnes * 0x20) & ~w) | ((del - kOnes) & ~del)) & kHighs) break;
  }
  for (; i < value.size(); ++i) {
    if (!kFieldValue[static_cast<unsigned char>(value[i])]) return i;
  }
  return std::string_view::npos;
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A printable rendering of a refused byte for messages.
std::string Byte(char c) {
  std::string out = "0x";
  const auto u = static_cast<unsigned char>(c);
  AppendHex(&u, 1, out);
  return out;
}

// Checks a `name: value` line (a field or a trailer field); sets name and value.
std::optional<std::string> CheckFieldLine(std::string_view line, HeaderField* field) {
  if (line.front() == ' ' || line.front() == '\t') {
    return "obsolete line folding (a field line starting with whitespace) is not accepted";
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return "a field line has no colon";
  field->name = line.substr(0, colon);
  if (!IsToken(field->name)) {
    return "invalid field name `" + std::string(field->name.substr(0, 64)) +
           "` (whitespace before the colon is not accepted)";
  }
  field->value = TrimWhitespace(line.substr(colon + 1));
  if (const size_t bad = FindInvalidValueByte(field->value); bad != std::string_view::npos) {
    return "field `" + std::string(field->name) + "` has a control character (" +
           Byte(field->value[bad]) + ") in its value";
  }
  return std::nullopt;
}

// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token /
// quoted-string (RFC 9112 §7.1.1).
bool IsChunkExtension(std::string_view ext) {
  size_t i = 0;
  auto skip_whitespace = [&] {
    while (i < ext.size() && (ext[i] == ' ' || ext[i] == '\t')) ++i;
  };
  auto token = [&] {
    const size_t begin = i;
    while (i < ext.size() && IsTokenChar(ext[i])) ++i;
    return i > begin;
  };
  auto quoted_string = [&] {
    for (++i; i < ext.size() && ext[i] != '"'; ++i) {
      if (ext[i] == '\\' && ++i == ext.size()) return false;
      if (!kFieldValue[static_cast<unsigned char>(ext[i])]) return false;
    }
    return i++ < ext.size();
  };
  for (;;) {
    if (i == ext.size()) return true;
    skip_whitespace();
    if (i == ext.size() || ext[i++] != ';') return false;
    skip_whitespace();
    if (!token()) return false;
    skip_whitespace();
    if (i == ext.size() || ext[i] != '=') continue;
    ++i;
    skip_whitespace();
    if (!(i < ext.size() && ext[i] == '"' ? quoted_string() : token())) return false;
  }
}

// Calls `token` for each element of a comma-separated list value (RFC 9110 §5.6.1).
template <class Fn>
void ForEachListElement(std::string_view value, Fn token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    token(TrimWhitespace(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

void RequestReader::Reset() {
  phase_ = Phase::kHead;
  error_ = ReadError();
  got_some_ = false;
  scanned_ = line_start_ = head_begin_ = 0;
  head_.clear();
  method_ = target_ = {};
  version_ = 11;
  fields_.clear();
  content_length_.reset();
  chunked_ = false;
  keep_alive_ = true;
  expects_continue_ = false;
  remaining_ = 0;
  line_.clear();
  trailer_bytes_ = 0;
  body_.clear();
}

std::optional<std::string_view> RequestReader::Field(std::string_view name) const {
  for (const HeaderField& f : fields_) {
    if (EqualsIgnoreCase(f.name, name)) return f.value;
  }
  return std::nullopt;
}

bool RequestReader::Fail(int status, std::string_view code, std::string message) {
  phase_ = Phase::kFailed;
  error_ = ReadError{status, code, std::move(message)};
  return false;
}

bool RequestReader::BodyTooLarge() {
  return Fail(413, "http.body_too_large",
              "request body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes");
}

size_t RequestReader::Feed(std::string_view input, bool whole) {
  size_t used = 0;
  if (phase_ == Phase::kHead) {
    used = FeedHead(input);
    if (phase_ == Phase::kHead || failed()) return used;
  }
  if (!whole || done() || failed()) return used;
  input.remove_prefix(used);
  return used + (phase_ == Phase::kBody ? FeedBody(input) : FeedChunked(input));
}

size_t RequestReader::FeedHead(std::string_view input) {
  // The head ends at the first empty line; every line ends in CRLF. Empty lines before the
  // request line are ignored (RFC 9112 §2.2): some clients send a CRLF after a body.
  const char* base = input.data();
  while (scanned_ < input.size()) {
    const void* lf = std::memchr(base + scanned_, '\n', input.size() - scanned_);
    if (lf == nullptr) {
      scanned_ = input.size();
      break;
    }
    const size_t at = static_cast<size_t>(static_cast<const char*>(lf) - base);
    scanned_ = at + 1;
    // The limit first: what is refused must not depend on how the bytes were split into reads.
    if (scanned_ > limits_.max_header_bytes) break;
    if (at == 0 || base[at - 1] != '\r') {
      BadRequest("malformed request: a line of the head ends in a bare LF, not CRLF");
      return 0;
    }
    if (at - 1 == line_start_) {  // an empty line
      if (line_start_ == head_begin_) {
        head_begin_ = line_start_ = scanned_;
        continue;
      }
      head_.assign(base + head_begin_, scanned_ - head_begin_);
      return ParseHead() ? scanned_ : 0;
    }
    line_start_ = scanned_;
  }
  got_some_ = input.size() > head_begin_;
  if (scanned_ > limits_.max_header_bytes) {
    Fail(431, "http.header_too_large",
         "request header exceeds " + std::to_string(limits_.max_header_bytes) + " bytes");
  }
  return 0;
}

bool RequestReader::ParseHead() {
  std::string_view head = head_;
  head.remove_suffix(2);  // the empty line's CRLF
  const size_t first_end = head.find("\r\n");
  if (!ParseRequestLine(head.substr(0, first_end))) return false;
  head.remove_prefix(first_end + 2);
  while (!head.empty()) {
    const size_t end = head.find("\r\n");
    if (!ParseField(head.substr(0, end))) return false;
    head.remove_prefix(end + 2);
  }
  // Framing (RFC 9112 §6): refuse what a peer in front of this server might read otherwise.
  if (chunked_ && content_length_) {
    return BadRequest("malformed request: both Transfer-Encoding and Content-Length");
  }
  if (chunked_ && version_ == 10) {
    return BadRequest("malformed request: Transfer-Encoding in an HTTP/1.0 request");
  }
  if (content_length_ && *content_length_ > limits_.max_body_bytes) return BodyTooLarge();
  // Connection options (RFC 9112 §9.3): HTTP/1.1 stays open unless `close`; HTTP/1.0 closes
  // unless `keep-alive`.
  bool close = false, keep_alive = false, valid = true;
  for (const HeaderField& f : fields_) {
    if (!EqualsIgnoreCase(f.name, "connection")) continue;
    ForEachListElement(f.value, [&](std::string_view token) {
      valid = valid && (token.empty() || IsToken(token));
      close = close || EqualsIgnoreCase(token, "close");
      keep_alive = keep_alive || EqualsIgnoreCase(token, "keep-alive");
    });
  }
  if (!valid) return BadRequest("malformed request: Connection is not a list of tokens");
  keep_alive_ = !close && (version_ == 11 || keep_alive);
  if (auto expect = Field("expect")) expects_continue_ = EqualsIgnoreCase(*expect, "100-continue");
  if (chunked_) {
    phase_ = Phase::kChunkSize;
  } else if (content_length_.value_or(0) > 0) {
    phase_ = Phase::kBody;
    remaining_ = *content_length_;
    body_.reserve(static_cast<size_t>(remaining_));
  } else {
    phase_ = Phase::kDone;
  }
  return true;
}

bool RequestReader::ParseRequestLine(std::string_view line) {
  // method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return BadRequest("malformed request: the request line is not `method target version`");
  }
  method_ = line.substr(0, sp1);
  target_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method_)) return BadRequest("malformed request: invalid method");
  if (target_.empty()) return BadRequest("malformed request: empty request-target");
  for (char c : target_) {
    if (c <= 0x20 || c >= 0x7f) {
      return BadRequest("malformed request: request-target has byte " + Byte(c) +
                        " (only visible ASCII; percent-encode the rest)");
    }
  }
  if (version == "HTTP/1.1") {
    version_ = 11;
  } else if (version == "HTTP/1.0") {
    version_ = 10;
  } else {
    return BadRequest("malformed request: unsupported HTTP version `" +
                      std::string(version.substr(0, 16)) + "` (HTTP/1.1 or HTTP/1.0)");
  }
  return true;
}

bool RequestReader::ParseField(std::string_view line) {
  if (fields_.size() >= limits_.max_fields) {
    return Fail(431, "http.header_too_large",
                "request has more than " + std::to_string(limits_.max_fields) + " header fields");
  }
  HeaderField field;
  if (auto why = CheckFieldLine(line, &field)) return BadRequest("malformed request: " + *why);
  fields_.push_back(field);
  if (EqualsIgnoreCase(field.name, "content-length")) {
    if (content_length_) return BadRequest("malformed request: more than one Content-Length");
    if (field.value.empty() || field.value.size() > 18) {
      return BadRequest("malformed request: Content-Length is not a number of 1 to 18 digits");
    }
    uint64_t n = 0;
    for (char c : field.value) {
      if (c < '0' || c > '9') return BadRequest("malformed request: Content-Length is not digits");
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    content_length_ = n;
  } else if (EqualsIgnoreCase(field.name, "transfer-encoding")) {
    if (chunked_) return BadRequest("malformed request: more than one Transfer-Encoding");
    if (!EqualsIgnoreCase(field.value, "chunked")) {
      return BadRequest("malformed request: Transfer-Encoding `" +
                        std::string(field.value.substr(0, 64)) + "` (only `chunked` is accepted)");
    }
    chunked_ = true;
  }
  return true;
}

size_t RequestReader::FeedBody(std::string_view input) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
  body_.append(input.data(), n);
  remaining_ -= n;
  if (remaining_ == 0) phase_ = Phase::kDone;
  return n;
}

size_t RequestReader::FeedChunked(std::string_view input) {
  size_t pos = 0;
  while (pos < input.size() && !done() && !failed()) {
    if (phase_ == Phase::kChunkData) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - pos));
      body_.append(input.data() + pos, n);
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) phase_ = Phase::kChunkEnd;
      continue;
    }
    // The other phases read one line: a chunk size, the CRLF after a chunk, or a trailer field.
    std::string_view rest = input.substr(pos);
    const size_t lf = rest.find('\n');
    const size_t take = lf == std::string_view::npos ? rest.size() : lf + 1;
    // Trailer bytes are counted first, as a split into reads would meet them.
    if (phase_ == Phase::kTrailer) {
      trailer_bytes_ += take;
      if (trailer_bytes_ > limits_.max_header_bytes) {
        Fail(431, "http.header_too_large",
             "request trailer exceeds " + std::to_string(limits_.max_header_bytes) + " bytes");
        break;
      }
    }
    if (line_.size() + take > kMaxChunkLine + 2) {
      BadRequest("malformed request: a chunked-body line is too long");
      break;
    }
    pos += take;
    line_.append(rest.substr(0, take));
    if (lf == std::string_view::npos) break;  // the rest of the line is still to come
    std::string_view line = line_;
    if (line.size() < 2 || line[line.size() - 2] != '\r') {
      BadRequest("malformed request: a chunked-body line ends in a bare LF, not CRLF");
      break;
    }
    line.remove_suffix(2);
    if (phase_ == Phase::kChunkEnd) {
      if (line.empty()) {
        phase_ = Phase::kChunkSize;
      } else {
        BadRequest("malformed request: chunk data longer than its size");
      }
    } else if (phase_ == Phase::kTrailer) {
      HeaderField ignored;  // trailer fields are checked and dropped (RFC 9112 §7.1.2)
      if (line.empty()) {
        phase_ = Phase::kDone;
      } else if (auto why = CheckFieldLine(line, &ignored)) {
        BadRequest("malformed request: trailer: " + *why);
      }
    } else {
      // chunk-size [ chunk-ext ] (RFC 9112 §7.1): 1 to 15 hex digits, then `;` extensions.
      uint64_t size = 0;
      const auto [end, parsed] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
      const auto digits = static_cast<size_t>(end - line.data());
      if (parsed != std::errc() || digits > 15 || !IsChunkExtension(line.substr(digits))) {
        BadRequest("malformed request: invalid chunk size line");
      } else if (size > limits_.max_body_bytes - body_.size()) {
        BodyTooLarge();
      } else {
        remaining_ = size;
        phase_ = size == 0 ? Phase::kTrailer : Phase::kChunkData;
      }
    }
    line_.clear();
  }
  return pos;
}

}  // namespace mandate::http::internal
