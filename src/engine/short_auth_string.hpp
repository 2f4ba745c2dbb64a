// The short authentication string of a call protected by DTLS-SRTP: six digits for the
// two people to read to each other (as ZRTP's SAS, RFC 6189 4.5.2, lets them), made from
// a number both ends of the call's DTLS handshake export from its master secret
// (media::DtlsOutcome::sas_value). Someone in the middle runs a handshake with each side,
// each with a secret of its own, so the two sides show different strings; nor can it
// grind for a match ahead of time, as each secret depends on the other side's random.
#pragma once

#include <cstdint>
#include <string>

namespace lanline::engine {

// "123 456": `value` below 10^6, in two groups of three digits.
std::string short_auth_string(std::uint32_t value);

}  // namespace lanline::engine
