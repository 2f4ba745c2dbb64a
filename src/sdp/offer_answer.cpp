#include "offer_answer.hpp"

#include <algorithm>

#include "ice_attributes.hpp"
#include "parser.hpp"
#include "printer.hpp"
#include "sdes.hpp"
#include "text.hpp"

namespace lanline::sdp {

Capabilities Capabilities::defaults() {
  return from_names(known_codec_names());
}

Capabilities Capabilities::from_names(const std::vector<std::string>& names,
                                      std::vector<std::string>* unknown, const OpusOptions& opus) {
  Capabilities caps;
  for (const auto& name : names) {
    auto codec = audio_codec_named(name, opus);
    if (!codec) {
      if (unknown) unknown->push_back(name);
      continue;
    }
    bool twice = false;
    for (const auto& known : caps.codecs)
      twice = twice || known.codec == codec->codec;
    if (!twice) caps.codecs.push_back(std::move(*codec));
  }
  return caps;
}

const std::vector<CodecSpec>& Capabilities::codecs_of(StreamKind kind) const {
  static const std::vector<CodecSpec> kNone;
  if (kind == StreamKind::kAudio) return codecs;
  if (kind == StreamKind::kVideo) return video_codecs;
  return kNone;
}

bool Agreement::any_accepted() const {
  for (const auto& s : streams) {
    if (s.accepted()) return true;
  }
  return false;
}

Direction answer_direction(Direction offered, bool hold) {
  switch (offered) {
    case Direction::kSendOnly:
      return hold ? Direction::kInactive : Direction::kRecvOnly;
    case Direction::kRecvOnly:
      return Direction::kSendOnly;
    case Direction::kInactive:
      return Direction::kInactive;
    case Direction::kSendRecv:
      return hold ? Direction::kSendOnly : Direction::kSendRecv;
  }
  return Direction::kSendRecv;
}

// `direction` without our sending: what a stream we have nothing to send on can be.
Direction without_send(Direction direction) {
  if (direction == Direction::kSendRecv) return Direction::kRecvOnly;
  if (direction == Direction::kSendOnly) return Direction::kInactive;
  return direction;
}

// The RFC 4585 feedback both lists name, in the order of `ours`.
std::vector<std::string> common_feedback(const std::vector<std::string>& ours,
                                         const std::vector<std::string>& theirs) {
  std::vector<std::string> both;
  for (const std::string& value : ours) {
    if (std::find(theirs.begin(), theirs.end(), value) != theirs.end()) both.push_back(value);
  }
  return both;
}

ContentRole content_role(const Media& media) {
  auto value = media.attributes.value("content");
  if (!value) return ContentRole::kMain;
  // RFC 4796 5: a comma-separated list; the first role Lanline tells apart counts.
  std::string_view rest = *value;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view role = text::trim(rest.substr(0, comma));
    if (text::iequals(role, "slides")) return ContentRole::kSlides;
    if (text::iequals(role, "main")) return ContentRole::kMain;
    if (text::iequals(role, "speaker")) return ContentRole::kSpeaker;
    if (text::iequals(role, "sl")) return ContentRole::kSignLanguage;
    if (text::iequals(role, "alt")) return ContentRole::kAlt;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return ContentRole::kMain;
}

std::string_view to_string(ContentRole role) {
  switch (role) {
    case ContentRole::kMain:
      return "main";
    case ContentRole::kSlides:
      return "slides";
    case ContentRole::kSpeaker:
      return "speaker";
    case ContentRole::kSignLanguage:
      return "sl";
    case ContentRole::kAlt:
      return "alt";
  }
  return "main";
}

namespace {

bool is_plain_rtp(const Media& m) {
  return m.proto == "RTP/AVP" || m.proto == "RTP/AVPF";
}

// RFC 3711 / 4568: SRTP with its keys in the SDP (DTLS-SRTP's UDP/TLS/RTP/SAVP is not
// taken yet).
bool is_sdes_srtp(const Media& m) {
  return m.proto == "RTP/SAVP" || m.proto == "RTP/SAVPF";
}

// RFC 5764 8: SRTP keyed by a DTLS handshake on the media path.
bool is_dtls_srtp(const Media& m) {
  return m.proto == "UDP/TLS/RTP/SAVP" || m.proto == "UDP/TLS/RTP/SAVPF";
}

// RFC 8122 5 a=fingerprint (media level over session level), SHA-256 only (what Lanline
// can check a certificate against), and RFC 4145 4 a=setup (absent: active).
std::optional<DtlsParameters> read_dtls(const Session& s, const Media& m) {
  auto value = m.attributes.value("fingerprint");
  if (!value) value = s.attributes.value("fingerprint");
  if (!value) return std::nullopt;
  const auto fields = text::words(*value);
  if (fields.size() != 2 || !text::iequals(fields[0], "sha-256")) return std::nullopt;
  std::string hex(fields[1]);
  if (hex.size() != 32 * 3 - 1) return std::nullopt;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    char& c = hex[i];
    if (i % 3 == 2) {
      if (c != ':') return std::nullopt;
      continue;
    }
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    if (!text::is_digit(c) && !(c >= 'A' && c <= 'F')) return std::nullopt;
  }
  DtlsParameters dtls{"sha-256", std::move(hex), DtlsSetup::kActive, false};
  auto setup = m.attributes.value("setup");
  if (!setup) setup = s.attributes.value("setup");
  if (!setup || text::iequals(*setup, "active")) {
    dtls.setup = DtlsSetup::kActive;
  } else if (text::iequals(*setup, "actpass")) {
    dtls.setup = DtlsSetup::kActpass;
  } else if (text::iequals(*setup, "passive")) {
    dtls.setup = DtlsSetup::kPassive;
  } else {
    return std::nullopt;  // holdconn: no connection wanted
  }
  return dtls;
}

// The hex of an a=fingerprint value ("sha-256 AB:..."), upper case, for comparing.
std::string fingerprint_hex(std::string_view value) {
  const auto fields = text::words(value);
  std::string hex(fields.empty() ? std::string_view() : fields.back());
  for (char& c : hex) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return hex;
}

// The first a=crypto line of `m` Lanline can run (RFC 4568 7.1.1: the offerer lists them
// in its order of preference).
std::optional<CryptoLine> usable_crypto(const Media& m) {
  for (std::string_view value : m.attributes.values("crypto")) {
    if (auto line = parse_crypto(value)) return line;
  }
  return std::nullopt;
}

StreamKind kind_of(const Media& m) {
  if (m.type == "audio") return StreamKind::kAudio;
  if (m.type == "video") return StreamKind::kVideo;
  return StreamKind::kOther;
}

std::string_view media_type(StreamKind kind) {
  switch (kind) {
    case StreamKind::kAudio:
      return "audio";
    case StreamKind::kVideo:
      return "video";
    case StreamKind::kOther:
      break;
  }
  return "application";
}

// RFC 3264 6: a stream we do not take is answered with port 0, formats as offered.
Media rejected_media(const Media& offered) {
  Media rejected;
  rejected.type = offered.type;
  rejected.proto = offered.proto;
  rejected.formats = offered.formats;
  if (rejected.formats.empty()) rejected.formats.push_back("0");
  return rejected;
}

// The direction a peer declared for `m`, with RFC 2543's c=0.0.0.0 hold folded in: a
// peer at the null address receives nothing.
Direction peer_direction(const Session& s, const Media& m) {
  Direction d = s.direction(m);
  const Connection* c = s.connection_for(m);
  if (c && c->is_null()) {
    if (d == Direction::kSendRecv) return Direction::kSendOnly;
    if (d == Direction::kRecvOnly) return Direction::kInactive;
  }
  return d;
}

// The peer's media address, ports and timing for `m`.
// Where `m` receives without ICE: c=/m=, and a=rtcp (RFC 3605) unless `mux`.
PlainTransport plain_remote(const Session& s, const Media& m, bool mux) {
  const Connection* c = s.connection_for(m);
  PlainTransport remote;
  remote.address = c ? c->address : std::string();
  remote.rtp_port = m.port;
  if (mux) {
    remote.rtcp_port = m.port;
  } else if (auto rtcp = m.rtcp()) {
    remote.rtcp_port = rtcp->port;
  } else {
    remote.rtcp_port = m.port == 65535 ? 0 : static_cast<std::uint16_t>(m.port + 1);
  }
  return remote;
}

void fill_remote(const Session& s, const Media& m, StreamDescription& stream, bool mux) {
  PlainTransport remote = plain_remote(s, m, mux);
  // RFC 8839: with the peer's ICE, media flows on the pair the checks select and c=/m=
  // is only its default candidate; without it, to c=/m=.
  if (auto ice = read_ice(s, m, remote)) {
    stream.remote = std::move(*ice);
  } else {
    stream.remote = remote;
  }
  stream.rtcp_mux = mux;
  if (auto ptime = m.ptime()) stream.ptime_ms = static_cast<int>(*ptime);
}

// The telephone-event to use with `first` (RFC 4733 2.1: its clock is the codec's);
// else one at 8000, which most phones offer whatever their codec.
const Rtpmap* pick_event(const std::vector<Rtpmap>& events, std::uint32_t clock) {
  for (const auto& e : events) {
    if (e.clock_rate == clock) return &e;
  }
  for (const auto& e : events) {
    if (e.clock_rate == 8000) return &e;
  }
  return events.empty() ? nullptr : &events.front();
}

}  // namespace

