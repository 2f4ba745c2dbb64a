#include "engine/media_commands.hpp"

#include <cmath>

namespace lanline::engine {
namespace {

using nlohmann::json;

json failure(std::string error) {
  return json{{"ok", false}, {"error", std::move(error)}};
}

double rounded(double value, int decimals) {
  double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

json candidate_json(const IceCandidate& c) {
  return json{{"type", c.type}, {"address", c.address}, {"port", c.port}};
}

// What a person calls the path: straight between the hosts, through a NAT (someone's
// address as a STUN server or the peer saw it), or through a TURN relay.
std::string route_of(const IceCandidate& local, const IceCandidate& remote) {
  if (local.type == "relay" || remote.type == "relay") return "relay";
  if (local.type == "host" && remote.type == "host") return "direct";
  return "nat";
}

json path_json(const core::MediaPath& path) {
  if (path.ice_state.empty()) return json{{"transport", "plain"}};
  json out{{"transport", "ice"}, {"state", path.ice_state}};
  if (path.local && path.remote) {
    out["local"] = candidate_json(*path.local);
    out["remote"] = candidate_json(*path.remote);
    out["route"] = route_of(*path.local, *path.remote);
  }
  return out;
}

json video_json(const std::optional<VideoStats>& video) {
  if (!video) return nullptr;
  return json{{"codec", video->codec},
              {"sending", video->sending},
              {"receiving", video->receiving},
              {"width", video->width},
              {"height", video->height},
              {"fps", rounded(video->fps, 1)},
              {"send_kbps", rounded(video->send_kbps, 1)},
              {"target_kbps", video->target_kbps},
              {"receive_kbps", rounded(video->receive_kbps, 1)},
              {"packets_lost", video->packets_lost},
              {"frames_received", video->frames_received},
              {"nacks_sent", video->nacks_sent},
              {"nacks_received", video->nacks_received},
              {"plis_sent", video->plis_sent},
              {"plis_received", video->plis_received},
              {"packets_resent", video->packets_resent},
              {"packets_recovered", video->packets_recovered}};
}

}  // namespace

bool is_media_command(const std::string& cmd) {
  return cmd == "mute" || cmd == "unmute" || cmd == "dtmf" || cmd == "snapshot";
}

json run_media_command(MediaBridge& media, const std::string& cmd, std::uint64_t call_id,
                       const json& request) {
  if (cmd == "snapshot") {
    const std::string kind = request.value("kind", "");
    const std::string path = request.value("path", "");
    if (kind != "remote" && kind != "local" && kind != "screen")
      return failure(
          "snapshot needs which stream: remote, local or screen, then the PNG file to write");
    if (path.empty()) return failure("snapshot needs the PNG file to write");
    std::string error;
    if (!media.snapshot(call_id, kind, path, error)) return failure(error);
    return json{{"ok", true}, {"call", call_id}, {"kind", kind}, {"path", path}};
  }
  if (cmd == "mute" || cmd == "unmute") {
    if (!media.set_mute(call_id, cmd == "mute")) {
      return failure("call " + std::to_string(call_id) + " has no audio to " + cmd);
    }
    return json{{"ok", true}, {"call", call_id}, {"muted", cmd == "mute"}};
  }
  std::string digits = request.value("digits", "");
  if (digits.empty()) return failure("dtmf needs digits: 0-9, *, #, A-D (e.g. `dtmf 123#`)");
  for (char c : digits) {
    bool ok = (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') ||
              (c >= 'a' && c <= 'd');
    if (!ok) {
      return failure(std::string("'") + c + "' is not a DTMF digit: use 0-9, *, #, A-D");
    }
  }
  if (!media.has_audio(call_id)) {
    return failure("call " + std::to_string(call_id) + " has no audio yet: answer it first");
  }
  if (!media.send_dtmf(call_id, digits)) {
    return failure("the peer of call " + std::to_string(call_id) +
                   " did not agree to telephone-event (RFC 4733), so DTMF cannot be sent");
  }
  return json{{"ok", true}, {"call", call_id}, {"digits", digits}};
}

json media_json(const MediaBridge& media, std::uint64_t call_id) {
  auto stats = media.stats(call_id);
  if (!stats) return nullptr;
  return json{{"codec", stats->codec},
              {"send_kbps", rounded(stats->send_kbps, 1)},
              {"receive_kbps", rounded(stats->receive_kbps, 1)},
              {"packets_sent", stats->packets_sent},
              {"packets_received", stats->packets_received},
              {"packets_lost", stats->packets_lost},
              {"loss", rounded(stats->loss_fraction, 3)},
              {"jitter_ms", rounded(stats->jitter_ms, 2)},
              {"rtt_ms", stats->rtt_ms < 0 ? json(nullptr) : json(rounded(stats->rtt_ms, 2))},
              {"mic_level", rounded(stats->mic_level_db, 1)},
              {"speaker_level", rounded(stats->speaker_level_db, 1)},
              {"path", path_json(stats->path)},
              {"video", video_json(stats->video)},
              {"screen", video_json(stats->screen)},
              {"protection", stats->protection}};
}

}  // namespace lanline::engine
