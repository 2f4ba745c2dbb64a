// One call's media: a GstPipeline with one rtpbin for all of its streams (so that their
// clocks can be related for lip-sync), each stream an rtpbin session between a branch
// (media_branch.hpp) and a transport (media_transport.hpp):
//
//   branch send ─ rtpbin session N ─ transport send          (RTP, RTCP)
//   transport receive ─ [receive gate] ─ rtpbin session N ─ branch receive
//
// The gate drops what arrives for a branch that is not receiving (hold) before rtpbin
// sees it. The bus is watched on the engine's GMainContext (gst_bus_create_watch +
// g_source_attach): errors are logged and reported, never fatal; latency is distributed
// again when asked; element messages go to the branch that posted them. Built and driven
// on the engine's thread.
#pragma once

#include <glib.h>
#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glib_support/handles.hpp"
#include "media/gst_handles.hpp"
#include "media/media_branch.hpp"
#include "media/media_transport.hpp"

namespace lanline::media {

struct PipelineEvents {
  std::function<void(const std::string&)> on_error;  // a pipeline error, already logged
};

class CallPipeline {
 public:
  // nullptr with `error` when GStreamer or rtpbin is missing.
  static std::unique_ptr<CallPipeline> create(GMainContext* context, const std::string& name,
                                              PipelineEvents events, std::string& error);
  // Stops (finishing recordings), then frees the branches and transports.
  ~CallPipeline();
  CallPipeline(const CallPipeline&) = delete;
  CallPipeline& operator=(const CallPipeline&) = delete;

  // Where the next stream added goes: build its branch on this.
  StreamSlot next_slot() const;
  // Adds a stream (before start()): the transport's and the branch's elements (the branch
  // built on next_slot()), linked through its rtpbin session. The pipeline owns both from
  // now on; false with `error` when they do not link (the pipeline then does not start).
  bool add_stream(std::unique_ptr<MediaTransport> transport, std::unique_ptr<MediaBranch> branch,
                  std::string& error);
  // Watches the bus and plays. false with `error` (the cause is logged).
  bool start(std::string& error);
  // Finishes every branch (EOS through a recording's writer) and sets the pipeline to
  // NULL. Idempotent.
  void stop();

  std::size_t stream_count() const { return streams_.size(); }
  MediaTransport& transport(std::size_t stream) const { return *streams_.at(stream)->transport; }
  MediaBranch& branch(std::size_t stream) const { return *streams_.at(stream)->branch; }
  const std::string& name() const { return name_; }

 private:
  struct Stream {
    std::unique_ptr<MediaTransport> transport;
    std::unique_ptr<MediaBranch> branch;
  };

  CallPipeline() = default;
  void link_stream(unsigned session, Stream& stream);
  MediaBranch* branch_of_session(guint session) const;
  GstElement* retransmission_element(guint session, bool sender);
  void handle(GstMessage* message);
  void watch_bus();

  static gboolean on_bus(GstBus* bus, GstMessage* message, gpointer data);
  static GstCaps* on_request_pt_map(GstElement* rtpbin, guint session, guint pt, gpointer data);
  static void on_pad_added(GstElement* rtpbin, GstPad* pad, gpointer data);
  static GstElement* on_request_aux_sender(GstElement* rtpbin, guint session, gpointer data);
  static GstElement* on_request_aux_receiver(GstElement* rtpbin, guint session, gpointer data);
  static void on_new_jitter_buffer(GstElement* rtpbin, GstElement* jitter_buffer, guint session,
                                   guint ssrc, gpointer data);
  static GstPadProbeReturn on_received_rtp(GstPad* pad, GstPadProbeInfo* info, gpointer data);

  GMainContext* context_ = nullptr;
  std::string name_;
  PipelineEvents events_;
  GstPtr<GstElement> pipeline_;  // owns every element of the call
  GstElement* rtpbin_ = nullptr;
  // Filled before start() only: the streaming threads read it without a lock.
  std::vector<std::unique_ptr<Stream>> streams_;
  glib::SourceHandle bus_watch_;
  std::string broken_;  // why a stream did not link; start() refuses then
  bool stopped_ = false;
};

}  // namespace lanline::media