// One offered m-line as the answerer sees it.
struct OfferedStream {
  bool accept = false;
  StreamKind kind = StreamKind::kAudio;
  ContentRole content = ContentRole::kMain;
  std::vector<std::pair<Rtpmap, CodecSpec>> codecs;  // the offer's rtpmap, and ours
  std::vector<Rtpmap> events;                        // telephone-event, audio only
  std::optional<CryptoLine> crypto;                  // SDES: the offer's line we answer (RFC 4568)
  std::optional<DtlsParameters> dtls;  // DTLS-SRTP: the offerer's fingerprint and setup
};

struct OfferAnalysis {
  std::optional<Rejection> rejection;
  std::vector<OfferedStream> streams;  // one per m-line
  std::size_t accepted = 0;
  std::size_t main_index = 0;  // the stream whose direction tells hold: audio, else the first
};

namespace {

// The codecs of `m` we have, in the offerer's order, and its telephone-events.
void match_codecs(const Media& m, const Capabilities& caps, OfferedStream& out) {
  std::vector<Rtpmap> events;
  for (int pt : m.payload_types()) {
    auto map = m.rtpmap(pt);
    if (!map) continue;  // a dynamic type without rtpmap: we cannot know what it is
    if (out.kind == StreamKind::kAudio && is_telephone_event(*map)) {
      if (caps.telephone_event) events.push_back(*map);
      continue;
    }
    auto codec = codec_of(*map);
    if (!codec || !usable_format(*codec, m.fmtp(pt).value_or(""))) continue;
    for (const auto& ours : caps.codecs_of(out.kind)) {
      if (ours.codec != *codec) continue;
      bool twice = false;
      for (const auto& [seen, spec] : out.codecs)
        twice = twice || spec.codec == ours.codec;
      if (twice) break;
      CodecSpec taken = ours;
      // RFC 4588: retransmission when we do it and the offer has it for this codec, on
      // the offer's number.
      if (taken.rtx_payload_type >= 0)
        taken.rtx_payload_type = rtx_payload_type_for(m, pt, map->clock_rate);
      out.codecs.emplace_back(*map, std::move(taken));
      break;
    }
  }
  // Keep the events whose clock matches an agreed codec; else one at 8000.
  for (const auto& e : events) {
    for (const auto& [map, spec] : out.codecs) {
      if (e.clock_rate == spec.clock_rate()) {
        out.events.push_back(e);
        break;
      }
    }
  }
  if (out.events.empty()) {
    if (const Rtpmap* e = pick_event(events, 8000); e && e->clock_rate == 8000) {
      out.events.push_back(*e);
    }
  }
}

OfferAnalysis analyze(const Session& offer, const Capabilities& caps) {
  OfferAnalysis out;
  out.streams.resize(offer.media.size());
  bool saw_audio = false;
  bool saw_rtp_audio = false;
  bool main_is_audio = false;
  bool dtls_without_mux = false;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& m = offer.media[i];
    OfferedStream& stream = out.streams[i];
    stream.kind = kind_of(m);
    stream.content = content_role(m);
    if (stream.kind == StreamKind::kOther || m.port == 0) continue;
    if (stream.kind == StreamKind::kAudio) saw_audio = true;
    // SRTP offered with SDES needs a line we can run; RTP/AVP with a=crypto (baresip's
    // optional SRTP) is answered with a key too, and is plain RTP to a peer without one.
    if (is_dtls_srtp(m)) {
      // Taken with a certificate of ours, a fingerprint we can check, and rtcp-mux (one
      // handshake a stream; one for RTCP apart is not built).
      if (!m.rtcp_mux() && stream.kind == StreamKind::kAudio) dtls_without_mux = true;
      if (caps.dtls_fingerprint.empty() || !caps.rtcp_mux || !m.rtcp_mux()) continue;
      stream.dtls = read_dtls(offer, m);
      if (!stream.dtls) continue;
    } else {
      if (!is_plain_rtp(m) && !is_sdes_srtp(m)) continue;
      stream.crypto = usable_crypto(m);
      if (is_sdes_srtp(m) && !stream.crypto) continue;
    }
    if (stream.kind == StreamKind::kAudio) saw_rtp_audio = true;
    bool taken = false;  // one stream per kind and role
    for (std::size_t j = 0; j < i; ++j) {
      const OfferedStream& earlier = out.streams[j];
      taken = taken ||
              (earlier.accept && earlier.kind == stream.kind && earlier.content == stream.content);
    }
    if (taken || caps.codecs_of(stream.kind).empty()) continue;
    if (!offer.connection_for(m)) {
      // RFC 8866 5.7: c= at session level or in every media section; without it there is
      // nowhere to send.
      out.rejection = Rejection{
          400, 0,
          "the " + std::string(media_type(stream.kind)) + " stream has no connection address (c=)"};
      return out;
    }
    match_codecs(m, caps, stream);
    if (stream.codecs.empty()) continue;
    stream.accept = true;
    if (out.accepted == 0 || (!main_is_audio && stream.kind == StreamKind::kAudio)) {
      out.main_index = i;
      main_is_audio = stream.kind == StreamKind::kAudio;
    }
    ++out.accepted;
  }
  if (out.accepted == 0) {
    Rejection r;
    if (!saw_audio) {
      r.warning = 304;
      r.reason = "no audio stream offered";
    } else if (!saw_rtp_audio) {
      r.warning = 302;
      r.reason =
          "audio offered only over a secure profile Lanline cannot use (SRTP with SDES "
          "takes AES_CM_128_HMAC_SHA1_80/32 or AES_256_CM_HMAC_SHA1_80/32, one inline key "
          "without MKI; DTLS-SRTP takes a sha-256 a=fingerprint and a=rtcp-mux)";
      if (dtls_without_mux)
        r.reason =
            "audio offered over DTLS-SRTP without a=rtcp-mux, which Lanline needs "
            "(one DTLS handshake a stream; RFC 5764 4.1, RFC 5761)";
    } else {
      r.warning = 305;
      r.reason = "no common audio codec";
    }
    out.rejection = std::move(r);
  }
  return out;
}

