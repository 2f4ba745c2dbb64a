#include "core/negotiated_audio.hpp"

namespace lanline::core {

NegotiatedAudio to_negotiated_audio(const sdp::AudioAgreement& agreement) {
  NegotiatedAudio audio;
  for (const auto& c : agreement.codecs) {
    MediaCodec codec;
    codec.encoding = c.encoding;
    codec.clock_rate = static_cast<int>(c.clock_rate);
    codec.channels = static_cast<int>(c.channels);
    codec.fmtp = c.fmtp;
    codec.send_pt = c.send_pt;
    codec.receive_pt = c.receive_pt;
    audio.codecs.push_back(std::move(codec));
  }
  audio.telephone_event_send_pt = agreement.telephone_event_send_pt;
  audio.telephone_event_receive_pt = agreement.telephone_event_receive_pt;
  audio.remote_address = agreement.remote_address;
  audio.remote_rtp_port = agreement.remote_rtp_port;
  audio.remote_rtcp_port = agreement.remote_rtcp_port;
  audio.rtcp_mux = agreement.rtcp_mux;
  audio.send = agreement.send;
  audio.receive = agreement.receive;
  audio.ptime_ms = static_cast<int>(agreement.ptime);
  return audio;
}

}  // namespace lanline::core
