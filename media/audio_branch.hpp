// One audio stream of a call, as a branch of its call pipeline (call_pipeline.hpp):
//
//   send:    source ─ convert ─ resample ─ [webrtcdsp] ─ level ─ volume(mute) ─ valve(send)
//            ─ encoder ─ payloader ─ [funnel + rtpdtmfsrc] ─▶ rtpbin
//   receive: rtpbin ─▶ per codec the peer may send: depayloader ─ decoder ─ funnel
//            ─ audiorate ─ level ─ [webrtcechoprobe] ─ sink       (+ rtpdtmfdepay)
//
// audiorate fills the time the peer sent nothing (hold) with silence, so a recording of a
// held call has the hold's length of silence. It reads what was agreed from the stream's
// StreamDescription, and only the devices and a name from elsewhere. Built and driven on
// the engine's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/stream_description.hpp"
#include "media/audio_endpoints.hpp"
#include "media/dtmf.hpp"
#include "media/gst_handles.hpp"
#include "media/level_meter.hpp"
#include "media/media_branch.hpp"
#include "media/session_stats.hpp"

namespace lanline::media {

// A branch's settings: what offer/answer agreed, and what is not negotiated.
struct AudioBranchConfig {
  StreamDescription stream;
  AudioSource source;
  AudioSink sink;
  std::string name = "call";  // for logs
};

struct AudioEvents {
  std::function<void(char)> on_dtmf;  // a telephone-event digit received
};

struct AudioStats {
  std::string codec;  // "opus/48000/2"
  double send_kbps = 0;
  double receive_kbps = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::int64_t packets_lost = 0;     // of the peer's stream, as our jitter buffer counts them
  double loss_fraction = 0;          // of our stream, from the peer's newest receiver report
  double jitter_ms = 0;              // of the peer's stream, RFC 3550 A.8
  double rtt_ms = -1;                // from the peer's RR (LSR/DLSR, RFC 3550 6.4.1); -1 none yet
  double mic_level_db = kSilenceDb;  // what we send, before mute: peak of the last 100 ms, dBFS
  double speaker_level_db = kSilenceDb;  // what we play: peak of the last 100 ms, dBFS
};

// The codec we send: the first agreed one the peer gave a payload type; nullptr if none.
const NegotiatedCodec* codec_to_send(const StreamDescription& stream);

class AudioBranch final : public MediaBranch {
 public:
  // Builds the branch for `slot` (CallPipeline::next_slot()); hand it to add_stream().
  // nullptr with `error` when it cannot be built (no codec to send, a missing plugin, an
  // unreadable source file).
  static std::unique_ptr<AudioBranch> create(const StreamSlot& slot, AudioBranchConfig config,
                                             AudioEvents events, std::string& error);
  ~AudioBranch() override;

  // Whether a branch built for `built` can take `next` as it runs: only the direction
  // changes live; other codecs, payload types, telephone-event or ptime need a new one.
  static bool takes_live(const StreamDescription& built, const StreamDescription& next);

  // Hold and resume, live: sending stops at the valve, receiving at the pipeline's gate.
  void set_direction(bool send, bool receive);
  void set_mute(bool muted);
  bool muted() const;
  // Queues RFC 4733 events for "0-9*#A-D"; false when telephone-event was not agreed or a
  // character is not a DTMF digit.
  bool send_dtmf(const std::string& digits);
  AudioStats stats();
  const AudioBranchConfig& config() const { return config_; }

  GstElement* send_element() const override { return send_.get(); }
  GstElement* receive_element() const override { return receive_.get(); }
  bool receiving() const override { return receiving_.load(); }
  GstCaps* caps_for(guint pt) override;
  void add_received(GstPad* pad, guint pt) override;
  void handle(GstMessage* message) override;
  // Ends the recording cleanly (EOS through the WAV writer, so its header is right).
  void finish() override;

 private:
  struct ReceiveCodec {
    Codec codec;
    int pt;  // the payload type the peer puts in its packets (the one we wrote)
  };
  struct Decoder {
    int pt;
    GstPad* sink;  // the receive bin's ghost pad in front of its depayloader
  };

  AudioBranch(const StreamSlot& slot, AudioBranchConfig config, AudioEvents events);
  void build(const NegotiatedCodec& send_codec);
  void build_send(const NegotiatedCodec& send_codec, bool echo_cancel);
  GstElement* add_dtmf_source(GstElement* payloader, int clock_rate);
  void build_receive(bool echo_cancel);
  void add_dtmf_receiver(GstPad* pad);
  int dtmf_clock_rate() const;

  StreamSlot slot_;
  AudioBranchConfig config_;
  AudioEvents events_;
  Codec send_codec_ = Codec::kOpus;
  std::vector<ReceiveCodec> receive_codecs_;
  int ptime_ms_ = 20;
  GstPtr<GstElement> send_;
  GstPtr<GstElement> receive_;
  GstElement* volume_ = nullptr;
  GstElement* valve_ = nullptr;
  std::vector<Decoder> decoders_;
  unsigned dtmf_receivers_ = 0;
  std::unique_ptr<DtmfSender> dtmf_;  // nullptr when telephone-event was not agreed
  std::atomic<bool> receiving_{true};
  Bitrates bitrates_;
  // The level meters' latest readings (dBFS), from their bus messages.
  double mic_level_db_ = kSilenceDb;
  double speaker_level_db_ = kSilenceDb;
};

}  // namespace lanline::media
