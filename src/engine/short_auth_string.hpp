// The short authentication string of a call protected by DTLS-SRTP: six digits both
// sides derive from the two certificates' fingerprints, for the two people to read to
// each other (as ZRTP's SAS, RFC 6189 4.5.2, lets them). Someone between them would have
// had to present a certificate of its own to each, and each side would then show a
// string made with that one: the strings differ.
#pragma once

#include <string>
#include <string_view>

namespace lanline::engine {

// "123 456": the first 20 bits of SHA-256("lanline-sas" | lower | higher), the two
// fingerprints' hex (either form, "sha-256 AB:..." or "AB:...") in sorted order so that
// both sides get the same, as a number below 10^6. Empty when either is empty.
std::string short_auth_string(std::string_view ours, std::string_view theirs);

}  // namespace lanline::engine
