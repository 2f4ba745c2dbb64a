// RFC 3264 offer/answer for a call's streams, one Negotiator per call.
//
// As offerer: create_offer() writes our SDP, receive_answer() checks the peer's answer
// against it (same m-lines in the same order, only codecs we offered) and says what was
// agreed, a StreamDescription per m-line; rollback() forgets an offer that got no answer;
// add_stream() and remove_stream() change what the next offer carries. As answerer:
// check_offer() says early (before the phone rings) whether an offer can be answered at
// all, and receive_offer() writes the answer and says what was agreed.
//
// Streams: any number of m-lines. Each kind Lanline has codecs for (Capabilities) is
// taken once per content role (RFC 4796: one main audio; one main video and one slides
// video once there is video); every other m-line is answered with port 0 in its place
// (RFC 3264 6), and the layout is kept across re-offers (RFC 3264 8).
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
#include "common/stream_description.hpp"
#include "result.hpp"
#include "sdes.hpp"
#include "session.hpp"

namespace lanline::sdp {

struct Capabilities {
  std::vector<CodecSpec> codecs;        // audio, in our order of preference
  std::vector<CodecSpec> video_codecs;  // none: video m-lines are answered with port 0
  // We have a picture of our own to send (a camera or a test source): the first offer
  // carries the main video, and it is sendrecv. Without one, the peer's main video is
  // still received (answered recvonly).
  bool send_video = true;
  bool telephone_event = true;  // RFC 4733 events 0-16, at 8000 and (with Opus) 48000
  std::uint32_t ptime = 20;
  bool rtcp_mux = true;  // offer RFC 5761 multiplexing (and accept it when offered)
  // DTLS-SRTP (RFC 5763, 5764): our certificate's fingerprint as a=fingerprint writes it
  // ("sha-256 AB:CD:..."). Empty: offers of UDP/TLS/RTP/SAVP(F) are refused.
  std::string dtls_fingerprint;
  // Our offers use DTLS-SRTP (the callee is a Lanline node); and, when set, the
  // fingerprint its answer must carry: the one it announced (and we pinned).
  bool offer_dtls = false;
  std::string expected_peer_fingerprint;
  std::string session_name = "Lanline";

  // Opus, G722, PCMU, PCMA and telephone-event.
  static Capabilities defaults();
  // The audio codecs of `names` (audio_codec_named) in that order; unknown names land in
  // `unknown`.
  static Capabilities from_names(const std::vector<std::string>& names,
                                 std::vector<std::string>* unknown = nullptr,
                                 const OpusOptions& opus = {});
  const std::vector<CodecSpec>& codecs_of(StreamKind kind) const;
};

// The outcome of one exchange: every m-line of it, in order (a rejected one has no
// codecs), and the direction the peer declared for the call's main stream, seen from its
// side, with c=0.0.0.0 (RFC 2543 hold) folded in: how the UA tells it is held.
struct Agreement {
  std::vector<StreamDescription> streams;
  Direction remote_direction = Direction::kSendRecv;

  // The accepted main audio stream, nullptr when there is none.
  const StreamDescription* audio() const { return find_stream(streams, StreamKind::kAudio); }
  bool any_accepted() const;
};

// Why an offer cannot be answered: the SIP status and RFC 3261 20.43 warning code.
struct Rejection {
  int status = 488;  // 400 for SDP that does not parse
  int warning = 0;   // 302 transport, 304 media type, 305 media format; 0: none
  std::string reason;
};

struct Answer {
  std::string sdp;
  Agreement agreement;
};

struct OfferAnalysis;  // how an offer reads to us (offer_answer.cpp)

class Negotiator {
 public:
  Negotiator(Capabilities capabilities, std::uint64_t session_id);

  // Our transports, one per stream we offer or accept, in m-line order. The first one's
  // address is the session's c= and o= address.
  void set_local(std::vector<LocalTransport> local) { local_ = std::move(local); }
  void set_local(LocalTransport local) { local_ = {std::move(local)}; }
  const std::vector<LocalTransport>& local() const { return local_; }

  // Our offer, `direction` being what we want (sendonly to hold). It stays pending
  // until receive_answer() or rollback().
  std::string create_offer(Direction direction);
  bool offer_pending() const { return pending_.has_value(); }
  Result<Agreement> receive_answer(std::string_view text);
  void rollback() { pending_.reset(); }

