// libFuzzer target: the RFC 8839 a=candidate parser on arbitrary bytes (a peer's SDP).
//  - a candidate that parses prints, and the printed form parses to the same candidate
//    (extensions aside, which Lanline does not keep);
//  - usable_candidate() answers for anything that parses, and what it accepts has a
//    component of 1 or 2, a non-zero port and UDP.
// Violations abort(), so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sdp/ice_attributes.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view input, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_ice_candidate: %s\ninput: [%.*s]\n%s\n", what,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto candidate = lanline::sdp::parse_candidate(input);
  if (!candidate) return 0;
  const std::string printed = lanline::sdp::print_candidate(*candidate);
  auto again = lanline::sdp::parse_candidate(printed);
  if (!again) fail("the printed candidate does not parse", input, printed);
  if (!(*again == *candidate)) fail("the reparsed candidate differs", input, printed);
  if (lanline::sdp::usable_candidate(*candidate)) {
    if (candidate->component != 1 && candidate->component != 2) fail("usable component", input);
    if (candidate->port == 0) fail("usable with port 0", input);
  }
  return 0;
}
