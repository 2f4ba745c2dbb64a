// The SDP model (RFC 8866): a session description with its media descriptions, every
// field as written so that printing gives the same description back. Attributes are
// kept as name and value, in order, unknown ones included; typed accessors read the ones
// offer/answer needs (rtpmap, fmtp, ptime, direction, rtcp, rtcp-mux).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lanline::sdp {

// RFC 3264 5.1 / RFC 8866 6.7: the direction attributes.
enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view to_string(Direction direction);
bool sends(Direction direction);     // sendrecv or sendonly
bool receives(Direction direction);  // sendrecv or recvonly

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (5.2).
// The numbers are kept as text: they are 1*DIGIT, which may exceed 64 bits.
struct Origin {
  std::string username = "-";
  std::string session_id = "0";
  std::string session_version = "0";
  std::string network_type = "IN";
  std::string address_type = "IP4";
  std::string address = "0.0.0.0";
  // The o= value as written when it does not follow the grammar: Asterisk's
  // "-1307081803 2 IN IP4 ..." (five fields). Nobody reads a peer's origin, so a call
  // is not refused for it; the fields above are then left at their defaults.
  std::string verbatim;
  bool operator==(const Origin&) const = default;
};

// c=<nettype> <addrtype> <connection-address> (5.7), multicast forms included:
// IP4 "addr/ttl" and "addr/ttl/count", IP6 "addr/count".
struct Connection {
  std::string network_type = "IN";
  std::string address_type = "IP4";
  std::string address;
  std::optional<std::uint32_t> ttl;
  std::optional<std::uint32_t> count;
  bool is_ipv6() const { return address_type == "IP6"; }
  // RFC 3264 8.4: 0.0.0.0 (and :: for IPv6) is RFC 2543's way to put a call on hold.
  bool is_null() const { return address == "0.0.0.0" || address == "::"; }
  bool operator==(const Connection&) const = default;
};

struct Bandwidth {  // b=<bwtype>:<bandwidth> (5.8)
  std::string type;
  std::uint64_t value = 0;
  bool operator==(const Bandwidth&) const = default;
};

struct Timing {  // t=<start-time> <stop-time> (5.9) and its r= lines (5.10), verbatim
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<std::string> repeats;
  bool operator==(const Timing&) const = default;
};

struct Attribute {  // a=<name> or a=<name>:<value> (5.13)
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Attribute&) const = default;
};

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>] (6.6).
struct Rtpmap {
  int payload_type = 0;
  std::string encoding;
  std::uint32_t clock_rate = 0;
  std::uint32_t channels = 1;
  bool operator==(const Rtpmap&) const = default;
};

// a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605).
struct RtcpAttribute {
  std::uint16_t port = 0;
  std::optional<Connection> connection;
};

// The attribute list of a session or media section, and the typed reading of it.
struct Attributes {
  std::vector<Attribute> list;

  const Attribute* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // The value of the first `name` attribute; nullopt when absent or written without one.
  std::optional<std::string_view> value(std::string_view name) const;
  std::vector<std::string_view> values(std::string_view name) const;
  // The last direction attribute, if any.
  std::optional<Direction> direction() const;
  void add(std::string name, std::optional<std::string> value = std::nullopt);
  void set_direction(Direction direction);  // replaces any direction attribute
  bool operator==(const Attributes&) const = default;
};

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... and the lines under it (5.14).
struct Media {
  std::string type = "audio";
  std::uint16_t port = 0;
  std::optional<std::uint32_t> port_count;
  std::string proto = "RTP/AVP";
  std::vector<std::string> formats;
  std::optional<std::string> title;  // i=
  std::vector<Connection> connections;
  std::vector<Bandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept verbatim)
  Attributes attributes;

  // RTP profiles whose formats are payload type numbers (RFC 3551, 4585, 3711, 5764).
  bool is_rtp() const;
  // The payload type numbers of the fmt list; non-numbers are left out.
  std::vector<int> payload_types() const;
  // The rtpmap of `pt`, else the RFC 3551 table for the static types Lanline knows
  // (0 PCMU, 8 PCMA, 9 G722, 3 GSM, 18 G729...); nullopt when neither says.
  std::optional<Rtpmap> rtpmap(int pt) const;
  std::optional<std::string> fmtp(int pt) const;  // the parameters of a=fmtp:<pt>
  // RFC 4585 4.2 a=rtcp-fb for `pt` (its own lines and those for "*"): "nack", "nack pli",
  // "ccm fir", lower case, single spaces.
  std::vector<std::string> rtcp_feedback(int pt) const;
  std::optional<std::uint32_t> ptime() const;
  std::optional<std::uint32_t> maxptime() const;
  std::optional<RtcpAttribute> rtcp() const;
  bool rtcp_mux() const { return attributes.has("rtcp-mux"); }
  bool operator==(const Media&) const = default;
};

struct Session {
  int version = 0;  // v=
  Origin origin;
  std::string name = "-";           // s=
  std::optional<std::string> info;  // i=
  std::optional<std::string> uri;   // u=
  std::vector<std::string> emails;  // e=
  std::vector<std::string> phones;  // p=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings;
  std::optional<std::string> zone;  // z=, verbatim
  std::optional<std::string> key;   // k=, verbatim
  Attributes attributes;
  std::vector<Media> media;

  // RFC 3264 5.1: a media-level direction overrides the session-level one; sendrecv if none.
  Direction direction(const Media& media) const;
  // The media's first c= line, else the session's; nullptr when neither has one.
  const Connection* connection_for(const Media& media) const;
  bool operator==(const Session&) const = default;
};

// RFC 3551 table 4: the static payload types an rtpmap may omit.
std::optional<Rtpmap> static_payload_type(int pt);

std::optional<Rtpmap> parse_rtpmap(std::string_view value);
std::optional<RtcpAttribute> parse_rtcp(std::string_view value);

}  // namespace lanline::sdp
