// The SDP bodies in files of SIP messages (shared by the corpus test and the benchmark).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lanline::sdp::test_support {

inline bool starts_message(std::string_view line) {
  if (line.rfind("SIP/2.0 ", 0) == 0) return true;
  std::size_t space = line.find(' ');
  return space != std::string_view::npos && space > 0 &&
         line.find(" SIP/2.0") != std::string_view::npos &&
         line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == space;
}

// The SDP bodies in a file of one or more SIP messages: from a "v=0" line that follows
// the empty line ending a header section, to the next start line or the end.
inline std::vector<std::string> sdp_bodies(const std::string& file) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t crlf = file.find("\r\n\r\nv=0", pos);
    std::size_t lf = file.find("\n\nv=0", pos);
    std::size_t start;
    if (crlf == std::string::npos && lf == std::string::npos) break;
    if (crlf != std::string::npos && (lf == std::string::npos || crlf + 2 <= lf)) {
      start = crlf + 4;
    } else {
      start = lf + 2;
    }
    std::size_t end = start;
    while (end < file.size()) {
      std::size_t next = file.find('\n', end);
      if (next == std::string::npos) {
        end = file.size();
        break;
      }
      std::string_view following = std::string_view(file).substr(next + 1, 40);
      // A next message, lioneagle's "=====" separators, a MIME boundary ("--...").
      if (starts_message(following) || following.rfind("==", 0) == 0 ||
          following.rfind("--", 0) == 0) {
        end = next + 1;
        break;
      }
      end = next + 1;
    }
    out.push_back(file.substr(start, end - start));
    pos = end;
  }
  return out;
}

}  // namespace lanline::sdp::test_support
