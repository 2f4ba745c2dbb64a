// Character classes of the RFC 3261 section 25.1 grammar, as one lookup table.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace lanline::sip::charset {

enum Class : std::uint16_t {
  kAlnum = 1 << 0,
  kToken = 1 << 1,  // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  kWord = 1 << 2,   // word: token chars and ( ) < > : \ " / [ ] ? { }
  kUnreserved = 1 << 3,       // alphanum / mark
  kUserUnreserved = 1 << 4,   // & = + $ , ; ? /
  kPasswordExtra = 1 << 5,    // & = + $ ,
  kParamUnreserved = 1 << 6,  // [ ] / : & + $
  kHnvUnreserved = 1 << 7,    // [ ] / ? : + $
  kHex = 1 << 8,
  kDigit = 1 << 9,
  kSchemeChar = 1 << 10,  // ALPHA / DIGIT / "+" / "-" / "."
  kUric = 1 << 11,        // reserved / unreserved (escaped handled apart)
  kWsp = 1 << 12,         // SP / HTAB
  kHostChar = 1 << 13,    // alphanum / "-" / "." (hostname and IPv4)
  kGenValue = 1 << 14,    // a liberal gen-value: visible bytes but ; , " < > (see headers.cpp)
  kPercent = 1 << 15,     // '%', which starts an escape where "escaped" is allowed
};

constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, std::uint16_t cls) {
    for (char c : chars)
      t[static_cast<unsigned char>(c)] |= cls;
  };
  for (int c = 0; c < 256; ++c) {
    bool digit = c >= '0' && c <= '9';
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (digit || alpha) {
      t[c] |= kAlnum | kToken | kWord | kUnreserved | kSchemeChar | kUric | kHostChar;
    }
    if (digit) t[c] |= kDigit | kHex;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) t[c] |= kHex;
  }
  add("-.!%*_+`'~", kToken | kWord);
  add("()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved | kUric);
  add("&=+$,;?/", kUserUnreserved);
  add("&=+$,", kPasswordExtra);
  add("[]/:&+$", kParamUnreserved);
  add("[]/?:+$", kHnvUnreserved);
  add("+-.", kSchemeChar);
  add(";/?:@&=+$,", kUric);
  add(" \t", kWsp);
  add("-.", kHostChar);
  add("%", kPercent);
  for (int c = 0x21; c < 256; ++c) {
    if (c != 0x7f && c != ';' && c != ',' && c != '"' && c != '<' && c != '>') t[c] |= kGenValue;
  }
  return t;
}

inline constexpr std::array<std::uint16_t, 256> kTable = make_table();

constexpr bool is(char c, std::uint16_t cls) {
  return (kTable[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_token(char c) {
  return is(c, kToken);
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_hex(char c) {
  return is(c, kHex);
}
constexpr bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace lanline::sip::charset