// The codec our offer wrote with payload type `pt` in `ours`, and the table's name for
// it; nullopt when our offer has no such type. Telephone-event has no table entry.
struct OfferedFormat {
  Rtpmap map;
  std::optional<Codec> codec;
};
std::optional<OfferedFormat> find_offered(const Media& ours, const Rtpmap& theirs) {
  bool event = is_telephone_event(theirs);
  auto codec = event ? std::nullopt : codec_of(theirs);
  if (!event && !codec) return std::nullopt;
  for (int our_pt : ours.payload_types()) {
    auto our_map = ours.rtpmap(our_pt);
    if (!our_map) continue;
    bool same = event ? is_telephone_event(*our_map) && our_map->clock_rate == theirs.clock_rate
                      : codec_of(*our_map) == codec;
    if (same) return OfferedFormat{*our_map, codec};
  }
  return std::nullopt;
}

// One m-line of the peer's answer to ours: the agreed stream, or why it cannot be used.
Result<StreamDescription> answered_stream(const Session& offer, const Media& ours,
                                          const Session& answer, const Media& theirs,
                                          StreamDescription stream) {
  if (theirs.port == 0 || ours.port == 0) return stream;  // rejected (or not ours): no codecs
  if (!answer.connection_for(theirs)) return Error{"the answer has no connection address (c=)"};
  const std::string type(media_type(stream.kind));
  for (int pt : theirs.payload_types()) {
    auto map = theirs.rtpmap(pt);
    if (!map) return Error{"payload type " + std::to_string(pt) + " in the answer has no rtpmap"};
    if (is_rtx(*map)) continue;  // with the codec it resends, below
    // Find it in our offer, by name and rate (the number may differ: RFC 3264 6.1).
    auto offered = find_offered(ours, *map);
    if (!offered) {
      return Error{"the answer has " + map->encoding + "/" + std::to_string(map->clock_rate) +
                   " (payload type " + std::to_string(pt) + "), which was not offered"};
    }
    if (!offered->codec) continue;  // telephone-event, below
    if (!usable_format(*offered->codec, theirs.fmtp(pt).value_or(""))) continue;
    bool twice = false;
    for (const auto& c : stream.codecs)
      twice = twice || c.receive_pt == offered->map.payload_type;
    if (twice) continue;
    NegotiatedCodec codec{
        *offered->codec, theirs.fmtp(pt).value_or(""), pt, offered->map.payload_type,
        common_feedback(ours.rtcp_feedback(offered->map.payload_type), theirs.rtcp_feedback(pt))};
    // RFC 4588: retransmission only when both wrote an rtx format for the codec.
    const int their_rtx = rtx_payload_type_for(theirs, pt, map->clock_rate);
    const int our_rtx = rtx_payload_type_for(ours, codec.receive_pt, map->clock_rate);
    if (their_rtx >= 0 && our_rtx >= 0) {
      codec.rtx_send_pt = their_rtx;
      codec.rtx_receive_pt = our_rtx;
    }
    stream.codecs.push_back(std::move(codec));
  }
  if (stream.codecs.empty()) return Error{"the answer accepts " + type + " but names no codec"};
  if (stream.kind == StreamKind::kAudio) {
    std::vector<Rtpmap> their_events;
    for (int pt : theirs.payload_types()) {
      auto map = theirs.rtpmap(pt);
      if (map && is_telephone_event(*map)) their_events.push_back(*map);
    }
    if (const Rtpmap* e =
            pick_event(their_events, codec_info(stream.codecs.front().codec).clock_rate)) {
      stream.telephone_event_send_pt = e->payload_type;
      for (int our_pt : ours.payload_types()) {
        auto our_map = ours.rtpmap(our_pt);
        if (our_map && is_telephone_event(*our_map) && our_map->clock_rate == e->clock_rate) {
          stream.telephone_event_receive_pt = our_pt;
        }
      }
    }
  }
  // RFC 5763 5: DTLS-SRTP offered is answered in kind, with the peer's fingerprint and
  // its role (active or passive; actpass is for offers).
  if (is_dtls_srtp(ours)) {
    if (!is_dtls_srtp(theirs)) {
      return Error{"the answer's " + type + " is " + theirs.proto + ", not the DTLS-SRTP offered"};
    }
    auto peer = read_dtls(answer, theirs);
    if (!peer) return Error{"the answer's " + type + " has no sha-256 a=fingerprint or a=setup"};
    if (peer->setup == DtlsSetup::kActpass) {
      return Error{"the answer's " + type + " says a=setup:actpass (RFC 5763 5: an answer picks)"};
    }
    peer->client = peer->setup == DtlsSetup::kPassive;
    stream.dtls = std::move(*peer);
  }
  // RFC 4568 7.1.3: our offer keyed the stream; the answer takes one of its lines (the
  // same tag and suite) with the peer's key.
  if (auto our_line = usable_crypto(ours)) {
    std::optional<CryptoLine> their_line;
    for (std::string_view value : theirs.attributes.values("crypto")) {
      auto line = parse_crypto(value);
      if (line && line->tag == our_line->tag && line->suite == our_line->suite) their_line = line;
    }
    if (!their_line)
      return Error{"the answer's " + type + " does not key the SRTP offered (a=crypto)"};
    stream.srtp = SrtpKeys{our_line->suite, our_line->key, their_line->key};
  }
  fill_remote(answer, theirs, stream, ours.rtcp_mux() && theirs.rtcp_mux());
  Direction mine = offer.direction(ours);
  Direction peer = peer_direction(answer, theirs);
  stream.send = sends(mine) && receives(peer);
  stream.receive = receives(mine) && sends(peer);
  return stream;
}

}  // namespace

