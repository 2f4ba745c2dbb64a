#include "ice_attributes.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "text.hpp"

namespace lanline::sdp {
namespace {

// RFC 8839 5.1: ice-char = ALPHA / DIGIT / "+" / "/".
bool ice_chars(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || text::is_digit(c) || c == '+' ||
              c == '/';
    if (!ok) return false;
  }
  return true;
}

// RFC 8866 9 token: what transport and candidate-type extensions may be.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
  }
  return true;
}

// An IP literal's bytes: 4 for IPv4, 16 for IPv6; 0 when it is none (an FQDN, a name).
struct IpBytes {
  int size = 0;
  std::array<unsigned char, 16> bytes{};
};

IpBytes ip_bytes(std::string_view address) {
  IpBytes ip;
  if (address.empty() || address.size() >= 64) return ip;
  char buffer[64];
  std::memcpy(buffer, address.data(), address.size());
  buffer[address.size()] = '\0';
  if (inet_pton(AF_INET, buffer, ip.bytes.data()) == 1) {
    ip.size = 4;
  } else if (inet_pton(AF_INET6, buffer, ip.bytes.data()) == 1) {
    ip.size = 16;
  }
  return ip;
}

bool same_address(std::string_view a, std::string_view b) {
  IpBytes x = ip_bytes(a), y = ip_bytes(b);
  return x.size != 0 && x.size == y.size && x.bytes == y.bytes;
}

// Nobody can send media to it: unspecified, multicast, IPv4 limited broadcast.
bool unusable_address(const IpBytes& ip) {
  const auto& b = ip.bytes;
  if (ip.size == 4) {
    if (b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0) return true;
    if ((b[0] & 0xf0) == 0xe0) return true;  // 224.0.0.0/4
    return b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
  }
  if (b[0] == 0xff) return true;  // ff00::/8
  for (unsigned char c : b) {
    if (c != 0) return false;
  }
  return true;  // ::
}

std::optional<std::uint16_t> port_of(std::string_view s) {
  auto n = text::to_uint(s, 65535);
  if (!n) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

std::optional<std::string_view> first_value(const Media& media, const Session& session,
                                            std::string_view name) {
  if (auto v = media.attributes.value(name)) return v;
  return session.attributes.value(name);
}

// RFC 8840 4.1.1: c=0.0.0.0 (or ::) with port 9 is an offer that names no default yet;
// it is not a middlebox's rewrite.
bool placeholder_default(const PlainTransport& d) {
  return (d.address == "0.0.0.0" || d.address == "::") && d.rtp_port == 9;
}

}  // namespace

bool valid_ufrag(std::string_view ufrag) {
  return ice_chars(ufrag, 4, 256);
}

bool valid_pwd(std::string_view pwd) {
  return ice_chars(pwd, 22, 256);
}

// candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP
//   priority SP connection-address SP port SP cand-type [SP rel-addr] [SP rel-port]
//   *(SP cand-extension)
std::optional<IceCandidate> parse_candidate(std::string_view value) {
  const std::vector<std::string_view> w = text::words(value);
  if (w.size() < 8 || w.size() > 64) return std::nullopt;
  IceCandidate c;
  if (!ice_chars(w[0], 1, 32)) return std::nullopt;
  c.foundation = std::string(w[0]);
  auto component = text::to_uint(w[1], 256);
  if (!component || *component == 0 || w[1].size() > 3) return std::nullopt;
  c.component = static_cast<int>(*component);
  if (!is_token(w[2])) return std::nullopt;
  c.transport = std::string(w[2]);
  auto priority = text::to_uint(w[3], 0xffffffffULL);
  if (!priority || w[3].size() > 10) return std::nullopt;
  c.priority = static_cast<std::uint32_t>(*priority);
  c.address = std::string(w[4]);
  auto port = port_of(w[5]);
  if (!port) return std::nullopt;
  c.port = *port;
  if (w[6] != "typ" || !is_token(w[7])) return std::nullopt;
  c.type = std::string(w[7]);
  std::size_t i = 8;
  if (i + 1 < w.size() && w[i] == "raddr") {
    c.related_address = std::string(w[i + 1]);
    i += 2;
  }
  if (i + 1 < w.size() && w[i] == "rport") {
    auto related = port_of(w[i + 1]);
    if (!related) return std::nullopt;
    c.related_port = *related;
    i += 2;
  }
  // Extensions (generation, network-id, tcptype...) come in name/value pairs.
  if ((w.size() - i) % 2 != 0) return std::nullopt;
  for (; i < w.size(); i += 2) {
    if (!is_token(w[i])) return std::nullopt;
  }
  return c;
}

