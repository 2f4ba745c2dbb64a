#include "audio_sdp.hpp"

#include <algorithm>
#include <charconv>

namespace lanline::sdp {
namespace {

std::string_view rtpmap(int pt) {
  switch (pt) {
    case 0:
      return "PCMU/8000";
    case 8:
      return "PCMA/8000";
    case 9:
      return "G722/8000";
    case 101:
      return "telephone-event/8000";
    default:
      return "";
  }
}

std::optional<Direction> direction_attribute(std::string_view line) {
  if (line == "a=sendrecv") return Direction::kSendRecv;
  if (line == "a=sendonly") return Direction::kSendOnly;
  if (line == "a=recvonly") return Direction::kRecvOnly;
  if (line == "a=inactive") return Direction::kInactive;
  return std::nullopt;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

Direction answer_direction(Direction offered, bool local_hold) {
  switch (offered) {
    case Direction::kSendOnly:
      return local_hold ? Direction::kInactive : Direction::kRecvOnly;
    case Direction::kRecvOnly:
      return Direction::kSendOnly;
    case Direction::kInactive:
      return Direction::kInactive;
    case Direction::kSendRecv:
      return local_hold ? Direction::kSendOnly : Direction::kSendRecv;
  }
  return Direction::kSendRecv;
}

bool AudioDescription::holds_us() const {
  return direction == Direction::kSendOnly || direction == Direction::kInactive ||
         address == "0.0.0.0";
}

std::string build_audio_sdp(const AudioOffer& offer) {
  bool v6 = offer.address.find(':') != std::string::npos;
  std::string_view family = v6 ? "IP6 " : "IP4 ";
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on long operator+ chains.
  std::string out = "v=0\r\no=- ";
  out += std::to_string(offer.session_id);
  out += ' ';
  out += std::to_string(offer.version);
  out += " IN ";
  out += family;
  out += offer.address;
  out += "\r\ns=Lanline\r\nc=IN ";
  out += family;
  out += offer.address;
  out += "\r\nt=0 0\r\nm=audio ";
  out += std::to_string(offer.port);
  out += " RTP/AVP";
  for (int pt : offer.payload_types) {
    out += ' ';
    out += std::to_string(pt);
  }
  out += "\r\n";
  for (int pt : offer.payload_types) {
    if (rtpmap(pt).empty()) continue;
    out += "a=rtpmap:";
    out += std::to_string(pt);
    out += ' ';
    out += rtpmap(pt);
    out += "\r\n";
    if (pt == 101) out += "a=fmtp:101 0-16\r\n";
  }
  out += "a=";
  out += to_string(offer.direction);
  out += "\r\n";
  return out;
}

std::optional<AudioDescription> read_audio_sdp(std::string_view text) {
  if (text.substr(0, 4) != "v=0\r" && text.substr(0, 4) != "v=0\n") return std::nullopt;
  AudioDescription audio;
  std::optional<Direction> session_direction;
  std::optional<Direction> media_direction;
  std::string session_address;
  bool in_audio = false;
  bool found = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.substr(0, 2) == "m=") {
      if (found) break;  // only the first audio stream
      auto w = words(line.substr(2));
      in_audio = w.size() >= 4 && w[0] == "audio";
      if (!in_audio) continue;
      unsigned port = 0;
      std::from_chars(w[1].data(), w[1].data() + w[1].size(), port);
      audio.port = static_cast<std::uint16_t>(port);
      for (std::size_t i = 3; i < w.size(); ++i) {
        int pt = -1;
        std::from_chars(w[i].data(), w[i].data() + w[i].size(), pt);
        if (pt >= 0 && pt < 128) audio.payload_types.push_back(pt);
      }
      found = true;
    } else if (line.substr(0, 2) == "c=") {
      auto w = words(line.substr(2));
      std::string address = w.size() >= 3 ? std::string(w[2]) : std::string();
      if (in_audio) {
        audio.address = address;
      } else if (!found) {
        session_address = address;
      }
    } else if (auto dir = direction_attribute(line)) {
      (in_audio ? media_direction : session_direction) = *dir;
    }
  }
  if (!found) return std::nullopt;
  if (audio.address.empty()) audio.address = session_address;
  audio.direction = media_direction.value_or(session_direction.value_or(Direction::kSendRecv));
  return audio;
}

std::vector<int> common_codecs(const std::vector<int>& offered, const std::vector<int>& ours) {
  std::vector<int> out;
  for (int pt : offered) {
    if (pt != 101 && std::find(ours.begin(), ours.end(), pt) != ours.end()) out.push_back(pt);
  }
  return out;
}

}  // namespace lanline::sdp
