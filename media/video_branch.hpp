// One video stream of a call, as a branch of its call pipeline (call_pipeline.hpp):
//
//   send:    source ─ convert ─ scale ─ rate ─ caps (I420, W x H @ F) ─ tee ─ queue ─ rate
//            ─ scale (W/4 x H/4) ─ appsink (the self view: local())
//                                                                      └─ queue ─ valve
//            ─ vp8enc ─ rtpvp8pay [─ rtprtxqueue] ─▶ rtpbin [─ rtprtxsend]
//   receive: [rtprtxreceive ─] rtpbin ─▶ rtpvp8depay ─ vp8dec ─ appsink (remote())
//                                                              [└─ autovideosink (a window)]
//
// Loss is repaired first by asking for the lost packets again (RFC 4585 generic NACK):
// the jitter buffer notices the gap and rtpbin sends the NACK; the sender resends from
// what it keeps, as RFC 4588 rtx packets (rtprtxsend, rtprtxreceive: rtpbin's aux
// elements of the session) or, to a peer that takes NACK without rtx, as they were
// (rtprtxqueue after the payloader). What is still missing after kRetransmissionWaitMs
// costs a key frame: the depayloader notices the gap and sends a force-key-unit event
// upstream, which rtpbin turns into RTCP PLI (or FIR) when the peer named them in
// a=rtcp-fb (RFC 4585, 5104); a PLI from the peer reaches our encoder as the same event,
// and it sends a key frame. The encoder runs in real-time mode with no
// look-ahead, so a frame leaves as soon as it is captured. Frames reach their readers
// (the GUI, `ctl snapshot`) through LatestFrame slots, the newest frame only. Built and
// driven on the engine's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/stream_description.hpp"
#include "common/video_stats.hpp"
#include "glib_support/handles.hpp"
#include "media/gst_handles.hpp"
#include "media/media_branch.hpp"
#include "media/screen_monitors.hpp"
#include "media/screen_portal.hpp"
#include "media/send_rate.hpp"
#include "media/session_stats.hpp"
#include "media/video_frames.hpp"

namespace lanline::media {

// Where a call's video comes from (DESIGN.md --video-source).
struct VideoSource {
  enum class Kind { kNone, kTest, kDevice, kScreen };
  Kind kind = Kind::kNone;
  std::string device;              // kDevice: "/dev/video0", or "" for the first camera; kTest: the
                                   // picture ("smpte" when empty)
  std::optional<ScreenArea> area;  // kScreen: the part of the X screen; none: all of it
};

// "none" | "test" | "test:PATTERN" (one of videotestsrc's: red, ball...) | "device" |
// "device:/dev/videoN" | "screen" (the X11 screen, through
// ximagesrc, in place of a camera); "" is "none". nullopt with `error` saying what is
// accepted.
std::optional<VideoSource> parse_video_source(std::string_view text, std::string& error);

struct VideoBranchConfig {
  StreamDescription stream;
  VideoSource source;
  std::string name = "call";  // for logs
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 1500;  // what the encoder aims at
  // Besides remote(), the peer's picture in a window of its own (a headless node's
  // --video-sink window), titled so.
  std::string window_title;
  // After each frame put in remote() or local(), on a streaming thread (the window is
  // woken to draw it).
  std::function<void()> on_frame;
};

class VideoBranch final : public MediaBranch {
 public:
  // Builds the branch for `slot`; nullptr with `error` (no codec to send, a missing
  // plugin). With source kNone the branch only receives.
  static std::unique_ptr<VideoBranch> create(const StreamSlot& slot, VideoBranchConfig config,
                                             std::string& error);
  ~VideoBranch() override;

  // Only the direction changes live; anything else needs a new branch.
  static bool takes_live(const StreamDescription& built, const StreamDescription& next);
  void set_direction(bool send, bool receive);
  const VideoBranchConfig& config() const { return config_; }
  VideoStats stats();

  // The newest frame decoded from the peer, and the newest we sent (the self view, at a
  // quarter of the size each way).
  const LatestFrame& remote() const { return *remote_; }
  const LatestFrame& local() const { return *local_; }
  // The same slots, to outlive the branch (media::FrameBoard).
  std::shared_ptr<const LatestFrame> remote_slot() const { return remote_; }
  std::shared_ptr<const LatestFrame> local_slot() const { return local_; }

