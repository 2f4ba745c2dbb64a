#include "dialog.hpp"

#include "charset.hpp"
#include "parser.hpp"

namespace lanline::sip {
namespace {

// The name-addr of a From/To value without its header parameters (tag and others).
std::string name_addr_text(const NameAddr& address) {
  std::string out;
  if (!address.display_name.empty()) {
    out += address.display_name;
    out += ' ';
  }
  out += '<';
  out += address.uri.text;
  out += '>';
  return out;
}

std::string contact_uri(const Message& message) {
  const auto& contacts = message.contact().contacts;
  return contacts.empty() ? std::string() : std::string(contacts.front().uri.text);
}

std::string route_value(const NameAddr& route) {
  return std::string(route.text);
}

}  // namespace

Dialog Dialog::as_uac(const Message& request, const Message& response) {
  Dialog d;
  d.call_id = request.call_id();
  d.local_tag = request.from().tag;
  d.remote_tag = response.to().tag;
  d.local_seq = request.cseq().number;
  d.local_uri = name_addr_text(request.from());
  d.remote_uri = name_addr_text(request.to());
  d.remote_target = contact_uri(response);
  if (d.remote_target.empty()) d.remote_target = request.request_uri().text;
  // 12.1.2: the route set is the Record-Route of the response, in reverse order.
  for (auto it = response.record_route().rbegin(); it != response.record_route().rend(); ++it) {
    d.route_set.push_back(route_value(*it));
  }
  return d;
}

Dialog Dialog::as_uas(const Message& request, std::string local_tag) {
  Dialog d;
  d.call_id = request.call_id();
  d.local_tag = std::move(local_tag);
  d.remote_tag = request.from().tag;
  d.remote_seq = request.cseq().number;
  d.local_uri = name_addr_text(request.to());
  d.remote_uri = name_addr_text(request.from());
  d.remote_target = contact_uri(request);
  if (d.remote_target.empty()) d.remote_target = request.from().uri.text;
  for (const NameAddr& route : request.record_route())
    d.route_set.push_back(route_value(route));
  return d;
}

bool Dialog::matches_request(const Message& request) const {
  return request.call_id() == call_id && request.to().tag == local_tag &&
         request.from().tag == remote_tag;
}

std::string LocalContact::host_port() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string LocalContact::contact() const {
  std::string out = "<sip:";
  if (!user.empty()) out += user + "@";
  out += host_port();
  if (transport == TransportKind::kTcp) out += ";transport=tcp";
  if (transport == TransportKind::kTls) out += ";transport=tls";
  return out + ">";
}

Result<Message> build_request(const LocalContact& local, const RequestSpec& spec) {
  std::string out;
  out.reserve(600 + spec.body.size());
  auto header = [&out](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  out += spec.method + " " + spec.request_uri + " SIP/2.0\r\n";
  header("Via", "SIP/2.0/" + std::string(transport_name(local.transport)) + " " +
                    local.host_port() +
                    ";branch=" + (spec.branch.empty() ? new_branch() : spec.branch) + ";rport");
  header("Max-Forwards", "70");
  for (const std::string& route : spec.routes)
    header("Route", route);
  header("From", spec.from);
  header("To", spec.to);
  header("Call-ID", spec.call_id);
  header("CSeq", std::to_string(spec.cseq) + " " + spec.method);
  if (spec.contact) header("Contact", local.contact());
  if (!local.user_agent.empty()) header("User-Agent", local.user_agent);
  for (const auto& [name, value] : spec.headers)
    header(name, value);
  if (!spec.body.empty() && !spec.content_type.empty()) header("Content-Type", spec.content_type);
  header("Content-Length", std::to_string(spec.body.size()));
  out += "\r\n";
  out += spec.body;
  // Stream framing: the Content-Length written is the body's exact size.
  return parse_message(out, Framing::kStream);
}

RequestSpec in_dialog_request(Dialog& dialog, std::string method,
                              std::optional<std::uint32_t> cseq) {
  RequestSpec spec;
  spec.method = std::move(method);
  spec.request_uri = dialog.remote_target;
  spec.from = dialog.local_uri + ";tag=" + dialog.local_tag;
  spec.to = dialog.remote_uri + ";tag=" + dialog.remote_tag;
  spec.call_id = dialog.call_id;
  spec.cseq = cseq ? *cseq : ++dialog.local_seq;
  spec.routes = dialog.route_set;
  spec.contact = spec.method == "INVITE";
  return spec;
}

std::optional<Endpoint> endpoint_for(const Uri& uri) {
  if (!uri.is_sip() || (uri.host_kind != HostKind::kIPv4 && uri.host_kind != HostKind::kIPv6)) {
    return std::nullopt;
  }
  Endpoint endpoint;
  endpoint.address = std::string(uri.host_address());
  endpoint.transport = transport_for(uri);
  endpoint.port = static_cast<std::uint16_t>(default_port_for(uri));
  return endpoint;
}

TransportKind transport_for(const Uri& uri) {
  // RFC 5630 3.1.3: a sips URI is reached over TLS whatever its transport parameter says.
  if (uri.scheme == UriScheme::kSips) return TransportKind::kTls;
  auto transport = uri.params.find("transport");
  if (!transport) return TransportKind::kUdp;
  return transport_named(transport->value).value_or(TransportKind::kUdp);
}

int default_port_for(const Uri& uri) {
  // RFC 3263 4.2: 5061 for TLS, sip: with transport=tls included.
  if (uri.port < 0 && transport_for(uri) == TransportKind::kTls) return 5061;
  return uri.port_or_default();
}

}  // namespace lanline::sip
