// SDES (RFC 4568): SRTP keys carried in the SDP, one a=crypto line each,
//   a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<base64 of key and salt>[|lifetime][|MKI:len]
// as phones that do SRTP offer them (baresip's srtp module, most desk phones). Lanline
// answers such an offer with a key of its own; it never offers SDES (the keys would
// cross the LAN in plain SIP). Plain logic, no I/O; the random keys come from OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stream_description.hpp"

namespace lanline::sdp {

struct CryptoLine {
  unsigned tag = 0;
  SrtpSuite suite = SrtpSuite::kAes128Sha1_80;
  std::vector<std::uint8_t> key;  // master key then master salt
};

// The suite's name in a=crypto ("AES_CM_128_HMAC_SHA1_80"), and the other way round
// (nullopt for a suite Lanline does not run).
std::string_view suite_name(SrtpSuite suite);
std::optional<SrtpSuite> suite_named(std::string_view name);
// Bytes of master key and salt together: 30 for the 128-bit suites, 46 for the 256-bit.
std::size_t key_and_salt_size(SrtpSuite suite);

// One a=crypto value Lanline can use: a suite it runs, one inline key of the suite's size
// with no MKI (RFC 4568 6.1: an answer takes one line, keyed once), no session parameter
// (each changes how SRTP runs: an unknown one makes the line unusable, 6.3). nullopt with
// `why` otherwise.
std::optional<CryptoLine> parse_crypto(std::string_view value, std::string* why = nullptr);
std::string format_crypto(const CryptoLine& line);

// A fresh key and salt for `suite` from OpenSSL's generator; empty if it failed.
std::vector<std::uint8_t> random_key(SrtpSuite suite);

std::string base64_encode(const std::vector<std::uint8_t>& bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace lanline::sdp