Negotiator::Negotiator(Capabilities capabilities, std::uint64_t session_id)
    : capabilities_(std::move(capabilities)), session_id_(std::to_string(session_id)) {}

Session Negotiator::base_session() const {
  Session s;
  std::string address = local_.empty() ? std::string() : local_.front().address;
  bool v6 = address.find(':') != std::string::npos;
  s.origin.session_id = session_id_;
  s.origin.address_type = v6 ? "IP6" : "IP4";
  s.origin.address = address;
  s.name = capabilities_.session_name;
  Connection c;
  c.address_type = s.origin.address_type;
  c.address = address;
  s.connection = c;
  s.timings.push_back(Timing{});
  return s;
}

// Transport `index` of set_local(); nullptr when none was given.
const LocalTransport* Negotiator::transport_for(std::size_t index) const {
  return index < local_.size() ? &local_[index] : nullptr;
}

// RFC 3264 8: the version goes up only when the description changes.
std::string Negotiator::stamp(Session session) {
  session.origin.session_version.clear();
  if (last_sent_ && *last_sent_ != session) {
    auto n = text::to_uint(version_);
    version_ = std::to_string(n ? *n + 1 : 1);
  }
  last_sent_ = session;
  session.origin.session_version = version_;
  return print(session);
}

Media Negotiator::stream_media(const Slot& slot, const std::vector<CodecSpec>& codecs,
                               const std::vector<Rtpmap>& events, std::string proto,
                               Direction direction, bool mux, bool offer,
                               const LocalTransport* transport) const {
  Media m;
  m.type = std::string(media_type(slot.kind));
  m.port = transport ? transport->rtp_port : 0;
  m.proto = std::move(proto);
  // The session's c= is the first stream's address; a stream whose default candidate is
  // elsewhere (another stream's nominated pair moved) says so on its own c= (RFC 8866
  // 5.7), or the peer would take it for an ICE mismatch (RFC 8839 4.2).
  if (transport && !transport->address.empty() && !local_.empty() &&
      transport->address != local_.front().address) {
    Connection c;
    c.address_type = transport->address.find(':') != std::string::npos ? "IP6" : "IP4";
    c.address = transport->address;
    m.connections.push_back(std::move(c));
  }
  for (const auto& c : codecs)
    m.formats.push_back(std::to_string(c.payload_type));
  for (const auto& c : codecs) {
    if (c.rtx_payload_type >= 0) m.formats.push_back(std::to_string(c.rtx_payload_type));
  }
  for (const auto& e : events)
    m.formats.push_back(std::to_string(e.payload_type));
  for (const auto& c : codecs) {
    std::string map = std::to_string(c.payload_type) + ' ' + std::string(c.encoding()) + '/' +
                      std::to_string(c.clock_rate());
    if (c.channels() != 1) map += '/' + std::to_string(c.channels());
    m.attributes.add("rtpmap", map);
    if (!c.fmtp.empty()) m.attributes.add("fmtp", std::to_string(c.payload_type) + ' ' + c.fmtp);
    for (const auto& feedback : c.feedback)
      m.attributes.add("rtcp-fb", std::to_string(c.payload_type) + ' ' + feedback);
  }
  for (const auto& c : codecs) {
    if (c.rtx_payload_type < 0) continue;
    const std::string rtx = std::to_string(c.rtx_payload_type);
    m.attributes.add("rtpmap", rtx + " rtx/" + std::to_string(c.clock_rate()));
    m.attributes.add("fmtp", rtx + " apt=" + std::to_string(c.payload_type));
  }
  for (const auto& e : events) {
    m.attributes.add("rtpmap", std::to_string(e.payload_type) + " telephone-event/" +
                                   std::to_string(e.clock_rate));
    m.attributes.add("fmtp", std::to_string(e.payload_type) + " 0-16");
  }
  if (slot.kind == StreamKind::kAudio)
    m.attributes.add("ptime", std::to_string(capabilities_.ptime));
  // RFC 3605: the RTCP port. An offer names it even with rtcp-mux, for a peer that does
  // not multiplex (RFC 5761 5.1.1); an answer that agrees to multiplex needs none.
  if (transport && transport->rtcp_port != 0 && (offer || !mux)) {
    m.attributes.add("rtcp", std::to_string(transport->rtcp_port));
  }
  if (mux) m.attributes.add("rtcp-mux");
  if (transport && transport->ice) write_ice(*transport->ice, m.attributes);
  if (slot.content != ContentRole::kMain) {
    m.attributes.add("content", std::string(to_string(slot.content)));  // RFC 4796
  }
  m.attributes.set_direction(direction);
  return m;
}

