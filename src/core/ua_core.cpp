#include "core/ua_core.hpp"

namespace lanline::core {

std::mt19937_64& random_engine() {
  thread_local std::mt19937_64 engine(std::random_device{}());
  return engine;
}

UaCore::UaCore(sip::TransportSender& transport, sip::TransactionUser& user,
               UserAgentListener& listener, UserAgentConfig config, sip::TimerValues timers)
    : layer_(transport, user, timers),
      transport_(transport),
      listener_(listener),
      config_(std::move(config)),
      timers_(timers) {
  capabilities_ = sdp::Capabilities::from_names(config_.codecs, nullptr, config_.opus);
  capabilities_.telephone_event = config_.telephone_event;
  capabilities_.send_video = config_.send_video;
  for (const std::string& name : config_.video_codecs) {
    auto spec = sdp::codec_named(name);
    if (spec && codec_info(spec->codec).kind == StreamKind::kVideo)
      capabilities_.video_codecs.push_back(std::move(*spec));
  }
}

sip::LocalContact UaCore::local_for(const sip::Endpoint& peer) const {
  sip::LocalContact local = config_.local;
  local.transport = peer.transport;
  if (peer.transport == sip::TransportKind::kTls && config_.tls_port != 0)
    local.port = config_.tls_port;
  bool v6 = peer.address.find(':') != std::string::npos;
  if (peer.address == "::1" || peer.address.rfind("127.", 0) == 0) {
    local.host = v6 ? "::1" : "127.0.0.1";
  } else if (std::string source =
                 config_.source_address ? config_.source_address(peer.address) : std::string();
             !source.empty()) {
    local.host = std::move(source);  // the route's own choice, link-local ones included
  } else if (v6 && !config_.ipv6_host.empty()) {
    local.host = config_.ipv6_host;
  }
  return local;
}

sip::RequestSpec UaCore::new_request(std::string method, std::string_view target,
                                     const sip::Endpoint& to, std::string_view display_name) const {
  sip::LocalContact local = local_for(to);
  sip::RequestSpec spec;
  spec.method = std::move(method);
  spec.request_uri = std::string(target);
  std::string from = "<sip:" + local.user + "@" + local.host_port() + ">";
  if (!display_name.empty()) from = "\"" + std::string(display_name) + "\" " + from;
  spec.from = from + ";tag=" + sip::random_token(6);
  spec.to = "<" + std::string(target) + ">";
  spec.call_id = sip::random_token(10) + "@" + local.host;
  return spec;
}

sip::RequestSpec UaCore::new_request_through(std::string method, std::string_view target,
                                             const AccountRoute& account) const {
  sip::RequestSpec spec;
  spec.method = std::move(method);
  spec.request_uri = std::string(target);
  std::string from = "<" + account.aor + ">";
  if (!account.display_name.empty()) from = "\"" + account.display_name + "\" " + from;
  spec.from = from + ";tag=" + sip::random_token(6);
  spec.to = "<" + std::string(target) + ">";
  spec.call_id = sip::random_token(10) + "@lanline";
  spec.routes = account.routes;
  return spec;
}

bool answer_challenge(sip::RequestSpec& spec, const sip::Message& response,
                      const AccountRoute& account, int& answered) {
  auto challenge = sip::choose_challenge(response);
  if (!challenge || account.credentials.user.empty()) return false;
  if (answered > 0 && !challenge->stale) return false;  // the answer was refused
  if (answered >= 3) return false;
  ++answered;
  std::string name(sip::authorization_header(*challenge));
  std::erase_if(spec.headers, [&](const auto& header) { return header.first == name; });
  spec.headers.emplace_back(name,
                            sip::digest_authorization(*challenge, account.credentials, spec.method,
                                                      spec.request_uri, sip::random_token(8), 1));
  ++spec.cseq;
  spec.branch.clear();
  return true;
}

// RFC 3261 18.1.1: a request within 200 bytes of the path MTU (1500 on a LAN), or over
// 1300 bytes when the MTU is unknown, goes over TCP instead of UDP.
sip::Result<sip::Message> UaCore::build_for(const sip::RequestSpec& spec, sip::Endpoint& to,
                                            bool size_may_move) const {
  constexpr std::size_t kLargestUdpRequest = 1300;
  sip::LocalContact local = local_for(to);
  auto request = sip::build_request(local, spec);
  if (request && size_may_move && to.transport == sip::TransportKind::kUdp &&
      request->text().size() > kLargestUdpRequest) {
    to.transport = sip::TransportKind::kTcp;
    to.connection = 0;
    local.transport = to.transport;
    request = sip::build_request(local, spec);
  }
  return request;
}

sip::TransactionId UaCore::send_request(const sip::RequestSpec& spec, sip::Endpoint& to,
                                        bool size_may_move) {
  auto request = build_for(spec, to, size_may_move);
  if (!request) return 0;
  return layer_.send_request(std::move(request).value(), to, now_);
}

void UaCore::send_direct(const sip::Message& message, const sip::Endpoint& to) {
  transport_.send(message.text(), to);
}

bool UaCore::respond(sip::TransactionId server, const sip::Message& request,
                     sip::ResponseSpec spec) {
  if (spec.to_tag.empty()) spec.to_tag = sip::random_token(6);
  auto response = sip::build_response(request, spec);
  return response && layer_.send_response(server, std::move(response).value(), now_);
}

void UaCore::respond(sip::TransactionId server, const sip::Message& request, int code,
                     sip::ExtraHeaders headers, std::string to_tag) {
  sip::ResponseSpec spec;
  spec.code = code;
  spec.to_tag = std::move(to_tag);
  spec.headers = std::move(headers);
  respond(server, request, std::move(spec));
}

}  // namespace lanline::core
