// libFuzzer target: the SDP parser, printer and offer/answer on arbitrary bytes.
//  - a parsed description prints, parses again to an equal Session, and prints the same
//    bytes again; a rejection says why;
//  - as an offer: check_offer and receive_offer agree, and an answer we write parses, has
//    one m-line per offered one, and agrees on at least one codec;
//  - as an answer to our own offer: receive_answer gives a result or an error, never a
//    crash, and what it agrees on was in our offer;
//  - the same offer and answer with DTLS-SRTP on (our fingerprint, a=setup roles, the
//    peer's a=fingerprint), and each line as an a=crypto value: one that parses prints
//    and parses back to the same line.
// Violations abort(), so libFuzzer keeps the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/printer.hpp"
#include "sdp/sdes.hpp"

namespace {

namespace sdp = lanline::sdp;

[[noreturn]] void fail(const char* what, std::string_view input, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_sdp: %s\ninput: [%.*s]\n%s\n", what, static_cast<int>(input.size()),
               input.data(), detail.c_str());
  std::abort();
}

sdp::Negotiator negotiator() {
  sdp::Negotiator n(sdp::Capabilities::defaults(), 42);
  n.set_local({"192.0.2.1", 4000, 4001});
  return n;
}

// A node with a certificate, calling a Lanline peer whose fingerprint it knows.
constexpr const char* kOurs =
    "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3D:7C:10:C1:8C:D5:0F:"
    "6C:5B:4B:0B:60";
constexpr const char* kTheirs =
    "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:"
    "33:E8:70:88:A2";

sdp::Negotiator dtls_negotiator(bool offering) {
  sdp::Capabilities caps = sdp::Capabilities::defaults();
  caps.dtls_fingerprint = kOurs;
  if (offering) {
    caps.offer_dtls = true;
    caps.expected_peer_fingerprint = kTheirs;
  }
  sdp::Negotiator n(caps, 43);
  n.set_local({"192.0.2.1", 4000, 4001});
  return n;
}

void check_crypto_lines(std::string_view input) {
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("a=crypto:", 0) == 0) line.remove_prefix(9);
    std::string why;
    if (auto crypto = sdp::parse_crypto(line, &why)) {
      const std::string printed = sdp::format_crypto(*crypto);
      auto again = sdp::parse_crypto(printed);
      if (!again || again->tag != crypto->tag || again->suite != crypto->suite ||
          again->key != crypto->key)
        fail("a=crypto does not print and parse back", line, printed);
    } else if (why.empty()) {
      fail("a=crypto refused without a reason", line);
    }
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto parsed = sdp::parse(input);
  if (!parsed.ok()) {
    if (parsed.error().reason.empty()) fail("rejected without a reason", input);
  } else {
    const std::string printed = sdp::print(*parsed);
    auto again = sdp::parse(printed);
    if (!again.ok()) {
      fail("the printed description does not parse", input,
           "printed: [" + printed + "] " + again.error().reason);
    }
    if (!(*again == *parsed)) fail("the reparsed description differs", input, printed);
    if (sdp::print(*again) != printed) fail("printing is not stable", input, printed);
  }

  // As an offer from a peer.
  sdp::Negotiator answerer = negotiator();
  auto rejection = answerer.check_offer(input);
  auto result = answerer.receive_offer(input, size % 2 == 0);
  if (rejection.has_value() != std::holds_alternative<sdp::Rejection>(result)) {
    fail("check_offer and receive_offer disagree", input);
  }
  if (const auto* answer = std::get_if<sdp::Answer>(&result)) {
    auto written = sdp::parse(answer->sdp);
    if (!written.ok()) fail("our answer does not parse", input, written.error().reason);
    if (written->media.size() != parsed->media.size()) fail("answer m-line count", input);
    if (!answer->agreement.any_accepted()) fail("an answer that accepts no stream", input);
    if (answer->agreement.streams.size() != parsed->media.size()) fail("streams count", input);
    // The peer answering our answer's session as an offer must work too.
    sdp::Negotiator back = negotiator();
    if (back.check_offer(answer->sdp).has_value()) fail("we cannot take our own answer", input);
  }

  // As an answer to our offer.
  sdp::Negotiator offerer = negotiator();
  std::string offer = offerer.create_offer(sdp::Direction::kSendRecv);
  auto agreed = offerer.receive_answer(input);
  if (agreed.ok()) {
    auto ours = sdp::parse(offer);
    if (!ours.ok()) fail("our offer does not parse", input);
    for (const auto& stream : agreed->streams) {
      for (const auto& codec : stream.codecs) {
        bool offered = false;
        for (int pt : ours->media[stream.mline].payload_types())
          offered = offered || pt == codec.receive_pt;
        if (!offered) fail("agreed on a codec we did not offer", input);
      }
    }
  } else if (agreed.error().reason.empty()) {
    fail("answer refused without a reason", input);
  }

  // With DTLS-SRTP on: a peer's offer to us, and an answer to our DTLS offer.
  sdp::Negotiator dtls_answerer = dtls_negotiator(false);
  auto dtls_rejection = dtls_answerer.check_offer(input);
  auto dtls_result = dtls_answerer.receive_offer(input, false);
  if (dtls_rejection.has_value() != std::holds_alternative<sdp::Rejection>(dtls_result))
    fail("check_offer and receive_offer disagree with DTLS on", input);
  if (const auto* answer = std::get_if<sdp::Answer>(&dtls_result)) {
    if (!sdp::parse(answer->sdp).ok()) fail("our DTLS answer does not parse", input);
  }
  sdp::Negotiator dtls_offerer = dtls_negotiator(true);
  dtls_offerer.create_offer(sdp::Direction::kSendRecv);
  auto dtls_agreed = dtls_offerer.receive_answer(input);
  if (!dtls_agreed.ok() && dtls_agreed.error().reason.empty())
    fail("a DTLS answer refused without a reason", input);

  check_crypto_lines(input);
  return 0;
}
