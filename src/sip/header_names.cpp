#include "header_names.hpp"

#include <array>

#include "charset.hpp"

namespace lanline::sip {
namespace {

struct Name {
  HeaderId id;
  std::string_view full;
  char compact;  // RFC 3261 7.3.3 and the registry's compact forms; 0 when none
};

constexpr std::array<Name, static_cast<std::size_t>(HeaderId::kCount)> kNames{{
    {HeaderId::kOther, "", 0},
    {HeaderId::kVia, "Via", 'v'},
    {HeaderId::kFrom, "From", 'f'},
    {HeaderId::kTo, "To", 't'},
    {HeaderId::kCallId, "Call-ID", 'i'},
    {HeaderId::kCSeq, "CSeq", 0},
    {HeaderId::kMaxForwards, "Max-Forwards", 0},
    {HeaderId::kContact, "Contact", 'm'},
    {HeaderId::kRoute, "Route", 0},
    {HeaderId::kRecordRoute, "Record-Route", 0},
    {HeaderId::kContentType, "Content-Type", 'c'},
    {HeaderId::kContentLength, "Content-Length", 'l'},
    {HeaderId::kAllow, "Allow", 0},
    {HeaderId::kSupported, "Supported", 'k'},
    {HeaderId::kRequire, "Require", 0},
    {HeaderId::kProxyRequire, "Proxy-Require", 0},
    {HeaderId::kUnsupported, "Unsupported", 0},
    {HeaderId::kExpires, "Expires", 0},
    {HeaderId::kEvent, "Event", 'o'},
    {HeaderId::kUserAgent, "User-Agent", 0},
    {HeaderId::kServer, "Server", 0},
    {HeaderId::kSubject, "Subject", 's'},
    {HeaderId::kAccept, "Accept", 0},
    {HeaderId::kContentEncoding, "Content-Encoding", 'e'},
    {HeaderId::kReferTo, "Refer-To", 'r'},
}};

}  // namespace

HeaderId header_id(std::string_view name) {
  if (name.empty()) return HeaderId::kOther;
  char first = charset::to_lower(name[0]);
  if (name.size() == 1) {
    for (const auto& n : kNames) {
      if (n.compact == first) return n.id;
    }
    return HeaderId::kOther;
  }
  // Dispatch on length and first letter, so at most one name is compared in full.
  auto is = [name](HeaderId id) {
    return charset::iequals(kNames[static_cast<std::size_t>(id)].full, name) ? id
                                                                             : HeaderId::kOther;
  };
  switch (name.size()) {
    case 2:
      return first == 't' ? is(HeaderId::kTo) : HeaderId::kOther;
    case 3:
      return first == 'v' ? is(HeaderId::kVia) : HeaderId::kOther;
    case 4:
      if (first == 'f') return is(HeaderId::kFrom);
      return first == 'c' ? is(HeaderId::kCSeq) : HeaderId::kOther;
    case 5:
      if (first == 'r') return is(HeaderId::kRoute);
      if (first == 'a') return is(HeaderId::kAllow);
      return first == 'e' ? is(HeaderId::kEvent) : HeaderId::kOther;
    case 6:
      if (first == 's') return is(HeaderId::kServer);
      return first == 'a' ? is(HeaderId::kAccept) : HeaderId::kOther;
    case 7:
      if (first == 'c') {
        HeaderId id = is(HeaderId::kCallId);
        return id != HeaderId::kOther ? id : is(HeaderId::kContact);
      }
      if (first == 'r') return is(HeaderId::kRequire);
      if (first == 'e') return is(HeaderId::kExpires);
      return first == 's' ? is(HeaderId::kSubject) : HeaderId::kOther;
    case 8:
      return first == 'r' ? is(HeaderId::kReferTo) : HeaderId::kOther;
    case 9:
      return first == 's' ? is(HeaderId::kSupported) : HeaderId::kOther;
    case 10:
      return first == 'u' ? is(HeaderId::kUserAgent) : HeaderId::kOther;
    case 11:
      return first == 'u' ? is(HeaderId::kUnsupported) : HeaderId::kOther;
    case 12:
      if (first == 'm') return is(HeaderId::kMaxForwards);
      if (first == 'r') return is(HeaderId::kRecordRoute);
      return first == 'c' ? is(HeaderId::kContentType) : HeaderId::kOther;
    case 13:
      return first == 'p' ? is(HeaderId::kProxyRequire) : HeaderId::kOther;
    case 14:
      return first == 'c' ? is(HeaderId::kContentLength) : HeaderId::kOther;
    case 16:
      return first == 'c' ? is(HeaderId::kContentEncoding) : HeaderId::kOther;
    default:
      return HeaderId::kOther;
  }
}

std::string_view canonical_header_name(HeaderId id) {
  return kNames[static_cast<std::size_t>(id)].full;
}

}  // namespace lanline::sip
