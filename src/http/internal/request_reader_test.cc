#include "src/http/internal/request_reader.h"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <random>

namespace mandate::http::internal {
namespace {

RequestReader::Limits SmallLimits() { return {.max_header_bytes = 1024, .max_body_bytes = 256}; }

// What a reader made of one request: the parts a handler sees, or the refusal.
struct Outcome {
  bool done = false;
  int status = 0;  // the refusal's status, 0 when none
  std::string message, method, target, body;
  int version = 0;
  bool keep_alive = false;
  std::vector<std::pair<std::string, std::string>> fields;
  size_t used = 0;  // bytes of the input the request took
  bool operator==(const Outcome&) const = default;
};

Outcome Capture(const RequestReader& reader, size_t used) {
  Outcome o;
  o.used = used;
  o.done = reader.done();
  if (reader.failed()) {
    o.status = reader.error().status;
    o.message = reader.error().message;
    return o;
  }
  o.method = reader.method();
  o.target = reader.target();
  o.version = reader.version();
  o.keep_alive = reader.keep_alive();
  o.body = reader.body();
  for (const auto& f : reader.fields()) o.fields.emplace_back(f.name, f.value);
  return o;
}

// Reads one request from `bytes`, handed over `step` bytes at a time as a connection would
// (unused bytes stay and grow), first the head, then the whole message.
Outcome Read(std::string_view bytes, size_t step = SIZE_MAX,
             RequestReader::Limits limits = SmallLimits()) {
  RequestReader reader(limits);
  reader.Reset();
  std::string pending;
  size_t offered = 0, used = 0;
  bool whole = false;
  for (;;) {
    const size_t used_now = reader.Feed(pending, whole);
    pending.erase(0, used_now);
    used += used_now;
    if (reader.failed() || reader.done()) break;
    if (!whole && reader.head_done()) {
      whole = true;
      continue;
    }
    if (offered == bytes.size()) break;  // the stream ended mid-request
    const size_t n = std::min(step, bytes.size() - offered);
    pending.append(bytes.substr(offered, n));
    offered += n;
  }
  return Capture(reader, used);
}

TEST(RequestReader, ReadsARequestWithItsFieldsAndBody) {
  const std::string request =
      "POST /v1/authorize?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization:  Bearer t.o.k \t\r\n"
      "X-Empty:\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  Outcome o = Read(request);
  ASSERT_TRUE(o.done) << o.message;
  EXPECT_EQ(o.method, "POST");
  EXPECT_EQ(o.target, "/v1/authorize?x=1");
  EXPECT_EQ(o.version, 11);
  EXPECT_TRUE(o.keep_alive);
  EXPECT_EQ(o.body, "{\"a\":1}");
  EXPECT_EQ(o.used, request.size());
  using F = std::pair<std::string, std::string>;
  EXPECT_EQ(o.fields, (std::vector<F>{{"Host", "a"},
                                      {"Authorization", "Bearer t.o.k"},
                                      {"X-Empty", ""},
                                      {"Content-Length", "7"}}));
  // The same, a byte at a time and in every split.
  for (size_t step : {1, 2, 3, 7, 64}) EXPECT_EQ(Read(request, step), o) << "step " << step;
  RequestReader reader(SmallLimits());
  reader.Feed(request, true);
  EXPECT_EQ(reader.Field("authorization"), "Bearer t.o.k");  // case-insensitive
  EXPECT_EQ(reader.Field("AUTHORIZATION"), "Bearer t.o.k");
  EXPECT_FALSE(reader.Field("authorizatio").has_value());
}

TEST(RequestReader, DecodesChunkedBodiesWithExtensionsAndTrailers) {
  const std::string request =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\nA ; q = \"x;\\\"y\" ;z\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nGET "
      "/next";
  for (size_t step : {1, 2, 5, 1000}) {
    Outcome o = Read(request, step);
    ASSERT_TRUE(o.done) << o.message;
    EXPECT_EQ(o.body, "abc0123456789");
    EXPECT_EQ(o.used, request.size() - 9) << "the next request stays unread";
  }
}

TEST(RequestReader, KeepAliveFollowsVersionAndConnection) {
  EXPECT_TRUE(Read("GET / HTTP/1.1\r\n\r\n").keep_alive);
  EXPECT_FALSE(Read("GET / HTTP/1.1\r\nConnection: upgrade, Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(Read("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(Read("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_EQ(Read("GET / HTTP/1.0\r\n\r\n").version, 10);
}

TEST(RequestReader, SkipsEmptyLinesBeforeTheRequestLine) {
  Outcome o = Read("\r\n\r\nGET /a HTTP/1.1\r\n\r\n", 1);
  ASSERT_TRUE(o.done) << o.message;
  EXPECT_EQ(o.target, "/a");
}

TEST(RequestReader, PipelinedRequestsAreReadOneAtATime) {
  const std::string two = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\n";
  RequestReader reader(SmallLimits());
  size_t used = reader.Feed(two, true);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.body(), "hi");
  reader.Reset();
  used += reader.Feed(std::string_view(two).substr(used), true);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.target(), "/b");
  EXPECT_EQ(reader.body(), "");
  EXPECT_EQ(used, two.size());
}

TEST(RequestReader, RefusesMalformedAndAmbiguousRequestsPrecisely) {
  struct Case {
    std::string bytes;
    int status;
    std::string says;
  };
  const std::string big(300, 'x');
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", 400, "request line"},
      {"GET  / HTTP/1.1\r\n\r\n", 400, "empty request-target"},
      {"G(T / HTTP/1.1\r\n\r\n", 400, "invalid method"},
      {"GET /a b HTTP/1.1\r\n\r\n", 400, "unsupported HTTP version"},
      {"GET / HTTP/9.9\r\n\r\n", 400, "unsupported HTTP version `HTTP/9.9`"},
      {"GET / HTTP/1.1 \r\n\r\n", 400, "unsupported HTTP version"},
      {"GET /\x7f HTTP/1.1\r\n\r\n", 400, "byte 0x7f"},
      {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 400, "byte 0xc3"},
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare LF"},
      {"GET / HTTP/1.1\r\nHost: a\n\n", 400, "bare LF"},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400, "no colon"},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "whitespace before the colon"},
      {"GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "invalid field name"},
      {"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400, "obsolete line folding"},
      {std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26), 400, "control character (0x00)"},
      {"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, "control character (0x0d)"},
      {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length is not digits"},
      {"GET / HTTP/1.0\r\nConnection: keep- alive\r\n\r\n", 400, "not a list of tokens"},
      {"GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400, "Content-Length is not digits"},
      {"GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "1 to 18 digits"},
      {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "1 to 18 digits"},
      {"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400,
       "more than one Content-Length"},
      {"GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400, "not digits"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
       "both Transfer-Encoding and Content-Length"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400, "only `chunked`"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "more than one Transfer-Encoding"},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "chunk size line"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400, "chunk size line"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\n", 400, "chunk size line"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;\t=f\r\n", 400, "chunk size line"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"b\r\n", 400, "chunk size line"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400,
       "chunk size line"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400,
       "longer than its size"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nab\r\n", 400, "bare LF"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400,
       "trailer: a field line has no colon"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(5000, 'e'), 400,
       "chunked-body line is too long"},
      {"POST / HTTP/1.1\r\nContent-Length: 257\r\n\r\n", 413, "exceeds 256 bytes"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n" + std::string(255, 'a') +
           "\r\n2\r\n",
       413, "exceeds 256 bytes"},
      {"GET / HTTP/1.1\r\nX: " + std::string(1100, 'a') + "\r\n\r\n", 431, "exceeds 1024 bytes"},
      {"GET / HTTP/1.1\r\nX: " + std::string(1100, 'a'), 431, "exceeds 1024 bytes"},
      {std::string(1030, '\r') + "\n", 431, "exceeds 1024 bytes"},
  };
  for (const Case& c : cases) {
    for (size_t step : {SIZE_MAX, size_t{1}}) {
      Outcome o = Read(c.bytes, step);
      EXPECT_FALSE(o.done) << c.bytes;
      EXPECT_EQ(o.status, c.status) << c.bytes << " -> " << o.message;
      EXPECT_NE(o.message.find(c.says), std::string::npos) << c.bytes << " -> " << o.message;
    }
  }
}

// Field values are checked a word at a time: every refused byte at every offset is found, and
// HTAB and obs-text (0x80-0xff) pass.
TEST(RequestReader, FindsAControlCharacterAnywhereInALongValue) {
  const RequestReader::Limits limits{.max_header_bytes = 4096, .max_body_bytes = 256};
  for (size_t at = 0; at < 40; ++at) {
    for (int c = 0; c < 256; ++c) {
      std::string value = std::string(at + 1, 'v') + static_cast<char>(c) + std::string(33, 'w');
      Outcome o = Read("GET / HTTP/1.1\r\nX: " + value + "\r\n\r\n", SIZE_MAX, limits);
      const bool valid = c == '\t' || c == ' ' || (c > 0x20 && c != 0x7f);
      ASSERT_EQ(o.done, valid) << "byte " << c << " at " << at << ": " << o.message;
      if (valid) {
        EXPECT_EQ(o.fields[0].second, value);
      }
    }
  }
}

TEST(RequestReader, LimitsFieldCountAndTrailerSize) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X: 1\r\n";
  many += "\r\n";
  Outcome o = Read(many, SIZE_MAX, {.max_header_bytes = 4096, .max_body_bytes = 256});
  EXPECT_EQ(o.status, 431);
  EXPECT_NE(o.message.find("more than 100 header fields"), std::string::npos) << o.message;
  std::string trailers = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 40; ++i) trailers += "X-T: " + std::string(40, 'v') + "\r\n";
  o = Read(trailers + "\r\n");
  EXPECT_EQ(o.status, 431);
  EXPECT_NE(o.message.find("request trailer exceeds 1024 bytes"), std::string::npos) << o.message;
}

// Beast's parser (what the server used before, and a widely used one) must frame every request
// this reader accepts the same way: same method, target, fields and body, same length. This
// reader may refuse more (it is the stricter), never accept a request Beast reads otherwise.
std::optional<Outcome> ReadWithBeast(std::string_view bytes) {
  namespace bhttp = boost::beast::http;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(1024);
  parser.body_limit(256);
  parser.eager(true);
  boost::system::error_code ec;
  size_t used = 0;
  while (!parser.is_done() && used < bytes.size()) {
    const size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) break;
    if (ec) return std::nullopt;
  }
  if (!parser.is_done()) return std::nullopt;
  Outcome o;
  o.done = true;
  o.used = used;
  const auto& m = parser.get();
  o.method = std::string(m.method_string());
  o.target = std::string(m.target());
  o.version = static_cast<int>(m.version());
  o.keep_alive = m.keep_alive();
  o.body = m.body();
  for (const auto& f : m) o.fields.emplace_back(std::string(f.name_string()), f.value());
  return o;
}

TEST(RequestReader, NeverAcceptsARequestBeastFramesDifferently) {
  const std::string seeds[] = {
      "POST /v1/authorize HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x.y.z\r\nContent-Type: "
      "application/json\r\nContent-Length: 11\r\n\r\n{\"tool\":12}GET / HTTP/1.1\r\n\r\n",
      "POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "4\r\nabcd\r\n2;e=f\r\nef\r\n0\r\nT: 1\r\n\r\n",
      "GET /v1/tasks/t1?q=%20 HTTP/1.0\r\nConnection: keep-alive\r\nX-A:\t v \r\n\r\n",
  };
  // Mutations that matter for framing: bytes replaced, inserted or removed, drawn mostly from
  // the characters HTTP syntax turns on.
  std::string alphabet = "\r\n :;,\t0123456789abcdefABCDEF-chunkedContent-Length";
  alphabet += {'\x7f', '\x80', '\0'};
  std::mt19937 random(20261129);
  int accepted = 0, compared = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string bytes = seeds[i % std::size(seeds)];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = random() % bytes.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          bytes[at] = c;
          break;
        case 1:
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          bytes.erase(at, 1);
      }
    }
    Outcome mine = Read(bytes);
    if (!mine.done) continue;
    ++accepted;
    auto beast = ReadWithBeast(bytes);
    ASSERT_TRUE(beast.has_value()) << "accepted, Beast refuses: " << testing::PrintToString(bytes);
    ++compared;
    EXPECT_EQ(mine.method, beast->method) << testing::PrintToString(bytes);
    EXPECT_EQ(mine.target, beast->target) << testing::PrintToString(bytes);
    EXPECT_EQ(mine.version, beast->version) << testing::PrintToString(bytes);
    EXPECT_EQ(mine.keep_alive, beast->keep_alive) << testing::PrintToString(bytes);
    EXPECT_EQ(mine.body, beast->body) << testing::PrintToString(bytes);
    EXPECT_EQ(mine.used, beast->used) << testing::PrintToString(bytes);
    // Beast adds a chunked body's trailer fields to the message; this reader drops them.
    ASSERT_GE(beast->fields.size(), mine.fields.size()) << testing::PrintToString(bytes);
    beast->fields.resize(mine.fields.size());
    EXPECT_EQ(mine.fields, beast->fields) << testing::PrintToString(bytes);
  }
  EXPECT_GT(accepted, 10000) << "the mutations should leave many requests valid";
  EXPECT_EQ(compared, accepted);
}

}  // namespace
}  // namespace mandate::http::internal
