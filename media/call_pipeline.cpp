#include "media/call_pipeline.hpp"

#include <gst/rtp/rtp.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <stdexcept>
#include <string_view>

#include "media/gst_build.hpp"

namespace lanline::media {
namespace {

// The jitter buffer, sized for a LAN. Jitter on a switched LAN is well under 5 ms; what
// the buffer must cover is the gap until the packet after a lost one arrives, so that
// Opus's in-band FEC copy of the lost packet, carried in the next one, is there before the
// lost one is due to play (rtpjitterbuffer's do-lost event then lets opusdec decode it
// from the FEC data): one packet (10 ms of Opus from Lanline, 20 ms from most phones),
// plus the scheduling jitter of two busy hosts. 20 ms in all left 85-185 ms gaps in the
// tests on a loaded 2-core machine; 30 ms does not. It costs a device call nothing while
// packets come in order: the device sink plays as they come (unsynced), and the buffer
// only waits when one is missing. GStreamer's jitter buffer does not adapt its size;
// drop-on-latency keeps it from growing past that.
constexpr guint kJitterBufferMs = 30;

std::string session_pad(const char* prefix, unsigned session) {
  return prefix + std::to_string(session);
}

GstPtr<GstPad> request_pad(GstElement* rtpbin, const std::string& name) {
  GstPtr<GstPad> pad(gst_element_request_pad_simple(rtpbin, name.c_str()));
  if (!pad) throw std::runtime_error("rtpbin has no pad " + name);
  return pad;
}

void link_into(GstElement* from, const char* from_pad, GstPad* to) {
  GstPtr<GstPad> source(gst_element_get_static_pad(from, from_pad));
  if (!source)
    throw std::runtime_error(std::string(GST_ELEMENT_NAME(from)) + " has no " + from_pad);
  link_pads_or_throw(source.get(), to);
}

void link_from(GstPad* from, GstElement* to, const char* to_pad) {
  GstPtr<GstPad> sink(gst_element_get_static_pad(to, to_pad));
  if (!sink) throw std::runtime_error(std::string(GST_ELEMENT_NAME(to)) + " has no " + to_pad);
  link_pads_or_throw(from, sink.get());
}

}  // namespace

std::unique_ptr<CallPipeline> CallPipeline::create(GMainContext* context, const std::string& name,
                                                   PipelineEvents events, std::string& error) {
  if (!ensure_gstreamer(error)) return nullptr;
  std::unique_ptr<CallPipeline> call(new CallPipeline());
  call->context_ = context;
  call->name_ = name;
  call->events_ = std::move(events);
  call->pipeline_ = GstPtr<GstElement>(gst_pipeline_new(name.c_str()));
  gst_object_ref_sink(call->pipeline_.get());
  try {
    call->rtpbin_ = make_element("rtpbin", "rtpbin");
  } catch (const std::exception& e) {
    error = e.what();
    call->stopped_ = true;
    return nullptr;
  }
  g_object_set(call->rtpbin_, "latency", kJitterBufferMs, "do-lost", TRUE, "drop-on-latency", TRUE,
               nullptr);
  gst_bin_add(GST_BIN(call->pipeline_.get()), call->rtpbin_);
  g_signal_connect(call->rtpbin_, "request-pt-map", G_CALLBACK(&CallPipeline::on_request_pt_map),
                   call.get());
  g_signal_connect(call->rtpbin_, "pad-added", G_CALLBACK(&CallPipeline::on_pad_added), call.get());
  g_signal_connect(call->rtpbin_, "request-aux-sender",
                   G_CALLBACK(&CallPipeline::on_request_aux_sender), call.get());
  g_signal_connect(call->rtpbin_, "request-aux-receiver",
                   G_CALLBACK(&CallPipeline::on_request_aux_receiver), call.get());
  g_signal_connect(call->rtpbin_, "new-jitterbuffer",
                   G_CALLBACK(&CallPipeline::on_new_jitter_buffer), call.get());
  return call;
}

CallPipeline::~CallPipeline() {
  stop();
  bus_watch_ = glib::SourceHandle();
  if (rtpbin_) g_signal_handlers_disconnect_by_data(rtpbin_, this);
  pipeline_.reset();
  // Only now: the elements are stopped, so no streaming thread asks a branch anything.
  streams_.clear();
}

StreamSlot CallPipeline::next_slot() const {
  return StreamSlot{context_, pipeline_.get(), rtpbin_, static_cast<unsigned>(streams_.size()),
                    name_};
}

bool CallPipeline::add_stream(std::unique_ptr<MediaTransport> transport,
                              std::unique_ptr<MediaBranch> branch, std::string& error) {
  const auto session = static_cast<unsigned>(streams_.size());
  // Kept even when it does not link: its elements are in the pipeline by then, and the
  // receive gate points at it.
  streams_.push_back(std::make_unique<Stream>());
  Stream& stream = *streams_.back();
  stream.transport = std::move(transport);
  stream.branch = std::move(branch);
  try {
    link_stream(session, stream);
  } catch (const std::exception& e) {
    error = e.what();
    broken_ = error;
    return false;
  }
  return true;
}

// In the order the single-stream pipeline always linked its session: what the branch
// sends, what the network gives, then what rtpbin sends to the network.
void CallPipeline::link_stream(unsigned session, Stream& stream) {
  GstBin* bin = GST_BIN(pipeline_.get());
  MediaBranch& branch = *stream.branch;
  MediaTransport& transport = *stream.transport;
  gst_bin_add(bin, branch.send_element());
  gst_bin_add(bin, branch.receive_element());
  gst_bin_add(bin, transport.send_element());
  gst_bin_add(bin, transport.receive_element());

  auto rtp_in = request_pad(rtpbin_, session_pad("send_rtp_sink_", session));
  link_into(branch.send_element(), "src", rtp_in.get());

  auto received_rtp = request_pad(rtpbin_, session_pad("recv_rtp_sink_", session));
  gst_pad_add_probe(received_rtp.get(), GST_PAD_PROBE_TYPE_BUFFER, &CallPipeline::on_received_rtp,
                    &stream, nullptr);
  link_into(transport.receive_element(), "rtp_src", received_rtp.get());
  auto received_rtcp = request_pad(rtpbin_, session_pad("recv_rtcp_sink_", session));
  link_into(transport.receive_element(), "rtcp_src", received_rtcp.get());

  GstPtr<GstPad> rtp_out(
      gst_element_get_static_pad(rtpbin_, session_pad("send_rtp_src_", session).c_str()));
  if (!rtp_out) throw std::runtime_error("rtpbin made no send_rtp_src pad");
  link_from(rtp_out.get(), transport.send_element(), "rtp_sink");
  auto rtcp_out = request_pad(rtpbin_, session_pad("send_rtcp_src_", session));
  link_from(rtcp_out.get(), transport.send_element(), "rtcp_sink");

  // RTCP every second rather than rtpbin's 5 s: `lanline ctl calls` shows loss, jitter
  // and RTT within a second or two of a call's start. RFC 3550 6.2 allows a minimum
  // below 5 s; one report a second is ~100 bytes/s, nothing next to the audio.
  GObject* internal = nullptr;
  g_signal_emit_by_name(rtpbin_, "get-internal-session", session, &internal);
  if (internal) {
    g_object_set(internal, "rtcp-min-interval", static_cast<guint64>(GST_SECOND), nullptr);
    // RFC 4585 3.4: feedback (PLI, FIR) goes out at once rather than with the next report.
    if (branch.early_feedback())
      g_object_set(internal, "rtp-profile", GST_RTP_PROFILE_AVPF, nullptr);
    g_object_unref(internal);
  }
}

bool CallPipeline::start(std::string& error) {
  if (!broken_.empty()) {
    error = "the media pipeline is incomplete: " + broken_;
    return false;
  }
  watch_bus();
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "the media pipeline does not start (see the log for the element that failed)";
    // The bus still holds the reason: log it before giving up.
    GstPtr<GstBus> bus(gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get())));
    while (GstMessage* message = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR)) {
      handle(message);
      gst_message_unref(message);
    }
    return false;
  }
  return true;
}

