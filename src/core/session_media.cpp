#include "core/session_media.hpp"

namespace lanline::core {
namespace {

// RFC 3264 8.4 (and c=0.0.0.0 folded in by sdp): the peer wants none of our media.
bool holds_us(sdp::Direction peer) {
  return peer == sdp::Direction::kSendOnly || peer == sdp::Direction::kInactive;
}

}  // namespace

SessionMedia::SessionMedia(std::uint64_t call_id, CallMedia* media,
                           const sdp::Capabilities& capabilities, std::uint64_t session_id,
                           std::uint16_t fallback_port)
    : call_id_(call_id), media_(media), sdp_(capabilities, session_id) {
  local_.push_back({{}, fallback_port, static_cast<std::uint16_t>(fallback_port + 1)});
}

SessionMedia::~SessionMedia() {
  release();
}

PrepareState SessionMedia::prepare(const sip::Endpoint& peer, const std::string& sip_host,
                                   std::string_view remote_offer) {
  if (transport_ == Transport::kReady) return PrepareState::kReady;
  sip_host_ = sip_host;
  if (!media_) {
    local_.front().address = sip_host;
    sdp_.set_local(local_);
    transport_ = Transport::kReady;
    return PrepareState::kReady;
  }
  TransportRequest request;
  request.ipv6 = peer.address.find(':') != std::string::npos;
  request.peer_address = peer.address;
  request.local_address = sip_host;
  if (remote_offer.empty()) {
    request.streams = sdp_.offered_streams();
    request.offerer = true;
  } else {
    auto needs = sdp_.offered_transports(remote_offer);
    request.streams = needs.transports;
    request.ice = needs.ice;
    request.rtcp_mux = needs.rtcp_mux;
  }
  if (request.streams == 0) request.streams = 1;  // an offer refused later still names ports
  Preparation prepared = media_->prepare(call_id_, request);
  if (prepared.state != PrepareState::kFailed) release_owed_ = true;
  return take(prepared);
}

PrepareState SessionMedia::complete(const Preparation& outcome) {
  if (transport_ != Transport::kPending) return PrepareState::kFailed;
  return take(outcome);
}

PrepareState SessionMedia::take(const Preparation& prepared) {
  switch (prepared.state) {
    case PrepareState::kPending:
      transport_ = Transport::kPending;
      return PrepareState::kPending;
    case PrepareState::kFailed:
      transport_ = Transport::kFailed;
      return PrepareState::kFailed;
    case PrepareState::kReady:
      break;
  }
  if (prepared.streams.empty()) {  // ready with nothing to send to is no transport
    transport_ = Transport::kFailed;
    return PrepareState::kFailed;
  }
  local_ = prepared.streams;
  for (LocalTransport& ports : local_) {
    // A wildcard bind says nothing a peer can send to: then the SIP address is ours.
    if (ports.address.empty() || ports.address == "0.0.0.0" || ports.address == "::") {
      ports.address = sip_host_;
    }
  }
  sdp_.set_local(local_);
  transport_ = Transport::kReady;
  return PrepareState::kReady;
}

bool SessionMedia::renew(const Preparation& outcome) {
  if (transport_ != Transport::kReady || outcome.state != PrepareState::kReady ||
      outcome.streams.empty()) {
    return false;
  }
  return take(outcome) == PrepareState::kReady;
}

bool SessionMedia::want_stream(StreamKind kind, ContentRole content, bool on) {
  if (kind == StreamKind::kVideo) sdp_.set_sending(content, on);
  if (on) return sdp_.add_stream(kind, content);
  // Our camera off leaves the stream, receiving the peer's; the screen goes (port 0).
  return content == ContentRole::kMain || sdp_.remove_stream(kind, content);
}

PrepareState SessionMedia::grow(std::string_view offer) {
  const std::size_t needed =
      offer.empty() ? sdp_.offered_streams() : sdp_.offered_transports(offer).transports;
  if (needed <= local_.size()) return PrepareState::kReady;
  if (!media_ || transport_ != Transport::kReady) return PrepareState::kFailed;
  TransportRequest request;
  request.streams = needed;  // the call's ICE role and family stay as they are
  request.local_address = sip_host_;
  Preparation prepared = media_->prepare(call_id_, request);
  if (prepared.state == PrepareState::kReady && !renew(prepared)) return PrepareState::kFailed;
  return prepared.state;
}

void SessionMedia::release() {
  if (!release_owed_) return;
  release_owed_ = false;
  media_->release(call_id_);
}

std::string SessionMedia::offer(sdp::Direction direction) {
  return sdp_.create_offer(direction);
}

std::optional<sdp::Rejection> SessionMedia::check_offer(std::string_view offer) const {
  return sdp_.check_offer(offer);
}

std::variant<SessionMedia::LocalAnswer, sdp::Rejection> SessionMedia::answer(std::string_view offer,
                                                                             bool local_hold) {
  // An offer in a call under way may restart ICE: the answer then carries new credentials.
  if (release_owed_ && transport_ == Transport::kReady) {
    if (auto renewed = media_->offer_arrives(call_id_, sdp_.offered_transports(offer).ufrags)) {
      renew(Preparation{PrepareState::kReady, std::move(*renewed), {}});
    }
  }
  auto result = sdp_.receive_offer(offer, local_hold);
  if (auto* rejection = std::get_if<sdp::Rejection>(&result)) return std::move(*rejection);
  auto& answer = std::get<sdp::Answer>(result);
  bool remote_hold = holds_us(answer.agreement.remote_direction);
  return LocalAnswer{std::move(answer.sdp), std::move(answer.agreement), remote_hold};
}

void SessionMedia::apply(const Agreement& agreed) {
  // Nothing before prepare() answered, nor after release(): no streams to start.
  if (release_owed_) media_->apply(call_id_, agreed.streams);
}

SessionMedia::PeerAnswer SessionMedia::take_answer(std::string_view body, Exchange exchange,
                                                   bool want_hold) {
  auto agreed = sdp_.receive_answer(body);
  if (!agreed) return {agreed.error().reason, false};
  if (!agreed->any_accepted()) return {"it accepted none of the streams offered", false};
  // In a re-INVITE's answer only inactive, and only to an offer of ours that did not
  // hold, says the peer holds us (as the UA has always judged it).
  bool remote_hold = exchange == Exchange::kReinvite
                         ? agreed->remote_direction == sdp::Direction::kInactive && !want_hold
                         : holds_us(agreed->remote_direction);
  apply(*agreed);
  return {{}, remote_hold};
}

}  // namespace lanline::core
