// Reading a message with a Beast parser without Beast's composed read operations (which
// allocate an operation and post its completion through the io_context per message): the
// caller feeds what its buffer holds and reads more only when the parser needs it. Used by the
// gateway's upstream exchanges (responses); the server reads requests with RequestReader.
// Thread-safety: stateless functions; the parser and buffer are the caller's.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

namespace mandate::http::internal {

// Feeds `parser` what `buffer` holds, consuming what it used, until `enough(parser)` (the
// header is done, or the message) or it needs more bytes. ok with `*need_more` set: read more
// into `buffer` and call again; any other error is the parser's refusal.
template <bool isRequest, class Buffer, class Enough>
boost::system::error_code FeedParser(boost::beast::http::basic_parser<isRequest>& parser,
                                     Buffer& buffer, Enough enough, bool* need_more) {
  *need_more = false;
  while (!enough(parser)) {
    if (buffer.size() == 0) {
      *need_more = true;
      return {};
    }
    boost::system::error_code ec;
    const size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec && ec != boost::beast::http::error::need_more) return ec;
    if (used == 0) {  // nothing more to take from what is here (never a spin)
      *need_more = true;
      return {};
    }
  }
  return {};
}

// What the end of the stream, met while reading into `parser`, means, as Beast's reads decide:
// before any byte `end_of_stream`; after some, it ends the message where its framing allows (a
// response read to the end: ok, the message is done) and is `partial_message` otherwise.
template <bool isRequest>
boost::system::error_code AtEndOfStream(boost::beast::http::basic_parser<isRequest>& parser) {
  if (!parser.got_some()) return boost::beast::http::error::end_of_stream;
  boost::system::error_code ec;
  parser.put_eof(ec);
  if (!ec && !parser.is_done()) ec = boost::beast::http::error::partial_message;
  return ec;
}

}  // namespace mandate::http::internal