std::string print_candidate(const IceCandidate& c) {
  std::string out = c.foundation + ' ' + std::to_string(c.component) + ' ' + c.transport + ' ' +
                    std::to_string(c.priority) + ' ' + c.address + ' ' + std::to_string(c.port) +
                    " typ " + c.type;
  // RFC 8839 5.1 lets either come alone.
  if (!c.related_address.empty()) out += " raddr " + c.related_address;
  if (!c.related_address.empty() || c.related_port != 0) {
    out += " rport " + std::to_string(c.related_port);
  }
  return out;
}

bool usable_candidate(const IceCandidate& c) {
  if (!text::iequals(c.transport, "UDP")) return false;
  if (c.component != 1 && c.component != 2) return false;
  if (c.port == 0) return false;
  if (c.type != "host" && c.type != "srflx" && c.type != "prflx" && c.type != "relay") {
    return false;
  }
  IpBytes ip = ip_bytes(c.address);
  return ip.size != 0 && !unusable_address(ip);
}

std::optional<IceTransport> read_ice(const Session& session, const Media& media,
                                     const PlainTransport& default_candidate) {
  auto ufrag = first_value(media, session, "ice-ufrag");
  auto pwd = first_value(media, session, "ice-pwd");
  if (!ufrag || !pwd || !valid_ufrag(*ufrag) || !valid_pwd(*pwd)) return std::nullopt;
  IceTransport ice;
  ice.ufrag = std::string(*ufrag);
  ice.pwd = std::string(*pwd);
  ice.lite = session.attributes.has("ice-lite");  // RFC 8839 5.3: session level only
  ice.default_candidate = default_candidate;
  bool default_seen = placeholder_default(default_candidate);
  for (std::string_view value : media.attributes.values("candidate")) {
    if (ice.candidates.size() == kMaxCandidatesPerStream) break;
    auto candidate = parse_candidate(value);
    if (!candidate || !usable_candidate(*candidate)) continue;
    bool duplicate = false;
    for (const IceCandidate& known : ice.candidates) {
      duplicate =
          duplicate || (known.component == candidate->component && known.port == candidate->port &&
                        same_address(known.address, candidate->address));
    }
    if (duplicate) continue;
    default_seen = default_seen ||
                   (candidate->component == 1 && candidate->port == default_candidate.rtp_port &&
                    same_address(candidate->address, default_candidate.address));
    ice.candidates.push_back(std::move(*candidate));
  }
  if (ice.candidates.empty() || !default_seen) return std::nullopt;  // RFC 8839 4.2
  return ice;
}

void write_ice(const LocalIce& ice, Attributes& attributes) {
  attributes.add("ice-ufrag", ice.ufrag);
  attributes.add("ice-pwd", ice.pwd);
  attributes.add("ice-options", "ice2");  // RFC 8445 10: we are an RFC 8445 agent
  for (const IceCandidate& candidate : ice.candidates) {
    attributes.add("candidate", print_candidate(candidate));
  }
  if (!ice.remote_candidates.empty()) {
    std::string value;
    for (const IceCandidate& remote : ice.remote_candidates) {
      if (!value.empty()) value += ' ';
      value += std::to_string(remote.component) + ' ' + remote.address + ' ' +
               std::to_string(remote.port);
    }
    attributes.add("remote-candidates", value);
  }
}

}  // namespace lanline::sdp
