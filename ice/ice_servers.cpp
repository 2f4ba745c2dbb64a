#include "ice/ice_servers.hpp"

#include <gio/gio.h>

#include <charconv>

namespace lanline::ice {
namespace {

struct HostPort {
  std::string host;
  std::uint16_t port = 3478;
};

// HOST[:PORT] or [V6][:PORT].
Result<HostPort, std::string> host_port(std::string_view text, std::string_view what) {
  HostPort out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close == 1) {
      return std::string(what) + " '" + std::string(text) + "' has an unclosed [IPv6 address]";
    }
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    std::size_t colon = text.find(':');
    out.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (out.host.empty()) return std::string(what) + " '" + std::string(text) + "' names no host";
  if (!rest.empty()) {
    unsigned port = 0;
    std::string_view digits = rest.substr(1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (rest.front() != ':' || digits.empty() || ec != std::errc() ||
        end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return std::string(what) + " '" + std::string(text) +
             "' has no valid port after the host (HOST:PORT, e.g. 192.0.2.1:3478)";
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr ==
            text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

bool is_ip_literal(const std::string& host) {
  return g_hostname_is_ip_address(host.c_str()) != FALSE;
}

Result<StunServer, std::string> parse_stun_server(std::string_view text) {
  auto parsed = host_port(text, "the STUN server");
  if (!parsed) return parsed.error();
  return StunServer{parsed->host, parsed->port};
}

Result<TurnServer, std::string> parse_turn_uri(std::string_view text) {
  const std::string example = " (e.g. turn:alice:secret@192.0.2.1:3478?transport=udp)";
  if (text.rfind("turns:", 0) == 0) {
    return "'" + std::string(text) +
           "': TURN over TLS (turns:) is not supported; use turn: with ?transport=udp or tcp";
  }
  if (text.rfind("turn:", 0) != 0) {
    return "'" + std::string(text) + "' is not a turn: URI" + example;
  }
  std::string_view rest = text.substr(5);
  TurnServer server;
  std::size_t query = rest.find('?');
  if (query != std::string_view::npos) {
    std::string_view parameter = rest.substr(query + 1);
    if (parameter == "transport=tcp") {
      server.tcp = true;
    } else if (parameter != "transport=udp") {
      return "'" + std::string(text) + "': the only parameter is transport=udp or transport=tcp";
    }
    rest = rest.substr(0, query);
  }
  std::size_t at = rest.rfind('@');
  if (at == std::string_view::npos) {
    return "'" + std::string(text) + "' has no USER:PASSWORD@ before the host" + example;
  }
  std::string_view credentials = rest.substr(0, at);
  std::size_t colon = credentials.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
    return "'" + std::string(text) + "' needs both a user and a password (USER:PASSWORD@)" +
           example;
  }
  server.user = percent_decoded(credentials.substr(0, colon));
  server.password = percent_decoded(credentials.substr(colon + 1));
  auto address = host_port(rest.substr(at + 1), "the TURN server");
  if (!address) return address.error();
  server.host = address->host;
  server.port = address->port;
  return server;
}

}  // namespace lanline::ice