  // What the next offer carries besides what it carries now: a stream of `kind` and
  // `content` (false when we have no codec of that kind), or no longer (port 0 in its
  // place, RFC 3264 8.2). An m-line once used keeps its place and its transport.
  bool add_stream(StreamKind kind, ContentRole content = ContentRole::kMain);
  bool remove_stream(StreamKind kind, ContentRole content = ContentRole::kMain);
  // Whether we send on the main video (Capabilities::send_video) and on the slides
  // stream (while we share our screen): its direction, in offers and answers, leaves out
  // sending otherwise. Audio always sends.
  void set_sending(ContentRole video_content, bool send);
  // How many transports our next offer needs (set_local()): one per stream it carries or
  // ever carried, as each stream keeps its transport, given by StreamDescription::transport.
  std::size_t offered_streams() const;

  // Whether `text` is an offer we can answer: nullopt if so.
  std::optional<Rejection> check_offer(std::string_view text) const;
  // What the transports set_local() needs before receive_offer() must be: how many of
  // the offer's streams our answer would accept (0 when it cannot be answered), whether
  // the offerer does ICE on them (RFC 8839: then so do we) and whether it offers
  // rtcp-mux (then one ICE component is enough).
  struct OfferedTransports {
    std::size_t accepted = 0;    // streams our answer takes
    std::size_t transports = 0;  // transports the answer needs (a stream keeps its own)
    bool ice = false;
    bool rtcp_mux = false;
    std::vector<std::string> ufrags;  // per transport, its stream's a=ice-ufrag ("": none)
  };
  OfferedTransports offered_transports(std::string_view text) const;
  // Our answer, `hold` when we hold the call (we then do not receive). In a session
  // already negotiated, an offer with every stream we had at port 0 is answered with no
  // codecs (the streams are off, RFC 3264 8.2).
  std::variant<Answer, Rejection> receive_offer(std::string_view text, bool hold);

  const std::string& session_version() const { return version_; }

 private:
  // One m-line of the session: its kind and role, whether we want it (an offer writes
  // port 0 for the others), and what was written for it last.
  struct Slot {
    StreamKind kind = StreamKind::kAudio;
    ContentRole content = ContentRole::kMain;
    bool wanted = true;
    Media media;
    int transport = -1;                  // index into local_, kept for the session; -1: none yet
    std::optional<CryptoLine> sdes;      // our SDES key for it (RFC 4568), kept for the session
    std::optional<DtlsParameters> dtls;  // as last agreed: our role stays for the session
  };

  std::vector<Slot> first_layout() const;
  int next_transport() const;  // one past the highest transport the layout uses
  int kept_transport(std::size_t mline, StreamKind kind) const;
  std::optional<Rejection> check_dtls_kept(const OfferAnalysis& analysis) const;
  // Appends to `layout` (built from the peer's offer) the streams we add that it lacks.
  void keep_our_additions(std::vector<Slot>& layout) const;
  // The transport of each m-line of `offer` (-1 where there is none): the one its slot
  // had, else a new one for a stream we take.
  std::vector<int> transports_of(const Session& offer, const OfferAnalysis& analysis) const;
  bool sends_on(StreamKind kind, ContentRole content) const;
  Session base_session() const;
  const LocalTransport* transport_for(std::size_t index) const;
  bool disables_all(const Session& offer) const;
  Answer disabled_answer(const Session& offer);
  std::string stamp(Session session);
  Media stream_media(const Slot& slot, const std::vector<CodecSpec>& codecs,
                     const std::vector<Rtpmap>& events, std::string proto, Direction direction,
                     bool mux, bool offer, const LocalTransport* transport) const;

  Capabilities capabilities_;
  std::vector<LocalTransport> local_;
  std::string session_id_;
  std::string version_ = "0";
  std::optional<Session> last_sent_;  // what we wrote last, its o= version blanked
  std::optional<Session> pending_;    // our offer awaiting its answer
  // The m-lines of the session so far, so that a new offer keeps their number and order
  // (RFC 3264 8): the ones we want carry our streams, the others stay at port 0.
  std::vector<Slot> layout_;
  bool sending_slides_ = false;  // we share our screen
  // The peer keyed the session with SDES (its last offer): our offers key every stream.
  bool sdes_ = false;
  // DTLS-SRTP runs in the session (agreed once): our offers keep to it.
  bool dtls_ = false;
};

// RFC 3264 6.1 and 8.4: the direction we answer an offer of `offered` with.
Direction answer_direction(Direction offered, bool hold);

// RFC 4796: the role an m-line's a=content gives it (the first value Lanline knows of a
// list; main when there is none).
ContentRole content_role(const Media& media);
std::string_view to_string(ContentRole role);

}  // namespace lanline::sdp