void CallPipeline::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& stream : streams_)
    stream->branch->finish();
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

MediaBranch* CallPipeline::branch_of_session(guint session) const {
  return session < streams_.size() ? streams_[session]->branch.get() : nullptr;
}

// On the network's streaming thread, for every RTP datagram the transport passes on:
// on hold (sendonly, inactive) what the peer still sends is not played.
GstPadProbeReturn CallPipeline::on_received_rtp(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* stream = static_cast<Stream*>(data);
  return stream->branch->receiving() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

// rtpbin asks what a payload type carries: the branch of that session knows.
GstCaps* CallPipeline::on_request_pt_map(GstElement*, guint session, guint pt, gpointer data) {
  auto* self = static_cast<CallPipeline*>(data);
  try {
    MediaBranch* branch = self->branch_of_session(session);
    GstCaps* caps = branch ? branch->caps_for(pt) : nullptr;
    if (!caps) {
      spdlog::debug("{}: payload type {} was not agreed; its packets are dropped", self->name_, pt);
    }
    return caps;
  } catch (const std::exception& e) {
    spdlog::error("{}: payload type {}: {}", self->name_, pt, e.what());
  }
  return nullptr;
}

// A new stream from the peer (recv_rtp_src_SESSION_SSRC_PT): to its session's branch.
void CallPipeline::on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  auto* self = static_cast<CallPipeline*>(data);
  try {
    const std::string name = GST_PAD_NAME(pad);
    static constexpr std::string_view kPrefix = "recv_rtp_src_";
    if (name.rfind(kPrefix, 0) != 0) return;  // send pads are linked in link_stream()
    const auto session = static_cast<guint>(std::stoul(name.substr(kPrefix.size())));
    const auto pt = static_cast<guint>(std::stoul(name.substr(name.rfind('_') + 1)));
    if (MediaBranch* branch = self->branch_of_session(session)) branch->add_received(pad, pt);
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot play the peer's stream: {}", self->name_, e.what());
  }
}

