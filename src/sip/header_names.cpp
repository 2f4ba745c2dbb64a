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
  if (name.size() == 1) {
    char c = charset::to_lower(name[0]);
    for (const auto& n : kNames) {
      if (n.compact == c) return n.id;
    }
    return HeaderId::kOther;
  }
  // Most names differ in length or first letter, so this rarely compares a whole name.
  char first = charset::to_lower(name.empty() ? '\0' : name[0]);
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    const auto& n = kNames[i];
    if (n.full.size() == name.size() && charset::to_lower(n.full[0]) == first &&
        charset::iequals(n.full, name)) {
      return n.id;
    }
  }
  return HeaderId::kOther;
}

std::string_view canonical_header_name(HeaderId id) {
  return kNames[static_cast<std::size_t>(id)].full;
}

}  // namespace lanline::sip
