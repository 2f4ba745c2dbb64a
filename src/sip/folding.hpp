// Header values keep their line folding as written; printing and comparing treat each
// fold (optional WSP, CRLF or LF, WSP) as one SP, as RFC 3261 7.3.1 allows.
#pragma once

#include <string>
#include <string_view>

namespace lanline::sip {

inline void append_unfolded(std::string& out, std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    // A fold is CRLF or LF; a CR on its own is not one and is kept as it was (the
    // header is then reported in header_errors() as it was before printing).
    bool fold = c == '\n' || (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n');
    if (fold) {
      while (!out.empty() && (out.back() == ' ' || out.back() == '\t'))
        out.pop_back();
      // Skip the rest of the fold: CR LF or LF, and the white space that follows.
      if (c == '\r') ++i;  // the LF of this CRLF
      while (i + 1 < value.size() &&
             (value[i + 1] == ' ' || value[i + 1] == '\t' || value[i + 1] == '\n' ||
              (value[i + 1] == '\r' && i + 2 < value.size() && value[i + 2] == '\n'))) {
        ++i;
      }
      out += ' ';
    } else {
      out += c;
    }
  }
}

inline std::string unfolded(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_unfolded(out, value);
  return out;
}

}  // namespace lanline::sip