// While link_stream() asks for the session's send pad (sender) or receive pad: the
// branch's retransmission sender, between the session and the network, or receiver,
// which turns the peer's resent packets back into the ones they stand for; none when it
// has none.
GstElement* CallPipeline::retransmission_element(guint session, bool sender) {
  try {
    MediaBranch* branch = branch_of_session(session);
    if (!branch) return nullptr;
    return sender ? branch->make_retransmission_sender() : branch->make_retransmission_receiver();
  } catch (const std::exception& e) {
    spdlog::error("{}: no retransmission for session {}: {}", name_, session, e.what());
  }
  return nullptr;
}

GstElement* CallPipeline::on_request_aux_sender(GstElement*, guint session, gpointer data) {
  return static_cast<CallPipeline*>(data)->retransmission_element(session, true);
}

GstElement* CallPipeline::on_request_aux_receiver(GstElement*, guint session, gpointer data) {
  return static_cast<CallPipeline*>(data)->retransmission_element(session, false);
}

void CallPipeline::on_new_jitter_buffer(GstElement*, GstElement* jitter_buffer, guint session,
                                        guint, gpointer data) {
  auto* self = static_cast<CallPipeline*>(data);
  if (MediaBranch* branch = self->branch_of_session(session))
    branch->configure_jitter_buffer(jitter_buffer);
}

// On the engine's context.
gboolean CallPipeline::on_bus(GstBus*, GstMessage* message, gpointer data) {
  auto* self = static_cast<CallPipeline*>(data);
  try {
    self->handle(message);
  } catch (const std::exception& e) {
    spdlog::error("{}: bus message: {}", self->name_, e.what());
  }
  return G_SOURCE_CONTINUE;
}

void CallPipeline::handle(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING: {
      GError* gerror = nullptr;
      gchar* debug = nullptr;
      const bool is_error = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR;
      if (is_error)
        gst_message_parse_error(message, &gerror, &debug);
      else
        gst_message_parse_warning(message, &gerror, &debug);
      std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " +
                         (gerror ? gerror->message : "unknown");
      if (is_error) {
        spdlog::error("{} media: {} ({})", name_, text, debug ? debug : "");
      } else {
        spdlog::warn("{} media: {}", name_, text);
      }
      g_clear_error(&gerror);
      g_free(debug);
      if (is_error && events_.on_error) events_.on_error(text);
      break;
    }
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency(GST_BIN(pipeline_.get()));
      break;
    case GST_MESSAGE_STATE_CHANGED: {
      // A live audiotestsrc answers the latency query only once it has negotiated, which
      // can be after the pipeline asked on its way to PLAYING: ask again once there.
      GstState old_state, new_state;
      gst_message_parse_state_changed(message, &old_state, &new_state, nullptr);
      if (GST_MESSAGE_SRC(message) == GST_OBJECT(pipeline_.get()) &&
          new_state == GST_STATE_PLAYING) {
        gst_bin_recalculate_latency(GST_BIN(pipeline_.get()));
      }
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      GstObject* source = GST_MESSAGE_SRC(message);
      for (auto& stream : streams_) {
        MediaBranch& branch = *stream->branch;
        if (gst_object_has_as_ancestor(source, GST_OBJECT(branch.send_element())) ||
            gst_object_has_as_ancestor(source, GST_OBJECT(branch.receive_element()))) {
          branch.handle(message);
          break;
        }
      }
      break;
    }
    default:
      break;
  }
}

// No bus sync handler: with one (dropping unwanted messages where they were posted) no
// call's pipeline was ever freed (git log 3b833e9).
void CallPipeline::watch_bus() {
  GstPtr<GstBus> bus(gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get())));
  GSource* source = gst_bus_create_watch(bus.get());
  // GLib stores every callback as a GSourceFunc and calls it with the source's own
  // signature (GstBusFunc here); the detour through void(*)() is how G_SOURCE_FUNC casts.
  g_source_set_callback(
      source,
      reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(
          static_cast<gboolean (*)(GstBus*, GstMessage*, gpointer)>(&CallPipeline::on_bus))),
      this, nullptr);
  g_source_attach(source, context_);
  bus_watch_ = glib::SourceHandle(source);
}

}  // namespace lanline::media
