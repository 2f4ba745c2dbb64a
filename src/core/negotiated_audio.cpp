#include "core/negotiated_audio.hpp"

namespace lanline::core {

std::vector<StreamDescription> to_streams(const sdp::AudioAgreement& agreement) {
  StreamDescription audio;
  for (const auto& c : agreement.codecs) {
    auto codec = codec_for_rtpmap(c.encoding, c.clock_rate, c.channels);
    if (!codec) continue;
    audio.codecs.push_back(NegotiatedCodec{*codec, c.fmtp, c.send_pt, c.receive_pt, {}});
  }
  audio.telephone_event_send_pt = agreement.telephone_event_send_pt;
  audio.telephone_event_receive_pt = agreement.telephone_event_receive_pt;
  audio.remote = PlainTransport{agreement.remote_address, agreement.remote_rtp_port,
                                agreement.remote_rtcp_port};
  audio.rtcp_mux = agreement.rtcp_mux;
  audio.send = agreement.send;
  audio.receive = agreement.receive;
  audio.ptime_ms = static_cast<int>(agreement.ptime);
  return {audio};
}

}  // namespace lanline::core