bool Negotiator::add_stream(StreamKind kind, ContentRole content) {
  if (capabilities_.codecs_of(kind).empty()) return false;
  if (layout_.empty()) layout_ = first_layout();
  for (Slot& slot : layout_) {
    if (slot.kind == kind && slot.content == content) {
      slot.wanted = true;
      return true;
    }
  }
  // RFC 3264 8.1: a new stream goes after the existing m-lines.
  layout_.push_back(Slot{kind, content, true, {}, -1, {}, {}});
  return true;
}

bool Negotiator::remove_stream(StreamKind kind, ContentRole content) {
  for (Slot& slot : layout_) {
    if (slot.kind == kind && slot.content == content && slot.wanted) {
      slot.wanted = false;
      return true;
    }
  }
  return false;
}

// A first offer carries the main audio, and the main video when we have a video codec
// and a picture to send.
std::vector<Negotiator::Slot> Negotiator::first_layout() const {
  std::vector<Slot> layout{Slot{StreamKind::kAudio, ContentRole::kMain, true, {}, -1, {}, {}}};
  if (!capabilities_.video_codecs.empty() && capabilities_.send_video)
    layout.push_back(Slot{StreamKind::kVideo, ContentRole::kMain, true, {}, -1, {}, {}});
  return layout;
}

int Negotiator::next_transport() const {
  int next = 0;
  for (const Slot& slot : layout_)
    next = std::max(next, slot.transport + 1);
  return next;
}

std::size_t Negotiator::offered_streams() const {
  if (layout_.empty()) return capabilities_.codecs.empty() ? 0 : first_layout().size();
  std::size_t n = static_cast<std::size_t>(next_transport());
  for (const Slot& slot : layout_) {
    if (slot.wanted && slot.transport < 0 && !capabilities_.codecs_of(slot.kind).empty()) ++n;
  }
  return n;
}

void Negotiator::set_sending(ContentRole video_content, bool send) {
  if (video_content == ContentRole::kSlides) {
    sending_slides_ = send;
  } else {
    capabilities_.send_video = send;
  }
}

