#include "media/session_stats.hpp"

namespace lanline::media {
namespace {

// A field of any numeric type as a double (GStreamer's field types differ between
// versions: uint vs uint64 vs int); `fallback` when absent.
double number(const GstStructure* s, const char* field, double fallback = 0) {
  const GValue* value = gst_structure_get_value(s, field);
  if (!value) return fallback;
  GValue out = G_VALUE_INIT;
  g_value_init(&out, G_TYPE_DOUBLE);
  double result = fallback;
  if (g_value_type_transformable(G_VALUE_TYPE(value), G_TYPE_DOUBLE) &&
      g_value_transform(value, &out)) {
    result = g_value_get_double(&out);
  }
  g_value_unset(&out);
  return result;
}

bool flag(const GstStructure* s, const char* field) {
  gboolean value = FALSE;
  return gst_structure_get_boolean(s, field, &value) && value;
}

}  // namespace

// rtpsession hands the sources over as a GValueArray, deprecated in GLib but still its API.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

RtpCounters read_rtp_counters(GstElement* rtpbin, unsigned session, int clock_rate) {
  RtpCounters counters;
  GObject* internal = nullptr;
  g_signal_emit_by_name(rtpbin, "get-internal-session", session, &internal);
  if (!internal) return counters;
  GstStructure* stats = nullptr;
  g_object_get(internal, "stats", &stats, nullptr);
  g_object_unref(internal);
  if (!stats) return counters;
  const GValue* sources = gst_structure_get_value(stats, "source-stats");
  if (sources && G_VALUE_HOLDS(sources, g_value_array_get_type())) {
    auto* array = static_cast<GValueArray*>(g_value_get_boxed(sources));
    for (guint i = 0; array && i < array->n_values; ++i) {
      const GValue* item = g_value_array_get_nth(array, i);
      const GstStructure* source = gst_value_get_structure(item);
      if (!source) continue;
      auto count = [&](const char* field) {
        return static_cast<std::uint64_t>(number(source, field));
      };
      // Feedback is counted on the remote source it went to or came from.
      counters.plis_received += count("recv-pli-count");
      counters.firs_received += count("recv-fir-count");
      counters.nacks_received += count("recv-nack-count");
      counters.plis_sent += count("sent-pli-count");
      counters.firs_sent += count("sent-fir-count");
      counters.nacks_sent += count("sent-nack-count");
      if (flag(source, "internal")) {
        counters.packets_sent += count("packets-sent");
        counters.octets_sent += count("octets-sent");
        continue;
      }
      counters.packets_received += static_cast<std::uint64_t>(number(source, "packets-received"));
      counters.octets_received += static_cast<std::uint64_t>(number(source, "octets-received"));
      counters.packets_lost += static_cast<std::int64_t>(number(source, "packets-lost"));
      if (clock_rate > 0) counters.jitter_ms = number(source, "jitter") * 1000.0 / clock_rate;
      // The remote's receiver report about our stream (RFC 3550 6.4.1): fraction lost in
      // 1/256, round trip in 1/65536 s (computed by rtpsession from LSR and DLSR).
      if (flag(source, "have-rb")) {
        counters.loss_fraction = number(source, "rb-fractionlost") / 256.0;
        double round_trip = number(source, "rb-round-trip");
        if (round_trip > 0) counters.rtt_ms = round_trip * 1000.0 / 65536.0;
      }
    }
  }
  gst_structure_free(stats);
  return counters;
}

void Bitrates::update(const RtpCounters& now) {
  auto time = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(time - last_time_).count();
  if (seconds < 0.5) return;
  send_kbps_ = static_cast<double>(now.octets_sent - last_.octets_sent) * 8 / seconds / 1000;
  receive_kbps_ =
      static_cast<double>(now.octets_received - last_.octets_received) * 8 / seconds / 1000;
  last_ = now;
  last_time_ = time;
}

}  // namespace lanline::media
