#include "core/scoped_address.hpp"

#include <cctype>

namespace lanline::core {

std::optional<ScopedUri> split_zone(std::string_view uri) {
  std::size_t open = uri.find('[');
  if (open == std::string_view::npos) return std::nullopt;
  std::size_t close = uri.find(']', open);
  std::size_t percent = uri.find('%', open);
  if (close == std::string_view::npos || percent == std::string_view::npos || percent > close)
    return std::nullopt;
  std::size_t zone_start = percent + 1;
  // RFC 6874 2: the '%' itself is escaped as "%25".
  if (uri.substr(percent, 3) == "%25" && close - percent > 3) zone_start = percent + 3;
  std::string zone(uri.substr(zone_start, close - zone_start));
  if (zone.empty()) return std::nullopt;
  for (char c : zone) {
    // An interface name or index: nothing that could smuggle in URI syntax.
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return std::nullopt;
  }
  ScopedUri out;
  out.uri = std::string(uri.substr(0, percent)) + std::string(uri.substr(close));
  out.zone = std::move(zone);
  return out;
}

std::string with_zone_of(std::string address, std::string_view known) {
  std::size_t percent = known.find('%');
  if (percent == std::string_view::npos || address.find('%') != std::string::npos) return address;
  // fe80::/10: the first group is fe80 to febf.
  std::size_t colon = address.find(':');
  if (colon != 4) return address;
  std::string group = address.substr(0, 4);
  for (char& c : group)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (group.compare(0, 2, "fe") != 0 || std::string("89ab").find(group[2]) == std::string::npos)
    return address;
  return address + std::string(known.substr(percent));
}

}  // namespace lanline::core
