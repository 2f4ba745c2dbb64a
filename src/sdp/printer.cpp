#include "printer.hpp"

namespace lanline::sdp {
namespace {

void line(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void connection(std::string& out, const Connection& c) {
  std::string value = c.network_type;
  value += ' ';
  value += c.address_type;
  value += ' ';
  value += c.address;
  if (c.ttl) {
    value += '/';
    value += std::to_string(*c.ttl);
  }
  if (c.count) {
    value += '/';
    value += std::to_string(*c.count);
  }
  line(out, 'c', value);
}

void bandwidths(std::string& out, const std::vector<Bandwidth>& list) {
  for (const auto& b : list) {
    std::string value = b.type;
    value += ':';
    value += std::to_string(b.value);
    line(out, 'b', value);
  }
}

void attributes(std::string& out, const Attributes& attributes) {
  for (const auto& a : attributes.list) {
    std::string value = a.name;
    if (a.value) {
      value += ':';
      value += *a.value;
    }
    line(out, 'a', value);
  }
}

}  // namespace

std::string print(const Session& s) {
  std::string out;
  out.reserve(512 + 256 * s.media.size());
  line(out, 'v', std::to_string(s.version));
  const Origin& o = s.origin;
  std::string origin = o.username;
  for (const std::string* field :
       {&o.session_id, &o.session_version, &o.network_type, &o.address_type, &o.address}) {
    origin += ' ';
    origin += *field;
  }
  line(out, 'o', o.verbatim.empty() ? std::string_view(origin) : std::string_view(o.verbatim));
  // RFC 8866 5.3: "s= " (one space) when the session has no name.
  line(out, 's', s.name.empty() ? std::string_view(" ") : std::string_view(s.name));
  if (s.info) line(out, 'i', *s.info);
  if (s.uri) line(out, 'u', *s.uri);
  for (const auto& e : s.emails)
    line(out, 'e', e);
  for (const auto& p : s.phones)
    line(out, 'p', p);
  if (s.connection) connection(out, *s.connection);
  bandwidths(out, s.bandwidths);
  for (const auto& t : s.timings) {
    line(out, 't', std::to_string(t.start) + ' ' + std::to_string(t.stop));
    for (const auto& r : t.repeats)
      line(out, 'r', r);
  }
  if (s.zone) line(out, 'z', *s.zone);
  if (s.key) line(out, 'k', *s.key);
  attributes(out, s.attributes);
  for (const auto& m : s.media) {
    std::string value = m.type;
    value += ' ';
    value += std::to_string(m.port);
    if (m.port_count) {
      value += '/';
      value += std::to_string(*m.port_count);
    }
    value += ' ';
    value += m.proto;
    for (const auto& f : m.formats) {
      value += ' ';
      value += f;
    }
    line(out, 'm', value);
    if (m.title) line(out, 'i', *m.title);
    for (const auto& c : m.connections)
      connection(out, c);
    bandwidths(out, m.bandwidths);
    if (m.key) line(out, 'k', *m.key);
    attributes(out, m.attributes);
  }
  return out;
}

}  // namespace lanline::sdp