bool Negotiator::sends_on(StreamKind kind, ContentRole content) const {
  if (kind != StreamKind::kVideo) return true;
  return content == ContentRole::kSlides ? sending_slides_ : capabilities_.send_video;
}

// RFC 3264 8: the same m-line is the same stream, on the transport it had (kept while
// the stream is off, so that it comes back on it); -1 when it had none.
int Negotiator::kept_transport(std::size_t mline, StreamKind kind) const {
  return mline < layout_.size() && layout_[mline].kind == kind ? layout_[mline].transport : -1;
}

std::vector<int> Negotiator::transports_of(const Session& offer,
                                           const OfferAnalysis& analysis) const {
  std::vector<int> ids(offer.media.size(), -1);
  int next = next_transport();
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    ids[i] = kept_transport(i, analysis.streams[i].kind);
    if (ids[i] < 0 && analysis.streams[i].accept) ids[i] = next++;
  }
  return ids;
}

std::string Negotiator::create_offer(Direction direction) {
  if (layout_.empty()) layout_ = first_layout();
  Session s = base_session();
  int next = next_transport();
  for (Slot& slot : layout_) {
    const auto& codecs = capabilities_.codecs_of(slot.kind);
    if (!slot.wanted || codecs.empty()) {
      // RFC 3264 8.2: a stream removed (or one the peer offered that we never took) keeps
      // its place with port 0.
      if (slot.media.type.empty()) slot.media.type = std::string(media_type(slot.kind));
      if (slot.media.formats.empty()) slot.media.formats.push_back("0");
      slot.media.port = 0;
      s.media.push_back(rejected_media(slot.media));
      continue;
    }
    std::vector<Rtpmap> events;
    if (slot.kind == StreamKind::kAudio && capabilities_.telephone_event) {
      for (const auto& c : codecs) {
        if (c.clock_rate() == 48000 && events.empty()) {
          events.push_back(Rtpmap{kTelephoneEvent48000, "telephone-event", 48000, 1});
        }
      }
      events.push_back(Rtpmap{kTelephoneEvent8000, "telephone-event", 8000, 1});
    }
    if (slot.transport < 0) slot.transport = next++;
    const Direction ours = sends_on(slot.kind, slot.content) ? direction : without_send(direction);
    // In a session the peer keyed with SDES, each offer keys every stream again (RFC 4568
    // 7.1.4), ours with the key it had.
    // DTLS-SRTP to a Lanline node, or in a session that runs it: our fingerprint, and
    // actpass until a role is agreed, then that role (RFC 5763 5).
    const bool dtls =
        (capabilities_.offer_dtls || dtls_) && !capabilities_.dtls_fingerprint.empty();
    if (!dtls && sdes_ && !slot.sdes) {
      slot.sdes = CryptoLine{1, SrtpSuite::kAes128Sha1_80, random_key(SrtpSuite::kAes128Sha1_80)};
    }
    const bool keyed = !dtls && sdes_ && slot.sdes && !slot.sdes->key.empty();
    const char* proto = dtls ? "UDP/TLS/RTP/SAVP" : keyed ? "RTP/SAVP" : "RTP/AVP";
    slot.media = stream_media(slot, codecs, events, proto, ours, capabilities_.rtcp_mux, true,
                              transport_for(static_cast<std::size_t>(slot.transport)));
    if (keyed) slot.media.attributes.add("crypto", format_crypto(*slot.sdes));
    if (dtls) {
      slot.media.attributes.add("fingerprint", capabilities_.dtls_fingerprint);
      slot.media.attributes.add("setup", !slot.dtls          ? "actpass"
                                         : slot.dtls->client ? "active"
                                                             : "passive");
    }
    s.media.push_back(slot.media);
  }
  pending_ = s;
  return stamp(std::move(s));
}

Result<Agreement> Negotiator::receive_answer(std::string_view text) {
  if (!pending_) return Error{"an answer without an offer"};
  Session offer = std::move(*pending_);
  pending_.reset();
  auto parsed = parse(text);
  if (!parsed) return Error{"the answer is not valid SDP: " + parsed.error().reason};
  const Session& answer = *parsed;
  // RFC 3264 6: one m-line in the answer for each in the offer, in the same order.
  if (answer.media.size() != offer.media.size()) {
    return Error{"the answer has " + std::to_string(answer.media.size()) +
                 " media descriptions for the offer's " + std::to_string(offer.media.size())};
  }
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    if (answer.media[i].type != offer.media[i].type) {
      return Error{"the answer's m-line " + std::to_string(i + 1) + " is " + answer.media[i].type +
                   " where the offer's is " + offer.media[i].type};
    }
  }
  Agreement agreement;
  bool main_found = false;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    StreamDescription stream;
    stream.mline = i;
    stream.kind = layout_[i].kind;
    stream.content = layout_[i].content;
    stream.transport = static_cast<std::size_t>(std::max(layout_[i].transport, 0));
    auto agreed = answered_stream(offer, offer.media[i], answer, answer.media[i], stream);
    if (!agreed) return agreed.error();
    if (agreed->dtls && !capabilities_.expected_peer_fingerprint.empty() &&
        agreed->dtls->fingerprint != fingerprint_hex(capabilities_.expected_peer_fingerprint)) {
      return Error{"the answer's certificate fingerprint " + agreed->dtls->fingerprint +
                   " is not the one the peer announced (" +
                   fingerprint_hex(capabilities_.expected_peer_fingerprint) +
                   "): someone between us answered"};
    }
    if (agreed->accepted() && !main_found) {
      agreement.remote_direction = peer_direction(answer, answer.media[i]);
      main_found = agreed->kind == StreamKind::kAudio;
    }
    if (agreed->dtls) {
      layout_[i].dtls = agreed->dtls;
      dtls_ = true;
    }
    agreement.streams.push_back(std::move(agreed).value());
  }
  return agreement;
}

