// From what offer/answer agreed (sdp::AudioAgreement) to what the media side is given
// (core::NegotiatedAudio). It lives in core because src/sdp knows nothing of core.
#pragma once

#include "core/call_media.hpp"
#include "sdp/offer_answer.hpp"

namespace lanline::core {

NegotiatedAudio to_negotiated_audio(const sdp::AudioAgreement& agreement);

}  // namespace lanline::core
