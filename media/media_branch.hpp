// What a call pipeline needs from one stream's branch (audio_branch.hpp today; video and
// screen later): what it sends, what it plays, and its answers to rtpbin's questions
// about its session. A branch knows its codecs and devices, never the network: its RTP
// goes into rtpbin, and the transport under rtpbin (media_transport.hpp) is the pipeline's
// business. Like a transport it is two elements, one each way, so the graph has no loop.
#pragma once

#include <gst/gst.h>

#include <string>

namespace lanline::media {

// What a branch is given of the call pipeline it is built into.
struct StreamSlot {
  GMainContext* context = nullptr;  // the engine's: its timers and bus messages run there
  GstElement* pipeline = nullptr;
  GstElement* rtpbin = nullptr;  // one for all of the call's streams (lip-sync)
  unsigned session = 0;          // this stream's session in it
  std::string name;              // "call 7", for logs
};

class MediaBranch {
 public:
  virtual ~MediaBranch() = default;

  // What it sends: a bin whose "src" pad gives RTP for the session's send_rtp_sink.
  virtual GstElement* send_element() const = 0;
  // What it plays: a bin; add_received() links rtpbin's per-stream pads into it.
  virtual GstElement* receive_element() const = 0;
  // Whether what arrives for it goes into rtpbin now (false on hold). On the network's
  // streaming thread, for every RTP packet.
  virtual bool receiving() const = 0;
  // rtpbin's request-pt-map: what payload type `pt` carries, or nullptr (its packets are
  // dropped). Streaming thread.
  virtual GstCaps* caps_for(guint pt) = 0;
  // A new stream from the peer (one per SSRC and payload type). Streaming thread.
  virtual void add_received(GstPad* pad, guint pt) = 0;
  // An element message posted by one of its elements (level, dtmf-event). Engine thread.
  virtual void handle(GstMessage* message) = 0;
  // Before the pipeline stops: finish what must be (a recording's header). Engine thread.
  virtual void finish() = 0;
  // Whether its session sends RTCP feedback early (RFC 4585 AVPF: a PLI at once, not
  // with the next regular report): video repairs loss with it.
  virtual bool early_feedback() const { return false; }
  // rtpbin's request-aux-sender and request-aux-receiver for its session: RFC 4588
  // retransmission (rtprtxsend, rtprtxreceive), a bin with pads sink_SESSION and
  // src_SESSION, or nullptr for none. Engine thread, while the session is made.
  virtual GstElement* make_retransmission_sender() { return nullptr; }
  virtual GstElement* make_retransmission_receiver() { return nullptr; }
  // A jitter buffer rtpbin made for a new stream from the peer in its session: how long
  // it waits for a missing packet and whether it asks for it again (NACK). Streaming
  // thread.
  virtual void configure_jitter_buffer(GstElement* /*jitter_buffer*/) {}
};

}  // namespace lanline::media
