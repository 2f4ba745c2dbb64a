// The error of the SDP parser and offer/answer, and their Result.
#pragma once

#include <string>

#include "common/result.hpp"

namespace lanline::sdp {

struct Error {
  std::string reason;  // one line: what was wrong and where ("line 4 (m=): bad port '7x'")
};

template <class T>
using Result = lanline::Result<T, Error>;

}  // namespace lanline::sdp
