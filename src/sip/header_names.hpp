// Header field names: the ones the stack types, with their compact forms (RFC 3261 7.3.3).
#pragma once

#include <cstdint>
#include <string_view>

namespace lanline::sip {

enum class HeaderId : std::uint8_t {
  kOther,  // any header the stack does not type; kept verbatim
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kMaxForwards,
  kContact,
  kRoute,
  kRecordRoute,
  kContentType,
  kContentLength,
  kAllow,
  kSupported,
  kRequire,
  kProxyRequire,
  kUnsupported,
  kExpires,
  kEvent,
  kUserAgent,
  kServer,
  kSubject,
  kAccept,
  kContentEncoding,
  kReferTo,
  kCount,
};

// Case-insensitive; compact forms ("v", "f", "t", "i", "m", "l", "c", "k", "s", "o", "e", "r").
HeaderId header_id(std::string_view name);
// The full name as RFC 3261 spells it ("Call-ID", "CSeq"); "" for kOther.
std::string_view canonical_header_name(HeaderId id);

}  // namespace lanline::sip
