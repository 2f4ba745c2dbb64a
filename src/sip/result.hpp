// The errors of every parser in src/sip, and their Result.
#pragma once

#include <string>
#include <utility>

#include "common/result.hpp"

namespace lanline::sip {

// What kind of problem a parse met; it decides the SIP answer (RFC 3261 8.2, 16.3, 18.3).
enum class ParseErrorCode {
  kMalformed,           // syntax error anywhere: 400 Bad Request
  kUnsupportedVersion,  // SIP-Version other than 2.0: 505
  kMissingHeader,       // To, From, Call-ID, CSeq or Via absent: 400
  kDuplicateHeader,     // a single-value header appears twice: 400
  kMethodMismatch,      // request method differs from the CSeq method: 400
  kBadContentLength,    // framing: negative, conflicting or larger than the body: 400
  kTooLarge,            // over the parser's size bounds: 513 for a request
  kIncomplete,          // not enough bytes yet (stream framing only)
};

struct ParseError {
  ParseErrorCode code = ParseErrorCode::kMalformed;
  std::string reason;  // one line, says what was wrong and where

  // The response a UAS sends for a request that failed this way.
  int status_code() const;
};

template <class T>
using Result = lanline::Result<T, ParseError>;

inline ParseError parse_error(ParseErrorCode code, std::string reason) {
  return ParseError{code, std::move(reason)};
}

}  // namespace lanline::sip
