#include "session.hpp"

#include <algorithm>

#include "text.hpp"

namespace lanline::sdp {

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

bool sends(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kSendOnly;
}

bool receives(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kRecvOnly;
}

namespace {

std::optional<Direction> direction_named(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

}  // namespace

const Attribute* Attributes::find(std::string_view name) const {
  for (const auto& attribute : list) {
    if (attribute.name == name) return &attribute;
  }
  return nullptr;
}

std::optional<std::string_view> Attributes::value(std::string_view name) const {
  const Attribute* attribute = find(name);
  if (!attribute || !attribute->value) return std::nullopt;
  return std::string_view(*attribute->value);
}

std::vector<std::string_view> Attributes::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& attribute : list) {
    if (attribute.name == name && attribute.value) out.emplace_back(*attribute.value);
  }
  return out;
}

std::optional<Direction> Attributes::direction() const {
  std::optional<Direction> found;
  for (const auto& attribute : list) {
    if (attribute.value) continue;
    if (auto d = direction_named(attribute.name)) found = d;
  }
  return found;
}

void Attributes::add(std::string name, std::optional<std::string> value) {
  list.push_back(Attribute{std::move(name), std::move(value)});
}

void Attributes::set_direction(Direction direction) {
  std::erase_if(list,
                [](const Attribute& a) { return !a.value && direction_named(a.name).has_value(); });
  add(std::string(to_string(direction)));
}

bool Media::is_rtp() const {
  // RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP(F), TCP/... variants.
  return proto.find("RTP/") != std::string::npos;
}

std::vector<int> Media::payload_types() const {
  std::vector<int> out;
  for (const auto& format : formats) {
    if (auto pt = text::to_uint(format, 127)) out.push_back(static_cast<int>(*pt));
  }
  return out;
}

std::optional<Rtpmap> static_payload_type(int pt) {
  struct Entry {
    int pt;
    const char* name;
    std::uint32_t clock;
    std::uint32_t channels;
  };
  // RFC 3551 table 4 (audio); 9 is G722 with an RTP clock of 8000 though sampled at 16 kHz.
  static constexpr Entry kTable[] = {
      {0, "PCMU", 8000, 1},  {3, "GSM", 8000, 1},   {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
      {6, "DVI4", 16000, 1}, {7, "LPC", 8000, 1},   {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
      {10, "L16", 44100, 2}, {11, "L16", 44100, 1}, {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
      {14, "MPA", 90000, 1}, {15, "G728", 8000, 1}, {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
      {18, "G729", 8000, 1},
  };
  for (const auto& entry : kTable) {
    if (entry.pt == pt) return Rtpmap{pt, entry.name, entry.clock, entry.channels};
  }
  return std::nullopt;
}

std::optional<Rtpmap> parse_rtpmap(std::string_view value) {
  auto fields = text::words(value);
  if (fields.size() != 2) return std::nullopt;
  auto pt = text::to_uint(fields[0], 127);
  if (!pt) return std::nullopt;
  std::string_view rest = fields[1];
  std::size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  Rtpmap map;
  map.payload_type = static_cast<int>(*pt);
  map.encoding = std::string(rest.substr(0, slash));
  rest.remove_prefix(slash + 1);
  std::size_t second = rest.find('/');
  auto clock = text::to_uint(rest.substr(0, second), UINT32_MAX);
  if (!clock || *clock == 0) return std::nullopt;
  map.clock_rate = static_cast<std::uint32_t>(*clock);
  if (second != std::string_view::npos) {
    auto channels = text::to_uint(rest.substr(second + 1), 255);
    if (!channels || *channels == 0) return std::nullopt;
    map.channels = static_cast<std::uint32_t>(*channels);
  }
  return map;
}

std::optional<Rtpmap> Media::rtpmap(int pt) const {
  for (auto value : attributes.values("rtpmap")) {
    auto map = parse_rtpmap(value);
    if (map && map->payload_type == pt) return map;
  }
  return static_payload_type(pt);
}

std::optional<std::string> Media::fmtp(int pt) const {
  std::string format = std::to_string(pt);
  for (auto value : attributes.values("fmtp")) {
    std::size_t space = value.find_first_of(" \t");
    if (space == std::string_view::npos || value.substr(0, space) != format) continue;
    return std::string(text::trim(value.substr(space)));
  }
  return std::nullopt;
}

std::vector<std::string> Media::rtcp_feedback(int pt) const {
  const std::string format = std::to_string(pt);
  std::vector<std::string> out;
  for (auto value : attributes.values("rtcp-fb")) {
    std::size_t space = value.find_first_of(" \t");
    if (space == std::string_view::npos) continue;
    std::string_view target = value.substr(0, space);
    if (target != format && target != "*") continue;
    std::string normal;
    for (char c : text::trim(value.substr(space))) {
      if (c == ' ' || c == '\t') {
        if (!normal.empty() && normal.back() != ' ') normal += ' ';
      } else {
        normal += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
    }
    while (!normal.empty() && normal.back() == ' ')
      normal.pop_back();
    if (normal.empty() || normal.size() > 64) continue;
    if (std::find(out.begin(), out.end(), normal) == out.end() && out.size() < 16)
      out.push_back(std::move(normal));
  }
  return out;
}

std::optional<std::uint32_t> Media::ptime() const {
  auto value = attributes.value("ptime");
  if (!value) return std::nullopt;
  // RFC 8866 6.4 allows a decimal fraction ("ptime:20.0" from some phones): milliseconds.
  std::string_view whole = value->substr(0, value->find('.'));
  auto ms = text::to_uint(whole, 10000);
  if (!ms || *ms == 0) return std::nullopt;
  return static_cast<std::uint32_t>(*ms);
}

std::optional<std::uint32_t> Media::maxptime() const {
  auto value = attributes.value("maxptime");
  if (!value) return std::nullopt;
  auto ms = text::to_uint(value->substr(0, value->find('.')), 10000);
  if (!ms || *ms == 0) return std::nullopt;
  return static_cast<std::uint32_t>(*ms);
}

std::optional<RtcpAttribute> parse_rtcp(std::string_view value) {
  auto fields = text::words(value);
  if (fields.size() != 1 && fields.size() != 4) return std::nullopt;
  auto port = text::to_uint(fields[0], 65535);
  if (!port) return std::nullopt;
  RtcpAttribute rtcp;
  rtcp.port = static_cast<std::uint16_t>(*port);
  if (fields.size() == 4) {
    Connection c;
    c.network_type = std::string(fields[1]);
    c.address_type = std::string(fields[2]);
    c.address = std::string(fields[3]);
    rtcp.connection = std::move(c);
  }
  return rtcp;
}

std::optional<RtcpAttribute> Media::rtcp() const {
  auto value = attributes.value("rtcp");
  if (!value) return std::nullopt;
  return parse_rtcp(*value);
}

Direction Session::direction(const Media& m) const {
  if (auto d = m.attributes.direction()) return *d;
  return attributes.direction().value_or(Direction::kSendRecv);
}

const Connection* Session::connection_for(const Media& m) const {
  if (!m.connections.empty()) return &m.connections.front();
  return connection ? &*connection : nullptr;
}

}  // namespace lanline::sdp