// RFC 3264 8.2: in a session already negotiated, a new offer may turn every stream we
// had off with port 0 at its place; that is answered (port 0 too), not refused.
bool Negotiator::disables_all(const Session& offer) const {
  if (layout_.empty() || offer.media.size() < layout_.size()) return false;
  bool had_one = false;
  for (std::size_t i = 0; i < layout_.size(); ++i) {
    if (!layout_[i].wanted || layout_[i].media.port == 0) continue;
    had_one = true;
    if (offer.media[i].port != 0 || kind_of(offer.media[i]) != layout_[i].kind) return false;
  }
  return had_one;
}

Answer Negotiator::disabled_answer(const Session& offer) {
  pending_.reset();
  std::vector<Slot> kept;
  Session s = base_session();
  Answer answer;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    Slot slot;
    slot.kind = kind_of(offer.media[i]);
    slot.content = content_role(offer.media[i]);
    // Still ours: a later offer may turn it on again (RFC 3264 8.2) on the same transport.
    slot.wanted = i < layout_.size() && layout_[i].wanted;
    slot.transport = kept_transport(i, slot.kind);
    slot.media = rejected_media(offer.media[i]);
    s.media.push_back(slot.media);
    kept.push_back(std::move(slot));
    StreamDescription stream;
    stream.mline = i;
    stream.kind = kept.back().kind;
    stream.content = kept.back().content;
    stream.send = false;
    stream.receive = false;
    answer.agreement.streams.push_back(std::move(stream));
  }
  layout_ = std::move(kept);
  answer.agreement.remote_direction = Direction::kInactive;
  answer.sdp = stamp(std::move(s));
  return answer;
}

std::optional<Rejection> Negotiator::check_offer(std::string_view text) const {
  auto parsed = parse(text);
  if (!parsed) return Rejection{400, 0, "the offer is not valid SDP: " + parsed.error().reason};
  return analyze(*parsed, capabilities_).rejection;
}

Negotiator::OfferedTransports Negotiator::offered_transports(std::string_view text) const {
  OfferedTransports needs;
  auto parsed = parse(text);
  if (!parsed) return needs;
  OfferAnalysis analysis = analyze(*parsed, capabilities_);
  if (analysis.rejection) return needs;
  needs.accepted = analysis.accepted;
  const std::vector<int> ids = transports_of(*parsed, analysis);
  needs.transports = static_cast<std::size_t>(next_transport());
  for (int id : ids)
    needs.transports = std::max(needs.transports, static_cast<std::size_t>(id + 1));
  needs.ufrags.resize(needs.transports);
  // The streams we take decide; every one of them must do ICE for us to (a peer offering
  // ICE on some m-lines only is not one libnice's single agent per stream would meet).
  bool all_ice = true;
  bool all_mux = true;
  for (std::size_t i = 0; i < parsed->media.size(); ++i) {
    if (!analysis.streams[i].accept) continue;
    const Media& m = parsed->media[i];
    const bool mux = capabilities_.rtcp_mux && m.rtcp_mux();
    auto ice = read_ice(*parsed, m, plain_remote(*parsed, m, mux));
    if (ids[i] >= 0) needs.ufrags[static_cast<std::size_t>(ids[i])] = ice ? ice->ufrag : "";
    all_ice = all_ice && ice.has_value();
    all_mux = all_mux && mux;
  }
  needs.ice = needs.accepted > 0 && all_ice;
  needs.rtcp_mux = needs.accepted > 0 && all_mux;
  return needs;
}

// A session that runs DTLS-SRTP stays on it, and a call placed to a Lanline peer stays
// with the certificate it announced: a re-offer that would take a stream without DTLS, or
// with another fingerprint, is refused (488) and the session stays as it was.
std::optional<Rejection> Negotiator::check_dtls_kept(const OfferAnalysis& analysis) const {
  const std::string expected = fingerprint_hex(capabilities_.expected_peer_fingerprint);
  if (!dtls_ && expected.empty()) return std::nullopt;
  for (const OfferedStream& stream : analysis.streams) {
    if (!stream.accept) continue;
    if (!stream.dtls) {
      return Rejection{488, 302,
                       "the call runs DTLS-SRTP, and the offer takes a stream without it"};
    }
    if (!expected.empty() && stream.dtls->fingerprint != expected) {
      return Rejection{488, 302,
                       "the offer's certificate fingerprint " + stream.dtls->fingerprint +
                           " is not the one the peer announced (" + expected + ")"};
    }
  }
  return std::nullopt;
}

// A stream we add waits past the m-lines agreed until the peer answers an offer with
// it. The peer's offer in between (after a glare, RFC 3261 14.1) knows nothing of it:
// it stays ours to offer, after the peer's m-lines, on the transport made for it unless
// the peer's offer now puts one of its own streams there.
void Negotiator::keep_our_additions(std::vector<Slot>& layout) const {
  auto taken = [&layout](const Slot& ours) {
    return std::any_of(layout.begin(), layout.end(), [&ours](const Slot& slot) {
      return slot.kind == ours.kind && slot.content == ours.content;
    });
  };
  auto transport_used = [&layout](int transport) {
    return std::any_of(layout.begin(), layout.end(),
                       [transport](const Slot& slot) { return slot.transport == transport; });
  };
  for (std::size_t i = layout.size(); i < layout_.size(); ++i) {
    const Slot& ours = layout_[i];
    if (!ours.wanted || taken(ours)) continue;
    Slot kept{ours.kind, ours.content, true, {}, ours.transport, ours.sdes, ours.dtls};
    if (transport_used(kept.transport)) kept.transport = -1;
    layout.push_back(std::move(kept));
  }
}

