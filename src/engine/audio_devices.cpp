#include "engine/audio_devices.hpp"

#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace lanline::engine {
namespace {

struct MonitorUnref {
  void operator()(GstDeviceMonitor* monitor) const { gst_object_unref(monitor); }
};
struct DeviceListFree {
  void operator()(GList* list) const { g_list_free_full(list, gst_object_unref); }
};
struct GFree {
  void operator()(gchar* text) const { g_free(text); }
};
struct StructureFree {
  void operator()(GstStructure* structure) const { gst_structure_free(structure); }
};

std::string take(gchar* text) {
  std::unique_ptr<gchar, GFree> owner(text);
  return owner ? std::string(owner.get()) : std::string();
}

nlohmann::json describe(GstDevice* device) {
  nlohmann::json entry{{"name", take(gst_device_get_display_name(device))},
                       {"class", take(gst_device_get_device_class(device))}};
  std::unique_ptr<GstStructure, StructureFree> properties(gst_device_get_properties(device));
  if (properties) {
    // Keys the providers set: device.api (alsa, pulse, pipewire), and an id to open it by.
    for (const char* key : {"device.api", "node.name", "device.bus_path", "alsa.card_name"}) {
      if (const gchar* value = gst_structure_get_string(properties.get(), key))
        entry[std::string(key) == "device.api" ? "api" : "id"] = value;
    }
  }
  return entry;
}

}  // namespace

nlohmann::json list_audio_devices() {
  GError* error = nullptr;
  if (!gst_init_check(nullptr, nullptr, &error)) {
    std::string reason = error ? error->message : "unknown error";
    g_clear_error(&error);
    return {{"ok", false},
            {"error", "GStreamer cannot start (" + reason +
                          "): check that gstreamer1.0-plugins-base is installed"}};
  }
  std::unique_ptr<GstDeviceMonitor, MonitorUnref> monitor(gst_device_monitor_new());
  gst_device_monitor_add_filter(monitor.get(), "Audio/Source", nullptr);
  gst_device_monitor_add_filter(monitor.get(), "Audio/Sink", nullptr);
  // Without start() the monitor asks every provider to probe once, synchronously.
  std::unique_ptr<GList, DeviceListFree> devices(gst_device_monitor_get_devices(monitor.get()));
  nlohmann::json sources = nlohmann::json::array();
  nlohmann::json sinks = nlohmann::json::array();
  for (GList* item = devices.get(); item; item = item->next) {
    auto* device = GST_DEVICE(item->data);
    if (gst_device_has_classes(device, "Audio/Source"))
      sources.push_back(describe(device));
    else if (gst_device_has_classes(device, "Audio/Sink"))
      sinks.push_back(describe(device));
  }
  nlohmann::json reply{{"ok", true}, {"sources", sources}, {"sinks", sinks}};
  if (sources.empty() && sinks.empty()) {
    reply["note"] =
        "no audio devices found: no sound card, or no PulseAudio/PipeWire session for this "
        "user; calls can still use --audio-source test and --audio-sink null";
  }
  return reply;
}

}  // namespace lanline::engine
