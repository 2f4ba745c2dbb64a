// ICE in SDP (RFC 8839): reading and writing a=candidate, a=ice-ufrag, a=ice-pwd,
// a=ice-lite, a=ice-options and a=remote-candidates. Bytes in, a value or nothing out;
// never throws, bounds what it keeps.
//
// What a peer's candidates go through before ICE sees them (RFC 8839 5.1 and the
// "Bad input" of issue 12): a line that does not follow the grammar is dropped, and so is
// a candidate Lanline cannot use: not UDP (ICE-TCP, RFC 6544, is not done), an address
// that is not an IP literal (FQDN and mDNS ".local" names), or one nobody can send to
// (unspecified, multicast, IPv4 broadcast), port 0, a component other than RTP or RTCP.
// At most kMaxCandidatesPerStream are kept, so an SDP with hundreds of them costs
// nothing more than one with a few.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stream_description.hpp"
#include "session.hpp"

namespace lanline::sdp {

inline constexpr std::size_t kMaxCandidatesPerStream = 32;

// RFC 8839 5.1: the value of one a=candidate (without "candidate:"). nullopt when it
// does not follow the grammar; a candidate that parses may still be unusable.
std::optional<IceCandidate> parse_candidate(std::string_view value);
// The value as a=candidate writes it.
std::string print_candidate(const IceCandidate& candidate);
// Whether ICE can send to it (see above).
bool usable_candidate(const IceCandidate& candidate);

// RFC 8839 5.4: 4 to 256 ice-chars for the fragment, 22 to 256 for the password.
bool valid_ufrag(std::string_view ufrag);
bool valid_pwd(std::string_view pwd);

// The peer's ICE for `media` (its own lines, else the session's ufrag, pwd and lite):
// nullopt when it did not offer ICE there (no valid ufrag and pwd, or no usable
// candidate). `default_candidate` is the stream's c=/m= address, which RFC 8839 4.2
// requires to be one of the candidates: when it is none of them (a middlebox rewrote the
// SDP, "ice-mismatch"), the stream is treated as plain RTP and nullopt is returned.
std::optional<IceTransport> read_ice(const Session& session, const Media& media,
                                     const PlainTransport& default_candidate);

// Adds our ICE lines to `media`: ufrag, pwd, options, candidates, and remote-candidates
// when the controlling side names the pair it nominated (RFC 8839 5.2).
void write_ice(const LocalIce& ice, Attributes& attributes);

}  // namespace lanline::sdp
