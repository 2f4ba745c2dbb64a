// RFC 3264 offer/answer for a call's audio, one Negotiator per call.
//
// As offerer: create_offer() writes our SDP, receive_answer() checks the peer's answer
// against it (same m-lines in the same order, only codecs we offered) and says what was
// agreed; rollback() forgets an offer that got no answer. As answerer: check_offer()
// says early (before the phone rings) whether an offer can be answered at all, and
// receive_offer() writes the answer and says what was agreed.
//
// Codec order in our answer: the offerer's (RFC 3264 6.1 recommends it). Both sides then
// put the same codec first, so each sends what the other prefers to receive and a call
// never runs two codecs, one each way.
//
// The o= line (RFC 3264 8): the session id stays for the call; the version goes up by
// one only when what we write differs from what we wrote last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "codecs.hpp"
#include "result.hpp"
#include "session.hpp"

namespace lanline::sdp {

struct Capabilities {
  std::vector<CodecSpec> codecs;  // in our order of preference
  bool telephone_event = true;    // RFC 4733 events 0-16, at 8000 and (with Opus) 48000
  std::uint32_t ptime = 20;
  bool rtcp_mux = true;  // offer RFC 5761 multiplexing (and accept it when offered)
  std::string session_name = "Lanline";

  // Opus, G722, PCMU, PCMA and telephone-event.
  static Capabilities defaults();
  // The codecs of `names` (codec_named) in that order; unknown names land in `unknown`.
  static Capabilities from_names(const std::vector<std::string>& names,
                                 std::vector<std::string>* unknown = nullptr,
                                 const OpusOptions& opus = {});
};

// Where we receive: our address and the ports bound for the call.
struct LocalEndpoint {
  std::string address;  // IPv4 or IPv6 text
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
};

struct AgreedCodec {
  std::string encoding;
  std::uint32_t clock_rate = 8000;
  std::uint32_t channels = 1;
  std::string fmtp;     // the peer's a=fmtp for it: how it wants to receive
  int send_pt = -1;     // its payload type in the peer's SDP
  int receive_pt = -1;  // its payload type in ours
};

// The outcome of one exchange for the audio stream.
struct AudioAgreement {
  std::vector<AgreedCodec> codecs;  // preferred first; empty: the audio stream is rejected
  int telephone_event_send_pt = -1;
  int telephone_event_receive_pt = -1;
  std::string remote_address;
  std::uint16_t remote_rtp_port = 0;
  std::uint16_t remote_rtcp_port = 0;
  bool rtcp_mux = false;
  bool send = true;
  bool receive = true;
  std::uint32_t ptime = 20;
  // The direction the peer declared, seen from its side; c=0.0.0.0 (RFC 2543 hold) makes
  // it one that does not receive.
  Direction remote_direction = Direction::kSendRecv;
};

// Why an offer cannot be answered: the SIP status and RFC 3261 20.43 warning code.
struct Rejection {
  int status = 488;  // 400 for SDP that does not parse
  int warning = 0;   // 302 transport, 304 media type, 305 media format; 0: none
  std::string reason;
};

struct Answer {
  std::string sdp;
  AudioAgreement audio;
};

class Negotiator {
 public:
  Negotiator(Capabilities capabilities, std::uint64_t session_id);

  void set_local(LocalEndpoint local) { local_ = std::move(local); }
  const LocalEndpoint& local() const { return local_; }

  // Our offer, `direction` being what we want (sendonly to hold). It stays pending
  // until receive_answer() or rollback().
  std::string create_offer(Direction direction);
  bool offer_pending() const { return pending_.has_value(); }
  Result<AudioAgreement> receive_answer(std::string_view text);
  void rollback() { pending_.reset(); }

  // Whether `text` is an offer we can answer: nullopt if so.
  std::optional<Rejection> check_offer(std::string_view text) const;
  // Our answer, `hold` when we hold the call (we then do not receive). In a session
  // already negotiated, an offer with the audio stream at port 0 is answered with no
  // codecs (the stream is off, RFC 3264 8.2).
  std::variant<Answer, Rejection> receive_offer(std::string_view text, bool hold);

  const std::string& session_version() const { return version_; }

 private:
  Session base_session() const;
  bool disables_audio(const Session& offer) const;
  Answer disabled_answer(const Session& offer);
  std::string stamp(Session session);
  Media audio_media(const std::vector<CodecSpec>& codecs, const std::vector<Rtpmap>& events,
                    std::string proto, Direction direction, bool mux, bool offer) const;

  Capabilities capabilities_;
  LocalEndpoint local_;
  std::string session_id_;
  std::string version_ = "0";
  std::optional<Session> last_sent_;  // what we wrote last, its o= version blanked
  std::optional<Session> pending_;    // our offer awaiting its answer
  // The m-lines of the session so far, so that a new offer keeps their number and order
  // (RFC 3264 8): the audio one is ours, the others stay rejected with port 0.
  std::vector<Media> layout_;
  std::size_t audio_index_ = 0;
};

// RFC 3264 6.1 and 8.4: the direction we answer an offer of `offered` with.
Direction answer_direction(Direction offered, bool hold);

}  // namespace lanline::sdp
