// Who this node is across restarts: a UUID that names its instance in DNS-SD
// (`instance_id`), and a self-signed EC P-256 certificate whose SHA-256 fingerprint it
// publishes (`fp`) and that DTLS-SRTP will present (RFC 5763). Made on first start, kept
// under the profile's data directory, the key readable by its owner only.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace lanline::engine {

struct NodeIdentity {
  std::string instance_id;  // "6f1c2a0e-...": RFC 4122 version 4
  std::string fingerprint;  // "sha-256 AB:CD:...", as SDP's a=fingerprint writes it (RFC 8122)
  std::filesystem::path certificate;  // PEM
  std::filesystem::path key;          // PEM, mode 0600
};

// Loads the identity kept in `directory`, or makes whatever part of it is missing. On
// failure `error` says what went wrong and what to do.
std::optional<NodeIdentity> load_or_create_identity(const std::filesystem::path& directory,
                                                    std::string& error);

}  // namespace lanline::engine
