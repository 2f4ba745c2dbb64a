// A cursor over header text with the small steps every SIP grammar rule is made of:
// linear white space with line folding (RFC 3261 7.3.1, 25.1), tokens, quoted strings,
// the SEMI/COLON/EQUAL/SLASH/COMMA separators that allow LWS on either side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "charset.hpp"

namespace lanline::sip {

class Scanner {
 public:
  explicit Scanner(std::string_view text, std::size_t pos = 0) : text_(text), pos_(pos) {}

  bool eof() const { return pos_ >= text_.size(); }
  char peek() const { return eof() ? '\0' : text_[pos_]; }
  char peek_at(std::size_t offset) const {
    return pos_ + offset < text_.size() ? text_[pos_ + offset] : '\0';
  }
  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t pos) { pos_ = pos; }
  std::string_view text() const { return text_; }
  std::string_view rest() const { return text_.substr(pos_); }
  std::string_view slice(std::size_t from) const { return text_.substr(from, pos_ - from); }

  // LWS = [*WSP CRLF] 1*WSP, and a bare LF fold for senders that use one.
  // Returns whether anything was skipped.
  bool skip_lws() {
    std::size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '\r' && pos_ + 2 < text_.size() && text_[pos_ + 1] == '\n' &&
                 charset::is_wsp(text_[pos_ + 2])) {
        pos_ += 3;
      } else if (c == '\n' && pos_ + 1 < text_.size() && charset::is_wsp(text_[pos_ + 1])) {
        pos_ += 2;
      } else {
        break;
      }
    }
    return pos_ != start;
  }

  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // SWS c SWS, as in SEMI, COLON, EQUAL, SLASH, COMMA, LAQUOT, RAQUOT.
  bool consume_separator(char c) {
    std::size_t start = pos_;
    skip_lws();
    if (!consume(c)) {
      pos_ = start;
      return false;
    }
    skip_lws();
    return true;
  }

  // 1*(chars of the given class); empty when none.
  std::string_view take(std::uint16_t cls) {
    // Local pointers: the loop is the parser's hottest, and members would be reloaded.
    const char* begin = text_.data() + pos_;
    const char* end = text_.data() + text_.size();
    const char* p = begin;
    while (p < end && charset::is(*p, cls))
      ++p;
    pos_ += static_cast<std::size_t>(p - begin);
    return {begin, static_cast<std::size_t>(p - begin)};
  }
  std::string_view token() { return take(charset::kToken); }
  std::string_view digits() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && charset::is_digit(text_[pos_]))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; the view keeps the quotes.
  // qdtext excludes CR and LF unless they fold a line; quoted-pair excludes CR and LF.
  bool quoted_string(std::string_view& out) {
    if (peek() != '"') return false;
    std::size_t start = pos_++;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        out = text_.substr(start, pos_ - start);
        return true;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) break;
        char q = text_[pos_ + 1];
        if (q == '\r' || q == '\n') break;
        pos_ += 2;
        continue;
      }
      if (c == '\r' || c == '\n') {
        if (!skip_lws()) break;
        continue;
      }
      ++pos_;
    }
    pos_ = start;
    return false;
  }

 private:
  std::string_view text_;
  std::size_t pos_;
};

// Parses 1*DIGIT into an unsigned value; false on overflow past `max` or no digits.
// Leading zeros are fine ("0068" is 68, RFC 4475 3.1.1.1).
inline bool parse_unsigned(std::string_view digits, std::uint64_t max, std::uint64_t& out) {
  if (digits.empty()) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (!charset::is_digit(c)) return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) return false;
  }
  out = value;
  return true;
}

}  // namespace lanline::sip
