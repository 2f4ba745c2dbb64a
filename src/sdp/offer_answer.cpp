#include "offer_answer.hpp"

#include "parser.hpp"
#include "printer.hpp"
#include "text.hpp"

namespace lanline::sdp {

Capabilities Capabilities::defaults() {
  return from_names(known_codec_names());
}

Capabilities Capabilities::from_names(const std::vector<std::string>& names,
                                      std::vector<std::string>* unknown, const OpusOptions& opus) {
  Capabilities caps;
  for (const auto& name : names) {
    auto codec = codec_named(name, opus);
    if (!codec) {
      if (unknown) unknown->push_back(name);
      continue;
    }
    bool twice = false;
    for (const auto& known : caps.codecs)
      twice = twice || known.encoding == codec->encoding;
    if (!twice) caps.codecs.push_back(std::move(*codec));
  }
  return caps;
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

namespace {

bool is_plain_rtp(const Media& m) {
  // No SRTP yet (DTLS-SRTP comes with ICE): plain RTP profiles only.
  return m.proto == "RTP/AVP" || m.proto == "RTP/AVPF";
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
void fill_remote(const Session& s, const Media& m, AudioAgreement& a, bool mux) {
  const Connection* c = s.connection_for(m);
  a.remote_address = c ? c->address : std::string();
  a.remote_rtp_port = m.port;
  a.rtcp_mux = mux;
  if (mux) {
    a.remote_rtcp_port = m.port;
  } else if (auto rtcp = m.rtcp()) {
    a.remote_rtcp_port = rtcp->port;
  } else {
    a.remote_rtcp_port = m.port == 65535 ? 0 : static_cast<std::uint16_t>(m.port + 1);
  }
  a.remote_direction = peer_direction(s, m);
  if (auto ptime = m.ptime()) a.ptime = *ptime;
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

struct OfferAnalysis {
  std::optional<Rejection> rejection;
  std::size_t audio_index = 0;
  bool has_audio = false;
  std::vector<std::pair<Rtpmap, CodecSpec>> codecs;  // the offer's rtpmap, and ours
  std::vector<Rtpmap> events;
};

OfferAnalysis analyze(const Session& offer, const Capabilities& caps) {
  OfferAnalysis out;
  bool saw_audio = false;
  bool saw_rtp_audio = false;
  for (std::size_t i = 0; i < offer.media.size() && !out.has_audio; ++i) {
    const Media& m = offer.media[i];
    if (m.type != "audio" || m.port == 0) continue;
    saw_audio = true;
    if (!is_plain_rtp(m)) continue;
    saw_rtp_audio = true;
    if (!offer.connection_for(m)) {
      // RFC 8866 5.7: c= at session level or in every media section; without it there is
      // nowhere to send.
      out.rejection = Rejection{400, 0, "the audio stream has no connection address (c=)"};
      return out;
    }
    std::vector<std::pair<Rtpmap, CodecSpec>> codecs;
    std::vector<Rtpmap> events;
    for (int pt : m.payload_types()) {
      auto map = m.rtpmap(pt);
      if (!map) continue;  // a dynamic type without rtpmap: we cannot know what it is
      if (is_telephone_event(*map)) {
        if (caps.telephone_event) events.push_back(*map);
        continue;
      }
      for (const auto& ours : caps.codecs) {
        if (!same_codec(*map, ours)) continue;
        bool twice = false;
        for (const auto& [seen, spec] : codecs)
          twice = twice || spec.encoding == ours.encoding;
        if (!twice) codecs.emplace_back(*map, ours);
        break;
      }
    }
    if (codecs.empty()) continue;
    // Keep the events whose clock matches an agreed codec; else one at 8000.
    std::vector<Rtpmap> kept;
    for (const auto& e : events) {
      for (const auto& [map, spec] : codecs) {
        if (e.clock_rate == spec.clock_rate) {
          kept.push_back(e);
          break;
        }
      }
    }
    if (kept.empty()) {
      if (const Rtpmap* e = pick_event(events, 8000); e && e->clock_rate == 8000) {
        kept.push_back(*e);
      }
    }
    out.has_audio = true;
    out.audio_index = i;
    out.codecs = std::move(codecs);
    out.events = std::move(kept);
  }
  if (!out.has_audio) {
    Rejection r;
    if (!saw_audio) {
      r.warning = 304;
      r.reason = "no audio stream offered";
    } else if (!saw_rtp_audio) {
      r.warning = 302;
      r.reason = "audio offered only over a secure profile Lanline cannot use yet";
    } else {
      r.warning = 305;
      r.reason = "no common audio codec";
    }
    out.rejection = std::move(r);
  }
  return out;
}

}  // namespace

Negotiator::Negotiator(Capabilities capabilities, std::uint64_t session_id)
    : capabilities_(std::move(capabilities)), session_id_(std::to_string(session_id)) {}

Session Negotiator::base_session() const {
  Session s;
  bool v6 = local_.address.find(':') != std::string::npos;
  s.origin.session_id = session_id_;
  s.origin.address_type = v6 ? "IP6" : "IP4";
  s.origin.address = local_.address;
  s.name = capabilities_.session_name;
  Connection c;
  c.address_type = s.origin.address_type;
  c.address = local_.address;
  s.connection = c;
  s.timings.push_back(Timing{});
  return s;
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

Media Negotiator::audio_media(const std::vector<CodecSpec>& codecs,
                              const std::vector<Rtpmap>& events, std::string proto,
                              Direction direction, bool mux, bool offer) const {
  Media m;
  m.type = "audio";
  m.port = local_.rtp_port;
  m.proto = std::move(proto);
  for (const auto& c : codecs)
    m.formats.push_back(std::to_string(c.payload_type));
  for (const auto& e : events)
    m.formats.push_back(std::to_string(e.payload_type));
  for (const auto& c : codecs) {
    std::string map =
        std::to_string(c.payload_type) + ' ' + c.encoding + '/' + std::to_string(c.clock_rate);
    if (c.channels != 1) map += '/' + std::to_string(c.channels);
    m.attributes.add("rtpmap", map);
    if (!c.fmtp.empty()) m.attributes.add("fmtp", std::to_string(c.payload_type) + ' ' + c.fmtp);
  }
  for (const auto& e : events) {
    m.attributes.add("rtpmap", std::to_string(e.payload_type) + " telephone-event/" +
                                   std::to_string(e.clock_rate));
    m.attributes.add("fmtp", std::to_string(e.payload_type) + " 0-16");
  }
  m.attributes.add("ptime", std::to_string(capabilities_.ptime));
  // RFC 3605: the RTCP port. An offer names it even with rtcp-mux, for a peer that does
  // not multiplex (RFC 5761 5.1.1); an answer that agrees to multiplex needs none.
  if (local_.rtcp_port != 0 && (offer || !mux)) {
    m.attributes.add("rtcp", std::to_string(local_.rtcp_port));
  }
  if (mux) m.attributes.add("rtcp-mux");
  m.attributes.set_direction(direction);
  return m;
}

std::string Negotiator::create_offer(Direction direction) {
  std::vector<Rtpmap> events;
  if (capabilities_.telephone_event) {
    for (const auto& c : capabilities_.codecs) {
      if (c.clock_rate == 48000 && events.empty()) {
        events.push_back(Rtpmap{kTelephoneEvent48000, "telephone-event", 48000, 1});
      }
    }
    events.push_back(Rtpmap{kTelephoneEvent8000, "telephone-event", 8000, 1});
  }
  Session s = base_session();
  Media audio =
      audio_media(capabilities_.codecs, events, "RTP/AVP", direction, capabilities_.rtcp_mux, true);
  if (layout_.empty()) {
    layout_.push_back(audio);
    audio_index_ = 0;
  }
  s.media = layout_;
  s.media[audio_index_] = std::move(audio);
  pending_ = s;
  return stamp(std::move(s));
}

Result<AudioAgreement> Negotiator::receive_answer(std::string_view text) {
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
  const Media& ours = offer.media[audio_index_];
  const Media& theirs = answer.media[audio_index_];
  AudioAgreement a;
  layout_ = offer.media;
  if (theirs.port == 0) return a;  // the audio stream is rejected: no codecs
  if (!answer.connection_for(theirs)) return Error{"the answer has no connection address (c=)"};
  for (int pt : theirs.payload_types()) {
    auto map = theirs.rtpmap(pt);
    if (!map) return Error{"payload type " + std::to_string(pt) + " in the answer has no rtpmap"};
    // Find it in our offer, by name and rate (the number may differ: RFC 3264 6.1).
    std::optional<Rtpmap> offered;
    for (int our_pt : ours.payload_types()) {
      auto our_map = ours.rtpmap(our_pt);
      if (!our_map) continue;
      bool same =
          is_telephone_event(*map)
              ? is_telephone_event(*our_map) && our_map->clock_rate == map->clock_rate
              : same_codec(
                    *map,
                    CodecSpec{
                        our_map->encoding, our_map->clock_rate, our_map->channels, our_pt, {}});
      if (same) {
        offered = our_map;
        break;
      }
    }
    if (!offered) {
      return Error{"the answer has " + map->encoding + "/" + std::to_string(map->clock_rate) +
                   " (payload type " + std::to_string(pt) + "), which was not offered"};
    }
    if (is_telephone_event(*map)) continue;
    bool twice = false;
    for (const auto& c : a.codecs)
      twice = twice || c.receive_pt == offered->payload_type;
    if (twice) continue;
    AgreedCodec codec;
    codec.encoding = offered->encoding;
    codec.clock_rate = offered->clock_rate;
    codec.channels = offered->channels;
    codec.fmtp = theirs.fmtp(pt).value_or("");
    codec.send_pt = pt;
    codec.receive_pt = offered->payload_type;
    a.codecs.push_back(std::move(codec));
  }
  if (a.codecs.empty()) return Error{"the answer accepts audio but names no codec"};
  std::vector<Rtpmap> their_events;
  for (int pt : theirs.payload_types()) {
    auto map = theirs.rtpmap(pt);
    if (map && is_telephone_event(*map)) their_events.push_back(*map);
  }
  if (const Rtpmap* e = pick_event(their_events, a.codecs.front().clock_rate)) {
    a.telephone_event_send_pt = e->payload_type;
    for (int our_pt : ours.payload_types()) {
      auto our_map = ours.rtpmap(our_pt);
      if (our_map && is_telephone_event(*our_map) && our_map->clock_rate == e->clock_rate) {
        a.telephone_event_receive_pt = our_pt;
      }
    }
  }
  fill_remote(answer, theirs, a, ours.rtcp_mux() && theirs.rtcp_mux());
  Direction mine = offer.direction(ours);
  a.send = sends(mine) && receives(a.remote_direction);
  a.receive = receives(mine) && sends(a.remote_direction);
  return a;
}

// RFC 3264 8.2: in a session already negotiated, a new offer may turn the audio stream
// off with port 0 at its place; that is answered (port 0 too), not refused.
bool Negotiator::disables_audio(const Session& offer) const {
  return !layout_.empty() && audio_index_ < offer.media.size() &&
         offer.media[audio_index_].type == "audio" && offer.media[audio_index_].port == 0;
}

Answer Negotiator::disabled_answer(const Session& offer) {
  pending_.reset();
  layout_.clear();
  for (const auto& m : offer.media) {
    Media rejected;
    rejected.type = m.type;
    rejected.proto = m.proto;
    rejected.formats = m.formats;
    if (rejected.formats.empty()) rejected.formats.push_back("0");
    layout_.push_back(std::move(rejected));
  }
  Session s = base_session();
  s.media = layout_;
  Answer answer;
  answer.audio.send = false;
  answer.audio.receive = false;
  answer.audio.remote_direction = Direction::kInactive;
  answer.sdp = stamp(std::move(s));
  return answer;
}

std::optional<Rejection> Negotiator::check_offer(std::string_view text) const {
  auto parsed = parse(text);
  if (!parsed) return Rejection{400, 0, "the offer is not valid SDP: " + parsed.error().reason};
  return analyze(*parsed, capabilities_).rejection;
}

std::variant<Answer, Rejection> Negotiator::receive_offer(std::string_view text, bool hold) {
  auto parsed = parse(text);
  if (!parsed) return Rejection{400, 0, "the offer is not valid SDP: " + parsed.error().reason};
  const Session& offer = *parsed;
  OfferAnalysis analysis = analyze(offer, capabilities_);
  if (analysis.rejection && disables_audio(offer)) return disabled_answer(offer);
  if (analysis.rejection) return *analysis.rejection;
  pending_.reset();  // an offer from the peer replaces none of ours: glare is 491 above us
  const Media& theirs = offer.media[analysis.audio_index];
  std::vector<CodecSpec> codecs;
  for (const auto& [map, spec] : analysis.codecs) {
    CodecSpec c = spec;
    c.payload_type = map.payload_type;  // RFC 3264 6.1: the offer's number for the codec
    codecs.push_back(std::move(c));
  }
  bool mux = capabilities_.rtcp_mux && theirs.rtcp_mux();
  Direction offered = peer_direction(offer, theirs);
  Direction direction = answer_direction(offered, hold);

  Session s = base_session();
  layout_.clear();
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    if (i == analysis.audio_index) {
      layout_.push_back(audio_media(codecs, analysis.events, theirs.proto, direction, mux, false));
      continue;
    }
    // RFC 3264 6: a stream we do not take is answered with port 0, formats as offered.
    Media rejected;
    rejected.type = offer.media[i].type;
    rejected.proto = offer.media[i].proto;
    rejected.formats = offer.media[i].formats;
    if (rejected.formats.empty()) rejected.formats.push_back("0");
    layout_.push_back(std::move(rejected));
  }
  audio_index_ = analysis.audio_index;
  s.media = layout_;

  Answer answer;
  AudioAgreement& a = answer.audio;
  for (const auto& [map, spec] : analysis.codecs) {
    AgreedCodec c;
    c.encoding = map.encoding;
    c.clock_rate = map.clock_rate;
    c.channels = map.channels;
    c.fmtp = theirs.fmtp(map.payload_type).value_or("");
    c.send_pt = map.payload_type;
    c.receive_pt = map.payload_type;
    a.codecs.push_back(std::move(c));
  }
  if (const Rtpmap* e = pick_event(analysis.events, a.codecs.front().clock_rate)) {
    a.telephone_event_send_pt = e->payload_type;
    a.telephone_event_receive_pt = e->payload_type;
  }
  fill_remote(offer, theirs, a, mux);
  a.send = sends(direction);
  a.receive = receives(direction);
  answer.sdp = stamp(std::move(s));
  return answer;
}

}  // namespace lanline::sdp
