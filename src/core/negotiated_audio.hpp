// From what offer/answer agreed for the audio stream (sdp::AudioAgreement) to the call's
// stream descriptions CallMedia is given. Interim: it goes once the Negotiator writes
// StreamDescriptions itself.
#pragma once

#include <vector>

#include "common/stream_description.hpp"
#include "sdp/offer_answer.hpp"

namespace lanline::core {

std::vector<StreamDescription> to_streams(const sdp::AudioAgreement& agreement);

}  // namespace lanline::core
