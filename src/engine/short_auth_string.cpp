#include "engine/short_auth_string.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace lanline::engine {
namespace {

// "AB:CD:...", upper case, without a "sha-256 " in front.
std::string hex_of(std::string_view fingerprint) {
  const std::size_t space = fingerprint.rfind(' ');
  if (space != std::string_view::npos) fingerprint.remove_prefix(space + 1);
  std::string hex(fingerprint);
  for (char& c : hex)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

}  // namespace

std::string short_auth_string(std::string_view ours, std::string_view theirs) {
  std::string a = hex_of(ours);
  std::string b = hex_of(theirs);
  if (a.empty() || b.empty()) return {};
  if (b < a) std::swap(a, b);
  const std::string input = "lanline-sas|" + a + "|" + b;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  const unsigned value = ((static_cast<unsigned>(digest[0]) << 12) |
                          (static_cast<unsigned>(digest[1]) << 4) | (digest[2] >> 4)) %
                         1000000u;
  char text[8];
  std::snprintf(text, sizeof text, "%03u %03u", value / 1000, value % 1000);
  return text;
}

}  // namespace lanline::engine
