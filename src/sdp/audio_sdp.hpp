// The interim SDP of a call before media lands (issue 5 replaces this with the full SDP
// model and RFC 3264 offer/answer): one audio m-line with PCMU, PCMA and
// telephone-event, and the direction attribute that carries hold (RFC 3264 8.4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lanline::sdp {

enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };

std::string_view to_string(Direction direction);
// What to answer to an offer with `offered`, when we hold the call or not.
Direction answer_direction(Direction offered, bool local_hold);

struct AudioDescription {
  std::string address;  // connection address; "0.0.0.0" is the RFC 2543 way to hold
  std::uint16_t port = 0;
  std::vector<int> payload_types;
  Direction direction = Direction::kSendRecv;

  // RFC 3264 8.4 and RFC 2543's c=0.0.0.0: the other side does not want our media.
  bool holds_us() const;
};

struct AudioOffer {
  std::string address;  // ours, IPv4 or IPv6
  std::uint16_t port = 0;
  std::uint64_t session_id = 0;
  std::uint64_t version = 0;
  Direction direction = Direction::kSendRecv;
  std::vector<int> payload_types{0, 8, 101};  // PCMU, PCMA, telephone-event
};

std::string build_audio_sdp(const AudioOffer& offer);

// The first audio m-line and the direction that applies to it; nullopt when there is
// none or the text is not SDP.
std::optional<AudioDescription> read_audio_sdp(std::string_view text);

// Codecs both sides can use, in the offer's order (telephone-event is not a codec).
std::vector<int> common_codecs(const std::vector<int>& offered, const std::vector<int>& ours);

}  // namespace lanline::sdp
