#include "engine/short_auth_string.hpp"

#include <cstdio>

namespace lanline::engine {

std::string short_auth_string(std::uint32_t value) {
  // 2^32 is not a multiple of 10^6: the lowest 967,296 strings are a 4,295th likelier
  // than the rest, which no one comparing by voice could use.
  const unsigned digits = value % 1000000u;
  char text[8];
  std::snprintf(text, sizeof text, "%03u %03u", digits / 1000, digits % 1000);
  return text;
}

}  // namespace lanline::engine
