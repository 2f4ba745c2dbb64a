// libFuzzer target: StreamFramer over an arbitrary byte stream, fed in chunks.
//
// Input layout: if the first octet is 0x00..0x08, it says how many chunk-size octets
// follow (first + 1); each gives a chunk size (octet + 1, so 1..256), used in turn. The
// rest is the stream. Any other first octet (as in a plain SIP message seed) starts the
// stream itself, and chunk sizes come from a small generator seeded by the input size.
//
// Checks, each abort()s on violation so libFuzzer keeps the input:
//  - next() never yields more messages than there are octets (no endless loop);
//  - an error carries a reason;
//  - the messages and the error/no-error outcome do not depend on how the stream was cut:
//    fed at once and fed in chunks give the same sequence;
//  - every yielded message parses (Framing::kStream) or is rejected with a reason.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/framer.hpp"
#include "sip/parser.hpp"

namespace {

using lanline::sip::StreamFramer;

struct Outcome {
  std::vector<std::string> messages;
  bool error = false;
  std::string reason;
};

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_framer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Drains next(); false once the framer reported an error.
bool drain(StreamFramer& framer, Outcome& out, std::size_t limit) {
  while (true) {
    auto next = framer.next();
    if (!next.ok()) {
      out.error = true;
      out.reason = next.error().reason;
      if (out.reason.empty()) fail("framer error without a reason");
      return false;
    }
    if (!next.value().has_value()) return true;
    out.messages.push_back(std::move(*next.value()));
    if (out.messages.size() > limit) fail("next() keeps yielding messages");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::size_t> chunks;
  std::size_t offset = 0;
  if (size > 0 && data[0] <= 0x08) {
    std::size_t n = static_cast<std::size_t>(data[0]) + 1;
    offset = 1;
    for (std::size_t i = 0; i < n && offset < size; ++i, ++offset) {
      chunks.push_back(static_cast<std::size_t>(data[offset]) + 1);
    }
  } else {
    std::uint32_t x = static_cast<std::uint32_t>(size) * 2654435761u + 1;
    for (int i = 0; i < 8; ++i) {
      x = x * 1664525u + 1013904223u;
      chunks.push_back(1 + (x >> 24) % 97);
    }
  }
  if (chunks.empty()) chunks.push_back(1);
  const std::string_view stream(reinterpret_cast<const char*>(data) + offset, size - offset);
  const std::size_t limit = stream.size() + 1;

  Outcome whole;
  {
    StreamFramer framer;
    framer.feed(stream);
    drain(framer, whole, limit);
  }

  Outcome cut;
  {
    StreamFramer framer;
    std::size_t pos = 0;
    for (std::size_t i = 0; pos < stream.size(); ++i) {
      std::size_t n = std::min(chunks[i % chunks.size()], stream.size() - pos);
      framer.feed(stream.substr(pos, n));
      pos += n;
      if (!drain(framer, cut, limit)) break;
    }
  }

  if (whole.error != cut.error || whole.messages != cut.messages) {
    std::string detail = "fed at once: " + std::to_string(whole.messages.size()) + " messages" +
                         (whole.error ? ", then error: " + whole.reason : std::string()) +
                         "\nfed in chunks: " + std::to_string(cut.messages.size()) + " messages" +
                         (cut.error ? ", then error: " + cut.reason : std::string());
    fail("the outcome depends on how the stream was cut", detail);
  }

  for (const std::string& message : whole.messages) {
    auto parsed = lanline::sip::parse_message(message, lanline::sip::Framing::kStream);
    if (!parsed.ok() && parsed.error().reason.empty())
      fail("a framed message was rejected without a reason");
  }
  return 0;
}