  GstElement* send_element() const override { return send_.get(); }
  GstElement* receive_element() const override { return receive_.get(); }
  bool receiving() const override { return receiving_.load(); }
  GstCaps* caps_for(guint pt) override;
  void add_received(GstPad* pad, guint pt) override;
  void handle(GstMessage* /*message*/) override {}
  void finish() override {}
  bool early_feedback() const override { return feedback_pli_ || feedback_fir_ || feedback_nack_; }
  GstElement* make_retransmission_sender() override;
  GstElement* make_retransmission_receiver() override;
  void configure_jitter_buffer(GstElement* jitter_buffer) override;

 private:
  VideoBranch(const StreamSlot& slot, VideoBranchConfig config);
  void build_send(const NegotiatedCodec& codec);
  void build_receive();
  GstElement* make_source();
  GstElement* frame_sink(const char* name, bool remote);
  static GstFlowReturn on_remote_sample(GstElement* sink, gpointer self);
  static GstFlowReturn on_local_sample(GstElement* sink, gpointer self);
  void take_sample(GstElement* sink, LatestFrame& slot);
  static GstPadProbeReturn on_upstream_event(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn on_key_frame_request(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static gboolean on_rate_tick(gpointer self);
  void follow_reports();
  void watch_reports();
  static void on_rtcp(GObject* session, GstBuffer* buffer, gpointer self);

  StreamSlot slot_;
  VideoBranchConfig config_;
  int receive_pt_ = -1;
  Codec codec_ = Codec::kVp8;   // what both send (VP8 or H.264)
  bool feedback_pli_ = false;   // the peer takes RTCP PLI (a=rtcp-fb ... nack pli)
  bool feedback_fir_ = false;   // and FIR (ccm fir)
  bool feedback_nack_ = false;  // and generic NACK (nack): lost packets are asked for again
  int send_pt_ = -1;
  int rtx_send_pt_ = -1;     // RFC 4588, agreed: resent packets go out as rtx
  int rtx_receive_pt_ = -1;  // and come in as rtx
  // What resends our packets (rtprtxsend, or rtprtxqueue for a peer without rtx) and
  // its counter of packets resent; what unwraps the peer's resent ones (rtprtxreceive).
  GstPtr<GstElement> resender_;
  const char* resent_count_ = nullptr;
  const char* requests_count_ = nullptr;  // and of the packets the peer asked for again
  std::uint64_t requests_before_ = 0;     // both, at the previous second
  std::uint64_t packets_sent_before_ = 0;
  GstPtr<GstElement> rtx_receiver_;
  GstPtr<GstElement> send_;
  GstPtr<GstElement> receive_;
  GstElement* valve_ = nullptr;
  std::unique_ptr<PortalScreen> portal_;  // a Wayland share's portal session, held open
  GstElement* encoder_ = nullptr;
  SendRate send_rate_;
  // Our video's SSRC (the payloader's: chosen here so that the peer's report blocks
  // about it can be told from those about our rtx SSRC), the fraction of it the peer
  // last said it lost, and how many such reports came; the rate follows each new one.
  const guint ssrc_ = g_random_int();
  std::atomic<int> lost_256ths_{0};
  std::atomic<std::uint64_t> reports_{0};
  std::uint64_t reports_followed_ = 0;
  glib::SourceHandle rate_timer_;
  glib::GObjectPtr<GObject> rtcp_session_;  // the rtpbin session whose RTCP on_rtcp() reads
  // When the depayloader or decoder last asked the peer for a key frame (steady clock,
  // ns): they ask for every broken frame until one comes.
  std::atomic<std::int64_t> last_key_frame_request_{0};
  GstPad* decoder_sink_ = nullptr;  // the receive bin's ghost pad in front of the depayloader
  std::atomic<bool> receiving_{true};
  // Key frames the peer asked for (its PLI or FIR, as rtpbin hands them to our encoder).
  std::atomic<std::uint64_t> key_frames_asked_{0};
  std::shared_ptr<LatestFrame> remote_ = std::make_shared<LatestFrame>();
  std::shared_ptr<LatestFrame> local_ = std::make_shared<LatestFrame>();
  Bitrates bitrates_;
  std::uint64_t frames_at_last_reading_ = 0;
  std::chrono::steady_clock::time_point last_reading_ = std::chrono::steady_clock::now();
  double fps_ = 0;
};

}  // namespace lanline::media
