// What arrives on one network flow (a UDP socket today, an ICE component later), sorted
// by RFC 7983 7's first-octet ranges before anything reaches rtpbin: 0-3 STUN, 20-63
// DTLS, 128-191 RTP or RTCP; then, where RTP and RTCP share the flow (rtcp-mux), RTCP by
// its packet type in the second octet, 192-223 (RFC 5761 4). STUN and DTLS are dropped and
// counted until ICE and DTLS-SRTP take them; anything outside the ranges is dropped, as
// RFC 7983 7 says. The rest goes on: RTP to rtpbin's RTP pad, RTCP to its RTCP pad.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace lanline::media {

enum class PacketKind { kStun, kDtls, kRtp, kRtcp, kUnknown };

// Where DTLS records go (DTLS-SRTP's handshake), on the streaming thread.
using DtlsReceiver = std::function<void(const std::uint8_t* data, std::size_t size)>;

// RFC 7983 7, then RFC 5761 4 within the RTP range. ZRTP (16-19) and TURN channels
// (64-79) are not used by Lanline: kUnknown.
constexpr PacketKind classify_datagram(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return PacketKind::kUnknown;
  const std::uint8_t first = data[0];
  if (first <= 3) return PacketKind::kStun;
  if (first >= 20 && first <= 63) return PacketKind::kDtls;
  if (first >= 128 && first <= 191) {
    if (size < 2) return PacketKind::kUnknown;
    return data[1] >= 192 && data[1] <= 223 ? PacketKind::kRtcp : PacketKind::kRtp;
  }
  return PacketKind::kUnknown;
}

// Datagrams of a flow by what they were, since it was built.
struct DemuxCounters {
  std::uint64_t rtp = 0;      // passed on to rtpbin's RTP pad
  std::uint64_t rtcp = 0;     // passed on to its RTCP pad
  std::uint64_t stun = 0;     // dropped: no ICE on this stream yet
  std::uint64_t dtls = 0;     // dropped: no DTLS-SRTP yet
  std::uint64_t unknown = 0;  // dropped: in none of RFC 7983's ranges
  DemuxCounters& operator+=(const DemuxCounters& other);
};

// Sorts the buffers leaving one network source pad, on its streaming thread.
class DatagramDemux {
 public:
  enum class Flow {
    kRtp,         // RTP only, its RTCP on a flow of its own beside it
    kRtcp,        // the RTCP flow beside an RTP-only one (RFC 3550 11: RTP port + 1)
    kRtpAndRtcp,  // both (rtcp-mux, RFC 5761): RTCP is pushed into `rtcp_out`
  };
  // `rtcp_out`: an appsrc, for kRtpAndRtcp only. `name` is for logs.
  DatagramDemux(std::string name, Flow flow, GstElement* rtcp_out = nullptr);
  ~DatagramDemux();  // the probe goes with it
  DatagramDemux(const DatagramDemux&) = delete;
  DatagramDemux& operator=(const DatagramDemux&) = delete;

  // Sorts what `pad` (a source's src pad) pushes from now on. Once.
  void attach(GstPad* pad);
  // DTLS records go there rather than being dropped. Before the flow starts.
  void set_dtls_receiver(DtlsReceiver receiver) { dtls_receiver_ = std::move(receiver); }
  DemuxCounters counters() const;

 private:
  static GstPadProbeReturn on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  GstPadProbeReturn sort(GstBuffer* buffer);

  std::string name_;
  Flow flow_;
  GstElement* rtcp_out_;  // owned by the transport's bin
  DtlsReceiver dtls_receiver_;
  GstPad* pad_ = nullptr;
  gulong probe_ = 0;
  std::atomic<std::uint64_t> rtp_{0};
  std::atomic<std::uint64_t> rtcp_{0};
  std::atomic<std::uint64_t> stun_{0};
  std::atomic<std::uint64_t> dtls_{0};
  std::atomic<std::uint64_t> unknown_{0};
};

}  // namespace lanline::media
