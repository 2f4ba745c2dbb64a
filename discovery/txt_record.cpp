#include "discovery/txt_record.hpp"

#include "discovery/service_record.hpp"

#include <algorithm>
#include <cctype>

namespace lanline::discovery {
namespace {

// One TXT string is a length byte and at most 255 bytes (RFC 6763 6.1).
constexpr std::size_t kMaxString = 255;

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return std::string(text.substr(0, end));
}

std::string pair(std::string_view key, std::string_view value) {
  std::string text(key);
  text += '=';
  return cut_utf8(text + std::string(value), kMaxString);
}

}  // namespace

std::vector<std::string> sipuri_txt(const Advert& advert, bool tcp) {
  const std::string& contact =
      tcp && !advert.tls_contact_uri.empty() ? advert.tls_contact_uri : advert.contact_uri;
  std::vector<std::string> out = {pair("txtvers", "1"),
                                  pair("name", advert.display_name),
                                  pair("contact", "<" + contact + ">"),
                                  pair("instance_id", advert.instance_id),
                                  pair("state", advert.state),
                                  pair("note", advert.note),
                                  pair("caps", advert.caps)};
  if (!advert.fp.empty()) out.push_back(pair("fp", advert.fp));
  return out;
}

std::vector<std::string> sip_txt(const Advert& advert) {
  return {pair("presence", ekiga_presence(advert.state)), pair("note", advert.note),
          pair("software", advert.software)};
}

std::string ekiga_presence(std::string_view state) {
  if (state == "available") return "online";
  return std::string(state);  // "away", "busy"
}

std::string state_from_ekiga(std::string_view presence) {
  std::string word(presence);
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (word == "online" || word == "available" || word.empty()) return "available";
  if (word == "away" || word == "inactive") return "away";
  if (word == "busy" || word == "dnd" || word == "do-not-disturb" || word == "oncall")
    return "busy";
  if (word == "offline" || word == "invisible") return "offline";
  return word;
}

std::map<std::string, std::string> parse_txt(const std::vector<std::string>& strings) {
  std::map<std::string, std::string> out;
  for (const std::string& text : strings) {
    std::size_t equals = text.find('=');
    std::string key = text.substr(0, equals);
    if (key.empty()) continue;  // 6.4: a string starting with '=' is to be ignored
    bool printable = std::all_of(
        key.begin(), key.end(), [](unsigned char c) { return c >= 0x20 && c <= 0x7E && c != '='; });
    if (!printable) continue;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // 6.4: if a key appears more than once, only the first is taken.
    out.emplace(std::move(key), equals == std::string::npos ? "" : text.substr(equals + 1));
  }
  return out;
}

std::string instance_name(std::string_view name) {
  return cut_utf8(name, 63);
}

std::string strip_angle_brackets(std::string_view contact) {
  std::size_t open = contact.find('<');
  std::size_t close = contact.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    return std::string(contact.substr(open + 1, close - open - 1));
  // Trim blanks around a bare URI.
  while (!contact.empty() && std::isspace(static_cast<unsigned char>(contact.front())))
    contact.remove_prefix(1);
  while (!contact.empty() && std::isspace(static_cast<unsigned char>(contact.back())))
    contact.remove_suffix(1);
  return std::string(contact);
}

std::string_view type_name(ServiceType type) {
  switch (type) {
    case ServiceType::kSipUriUdp:
      return "_sipuri._udp";
    case ServiceType::kSipUriTcp:
      return "_sipuri._tcp";
    case ServiceType::kSipUdp:
      return "_sip._udp";
  }
  return "?";
}

}  // namespace lanline::discovery
