// libFuzzer target: parse_uri on arbitrary text.
//  - standalone (the whole input is the URI): an accepted URI must print (to_string), parse
//    again, and be uri_equivalent to the original (and to itself); printing the reparsed
//    URI must give the same text. A rejection must say why.
//  - in the other contexts (request-URI, <...>, addr-spec) the parser must not read past
//    the input: `consumed` stays within it.
// Violations abort(), so libFuzzer keeps the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sip/uri.hpp"

namespace {

namespace sip = lanline::sip;

[[noreturn]] void fail(const char* what, std::string_view input, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_uri: %s\ninput: [%.*s]\n%s\n", what, static_cast<int>(input.size()),
               input.data(), detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto parsed = sip::parse_uri(input);
  if (!parsed.ok()) {
    if (parsed.error().reason.empty()) fail("rejected without a reason", input);
  } else {
    if (!sip::uri_equivalent(*parsed, *parsed)) fail("a URI is not equivalent to itself", input);
    const std::string printed = sip::to_string(*parsed);
    auto again = sip::parse_uri(printed);
    if (!again.ok())
      fail("the printed URI does not parse", input,
           "printed: [" + printed + "] " + again.error().reason);
    if (!sip::uri_equivalent(*parsed, *again) || !sip::uri_equivalent(*again, *parsed)) {
      fail("the reparsed URI is not equivalent to the original", input,
           "printed: [" + printed + "]");
    }
    const std::string printed_again = sip::to_string(*again);
    if (printed_again != printed) {
      fail("printing is not stable", input,
           "first: [" + printed + "]\nsecond: [" + printed_again + "]");
    }
  }

  for (sip::UriContext context :
       {sip::UriContext::kRequestUri, sip::UriContext::kBracketed, sip::UriContext::kAddrSpec}) {
    std::size_t consumed = 0;
    auto r = sip::parse_uri(input, context, &consumed);
    if (r.ok() && consumed > input.size()) fail("consumed more than the input", input);
    if (!r.ok() && r.error().reason.empty())
      fail("rejected without a reason (in a context)", input);
  }
  return 0;
}
