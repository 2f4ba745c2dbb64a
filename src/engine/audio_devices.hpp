// The audio devices of this machine as GStreamer's device monitor sees them (PulseAudio,
// PipeWire, ALSA, whichever providers are installed), for the `devices` command and the
// settings panel. Its own library: only this file needs GStreamer.
#pragma once

#include <nlohmann/json.hpp>

namespace lanline::engine {

// {"ok":true,"sources":[{"name":...,"class":...,"api":...,"id":...}],"sinks":[...]};
// an empty list when there are none, with a "note" saying what that means; a failure
// when GStreamer cannot start. Blocks while the providers probe (tens of milliseconds).
nlohmann::json list_audio_devices();

}  // namespace lanline::engine
