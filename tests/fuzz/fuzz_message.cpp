// libFuzzer target: parse_message over arbitrary bytes, as a datagram and as a framed
// stream message. An accepted message must print, parse again, and compare equal, and
// printing the reparsed message must give the same bytes. A rejection must say why.
// The same bytes are read as a digest challenge too (check_challenges).
// Header fields the parser tolerates (header_errors()) must carry a reason and fail the same
// way in the reparsed message. Any violation aborts, so libFuzzer saves the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/digest.hpp"
#include "sip/message.hpp"
#include "sip/parser.hpp"
#include "sip/printer.hpp"

namespace {

using lanline::sip::Framing;

[[noreturn]] void fail(const char* what, Framing framing, const std::string& detail) {
  std::fprintf(stderr, "fuzz_message: %s (framing %s)\n%s\n", what,
               framing == Framing::kDatagram ? "datagram" : "stream", detail.c_str());
  std::abort();
}

// The first thing that differs, for the report.
std::string difference(const lanline::sip::Message& a, const lanline::sip::Message& b) {
  auto show = [](std::string_view x, std::string_view y) {
    return "[" + std::string(x) + "] vs [" + std::string(y) + "]";
  };
  if (a.is_request() != b.is_request()) return "request/response";
  if (a.method_text() != b.method_text()) return "method " + show(a.method_text(), b.method_text());
  if (a.request_uri().text != b.request_uri().text) {
    return "request-URI " + show(a.request_uri().text, b.request_uri().text);
  }
  if (a.status_code() != b.status_code()) return "status code";
  if (a.reason() != b.reason()) return "reason " + show(a.reason(), b.reason());
  if (a.version() != b.version()) return "version " + show(a.version(), b.version());
  const auto& ha = a.headers();
  const auto& hb = b.headers();
  auto lws = [](std::string_view v) {  // folding and runs of LWS as one space
    std::string out;
    bool space = false;
    for (char c : v) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        space = true;
        continue;
      }
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
    return out;
  };
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out)
      c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return out;
  };
  for (std::size_t i = 0; i < ha.size() && i < hb.size(); ++i) {
    bool same_name = ha[i].id != lanline::sip::HeaderId::kOther
                         ? ha[i].id == hb[i].id
                         : lower(ha[i].name) == lower(hb[i].name);
    if (!same_name || lws(ha[i].value) != lws(hb[i].value)) {
      return "header " + std::to_string(i) + " " + show(ha[i].name, hb[i].name) + " " +
             show(ha[i].value, hb[i].value);
    }
  }
  if (ha.size() != hb.size())
    return "header count " + std::to_string(ha.size()) + " vs " + std::to_string(hb.size());
  if (a.body() != b.body())
    return "body " + std::to_string(a.body().size()) + " vs " + std::to_string(b.body().size()) +
           " octets";
  return "nothing visible (start line, header text and body are the same)";
}

void check(std::string_view input, Framing framing) {
  auto parsed = lanline::sip::parse_message(input, framing);
  if (!parsed.ok()) {
    if (parsed.error().reason.empty()) fail("rejected without a reason", framing, "");
    return;
  }
  for (const auto& e : parsed->header_errors()) {
    if (e.reason.empty())
      fail("a tolerated header error has no reason", framing, std::string(e.name));
  }
  const std::string printed = lanline::sip::print_message(*parsed);
  auto again = lanline::sip::parse_message(printed, framing);
  if (!again.ok()) {
    fail("the printed message does not parse", framing,
         "reason: " + again.error().reason + "\nprinted:\n" + printed);
  }
  if (!(*again == *parsed)) {
    fail("the reparsed message differs from the original", framing,
         "first difference (original vs reparsed): " + difference(*parsed, *again) +
             "\nprinted:\n" + printed);
  }
  // Header fields the parser tolerated are printed verbatim, so they fail the same way again.
  const auto& errors = parsed->header_errors();
  const auto& errors_again = again->header_errors();
  bool same_errors = errors.size() == errors_again.size();
  for (std::size_t i = 0; same_errors && i < errors.size(); ++i)
    same_errors = errors[i].id == errors_again[i].id;
  if (!same_errors) {
    fail("the reparsed message has other header errors", framing,
         std::to_string(errors.size()) + " vs " + std::to_string(errors_again.size()) +
             "\nprinted:\n" + printed);
  }
  const std::string printed_again = lanline::sip::print_message(*again);
  if (printed_again != printed) {
    fail("printing is not stable", framing, "first:\n" + printed + "\nsecond:\n" + printed_again);
  }
}

}  // namespace

// A registrar's or proxy's challenge (issue 16) is read from a response the network
// sent: every WWW-Authenticate and Proxy-Authenticate value, read as a challenge and,
// when accepted, answered. An accepted challenge must hold a realm and a nonce within
// the bounds; a refused one must say why.
void check_challenges(std::string_view input) {
  for (bool proxy : {false, true}) {
    auto challenge = lanline::sip::parse_challenge(input, proxy);
    if (!challenge) {
      if (challenge.error().reason.empty())
        fail("a refused challenge without a reason", Framing::kDatagram, std::string(input));
      continue;
    }
    if (challenge->nonce.empty() || challenge->nonce.size() > lanline::sip::kLongestDigestValue ||
        challenge->realm.size() > lanline::sip::kLongestDigestValue)
      fail("an accepted challenge out of bounds", Framing::kDatagram, std::string(input));
    std::string answer = lanline::sip::digest_authorization(*challenge, {"user", "password"},
                                                            "REGISTER", "sip:example.org", "c", 1);
    if (answer.rfind("Digest username=\"user\"", 0) != 0)
      fail("an answer that does not start as one", Framing::kDatagram, answer);
  }
  auto message = lanline::sip::parse_message(input);
  if (message && message->is_response()) (void)lanline::sip::choose_challenge(*message);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input, Framing::kDatagram);
  check(input, Framing::kStream);
  check_challenges(input);
  return 0;
}