std::variant<Answer, Rejection> Negotiator::receive_offer(std::string_view text, bool hold) {
  auto parsed = parse(text);
  if (!parsed) return Rejection{400, 0, "the offer is not valid SDP: " + parsed.error().reason};
  const Session& offer = *parsed;
  OfferAnalysis analysis = analyze(offer, capabilities_);
  if (analysis.rejection && disables_all(offer)) return disabled_answer(offer);
  if (analysis.rejection) return *analysis.rejection;
  if (auto refused = check_dtls_kept(analysis)) return *refused;
  pending_.reset();  // an offer from the peer replaces none of ours: glare is 491 above us

  Session s = base_session();
  Answer answer;
  std::vector<Slot> layout;
  bool keyed = false;       // a stream answered with SDES
  bool dtls_keyed = false;  // and with DTLS-SRTP
  const std::vector<int> ids = transports_of(offer, analysis);
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& theirs = offer.media[i];
    const OfferedStream& offered = analysis.streams[i];
    StreamDescription stream;
    stream.mline = i;
    stream.kind = offered.kind;
    stream.content = offered.content;
    // A stream we would take but have no transport for (a re-offer that adds one before
    // the media side made it one) is refused like one we cannot take (RFC 3264 6).
    const LocalTransport* transport =
        ids[i] >= 0 ? transport_for(static_cast<std::size_t>(ids[i])) : nullptr;
    // (A transport without a port is one the media side could not make.)
    // SDES: our key for it, the one it had while the suite stays (RFC 4568 7.1.4).
    std::optional<CryptoLine> our_line;
    if (offered.crypto) {
      our_line = CryptoLine{offered.crypto->tag, offered.crypto->suite, {}};
      if (i < layout_.size() && layout_[i].sdes && layout_[i].sdes->suite == our_line->suite) {
        our_line->key = layout_[i].sdes->key;
      } else {
        our_line->key = random_key(our_line->suite);
      }
    }
    const bool carried_there = offered.accept && transport != nullptr && transport->rtp_port != 0 &&
                               (!our_line || !our_line->key.empty());
    Slot slot{offered.kind, offered.content, carried_there, {}, ids[i], {}, {}};
    if (!carried_there) {
      slot.media = rejected_media(theirs);
      stream.send = false;
      stream.receive = false;
    } else {
      std::vector<CodecSpec> codecs;
      for (const auto& [map, spec] : offered.codecs) {
        CodecSpec c = spec;
        c.payload_type = map.payload_type;  // RFC 3264 6.1: the offer's number for the codec
        // RFC 4585 4.2: the answer keeps only the feedback the offer named.
        c.feedback = common_feedback(spec.feedback, theirs.rtcp_feedback(map.payload_type));
        stream.codecs.push_back(NegotiatedCodec{
            spec.codec, theirs.fmtp(map.payload_type).value_or(""), map.payload_type,
            map.payload_type, c.feedback, c.rtx_payload_type, c.rtx_payload_type});
        codecs.push_back(std::move(c));
      }
      if (const Rtpmap* e =
              pick_event(offered.events, codec_info(stream.codecs.front().codec).clock_rate)) {
        stream.telephone_event_send_pt = e->payload_type;
        stream.telephone_event_receive_pt = e->payload_type;
      }
      bool mux = capabilities_.rtcp_mux && theirs.rtcp_mux();
      Direction direction = answer_direction(peer_direction(offer, theirs), hold);
      if (!sends_on(slot.kind, slot.content)) direction = without_send(direction);
      fill_remote(offer, theirs, stream, mux);
      stream.send = sends(direction);
      stream.receive = receives(direction);
      stream.transport = static_cast<std::size_t>(ids[i]);
      slot.media = stream_media(slot, codecs, offered.events, theirs.proto, direction, mux, false,
                                transport);
      if (offered.dtls) {
        // We open the handshake unless the offerer does (active); a role agreed before
        // stays with the same peer certificate.
        DtlsParameters dtls = *offered.dtls;
        const bool same_peer = i < layout_.size() && layout_[i].dtls &&
                               layout_[i].dtls->fingerprint == dtls.fingerprint;
        dtls.client = same_peer ? layout_[i].dtls->client : dtls.setup != DtlsSetup::kActive;
        if (dtls.setup == DtlsSetup::kActive) dtls.client = false;
        if (dtls.setup == DtlsSetup::kPassive) dtls.client = true;
        slot.media.attributes.add("fingerprint", capabilities_.dtls_fingerprint);
        slot.media.attributes.add("setup", dtls.client ? "active" : "passive");
        stream.dtls = dtls;
        slot.dtls = std::move(dtls);
        dtls_keyed = true;
      }
      if (our_line) {
        slot.media.attributes.add("crypto", format_crypto(*our_line));
        stream.srtp = SrtpKeys{our_line->suite, our_line->key, offered.crypto->key};
        keyed = true;
      }
      slot.sdes = std::move(our_line);
    }
    s.media.push_back(slot.media);
    layout.push_back(std::move(slot));
    answer.agreement.streams.push_back(std::move(stream));
  }
  keep_our_additions(layout);
  layout_ = std::move(layout);
  sdes_ = keyed;
  dtls_ = dtls_keyed;
  answer.agreement.remote_direction = peer_direction(offer, offer.media[analysis.main_index]);
  answer.sdp = stamp(std::move(s));
  return answer;
}

}  // namespace lanline::sdp
