#include "result.hpp"

namespace lanline::sip {

int ParseError::status_code() const {
  switch (code) {
    case ParseErrorCode::kUnsupportedVersion:
      return 505;  // RFC 3261 8.2.2... 21.5.20: Version Not Supported
    case ParseErrorCode::kTooLarge:
      return 513;  // RFC 3261 21.4.28: Message Too Large
    default:
      return 400;
  }
}

}  // namespace lanline::sip
