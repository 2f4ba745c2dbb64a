// The control commands and reply fields of a call's audio (DESIGN.md: mute, unmute,
// dtmf DIGITS; `calls` shows codec, loss, jitter, RTT and bitrates), kept out of the
// engine's file so its command table stays short.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "engine/media_bridge.hpp"

namespace lanline::engine {

bool is_media_command(const std::string& cmd);

// Runs "mute", "unmute" or "dtmf" (with request["digits"]) on the call; the reply.
nlohmann::json run_media_command(MediaBridge& media, const std::string& cmd, std::uint64_t call_id,
                                 const nlohmann::json& request);

// The "media" object of a call in the `calls` reply; null when it has no audio running.
nlohmann::json media_json(const MediaBridge& media, std::uint64_t call_id);

}  // namespace lanline::engine
