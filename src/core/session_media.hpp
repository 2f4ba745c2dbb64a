// The one place where a call's SDP meets its media: its offer/answer state (an
// sdp::Negotiator, RFC 3264) and its side of the CallMedia seam (prepare, apply,
// release). The INVITE session hands SDP bodies in and out and passes agreements (a
// StreamDescription per m-line) on to apply() without reading them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/call_media.hpp"
#include "sdp/offer_answer.hpp"
#include "sip/endpoint.hpp"

namespace lanline::core {

class SessionMedia {
 public:
  // What one completed exchange agreed; the session only hands it to apply().
  using Agreement = sdp::Agreement;

  // Our answer to the peer's offer.
  struct LocalAnswer {
    std::string sdp;
    Agreement agreed;
    bool remote_hold = false;  // the offer wants none of our media (RFC 3264 8.4)
  };
  // The peer's answer to our offer, applied unless `problem` says why it cannot be used.
  struct PeerAnswer {
    std::string problem;
    bool remote_hold = false;
  };
  // Which offer an answer belongs to: a re-INVITE's answer says "hold" differently.
  enum class Exchange { kInitial, kReinvite };

  // `fallback_port`: what the SDP names when there is no media at all (tests of
  // signalling alone).
  SessionMedia(std::uint64_t call_id, CallMedia* media, const sdp::Capabilities& capabilities,
               std::uint64_t session_id, std::uint16_t fallback_port);
  ~SessionMedia();  // releases the media if that is still owed
  SessionMedia(const SessionMedia&) = delete;
  SessionMedia& operator=(const SessionMedia&) = delete;

  // The transports (CallMedia::prepare), asked for once, before the first offer or
  // answer, for a peer at `peer`: one per stream of `remote_offer` we take, or, with none,
  // of our own offer. `sip_host` is our SIP address as that peer reaches it: the SDP
  // names it when the media gives a wildcard or no address.
  PrepareState prepare(const sip::Endpoint& peer, const std::string& sip_host,
                       std::string_view remote_offer = {});
  // The outcome of a pending prepare() (UserAgent::media_ready).
  PrepareState complete(const Preparation& outcome);
  bool ready() const { return transport_ == Transport::kReady; }
  bool pending() const { return transport_ == Transport::kPending; }
  // New local ends of the transports in a call under way (an ICE restart): what the
  // next offer or answer names. False when there were none to replace.
  bool renew(const Preparation& outcome);
  // A stream of ours on or off from the next offer on: the camera's video (off: we stop
  // sending, and still receive the peer's) or the shared screen (slides; off: the stream
  // goes, port 0). False when we have no codec for it, or the screen is not shared.
  bool want_stream(StreamKind kind, ContentRole content, bool on);
  // Enough transports for our next offer (after want_stream) or our answer to `offer`:
  // asked of the media side for a call under way when it needs more than it has. kReady:
  // there are; kPending: the media side renews them (UserAgent::renew_media) once made;
  // kFailed: it cannot, and the new stream goes without (port 0).
  PrepareState grow(std::string_view offer = {});
  // The call is over: CallMedia::release() once, if it is owed.
  void release();

  // RFC 3264: our offer, or our answer to the peer's.
  std::string offer(sdp::Direction direction);
  std::optional<sdp::Rejection> check_offer(std::string_view offer) const;
  std::variant<LocalAnswer, sdp::Rejection> answer(std::string_view offer, bool local_hold);
  // Starts or updates the streams (CallMedia::apply) with what an exchange agreed.
  void apply(const Agreement& agreed);
  // The answer to our pending offer, applied when it can be used. `want_hold`: we offered
  // sendonly, so an inactive answer is no hold of the peer's.
  PeerAnswer take_answer(std::string_view body, Exchange exchange, bool want_hold);
  // Our offer got no answer (a re-INVITE refused): the session stays as it was.
  void rollback() { sdp_.rollback(); }

 private:
  enum class Transport { kUnprepared, kPending, kReady, kFailed };
  PrepareState take(const Preparation& prepared);

  std::uint64_t call_id_;
  CallMedia* media_;  // null: signalling alone, the SDP names fallback ports
  sdp::Negotiator sdp_;
  Transport transport_ = Transport::kUnprepared;
  // A debt, not a state: prepare() answered kReady or kPending, so CallMedia wants one
  // release() whatever becomes of the transport (even a later kFailed).
  bool release_owed_ = false;
  std::string sip_host_;               // our SIP address, for wildcard transports
  std::vector<LocalTransport> local_;  // our address and ports per stream, once known
};

}  // namespace lanline::core
