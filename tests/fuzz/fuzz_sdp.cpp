// libFuzzer target: the SDP parser, printer and offer/answer on arbitrary bytes.
//  - a parsed description prints, parses again to an equal Session, and prints the same
//    bytes again; a rejection says why;
//  - as an offer: check_offer and receive_offer agree, and an answer we write parses, has
//    one m-line per offered one, and agrees on at least one codec;
//  - as an answer to our own offer: receive_answer gives a result or an error, never a
//    crash, and what it agrees on was in our offer.
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
  return 0;
}
