// The TXT records a node publishes (DESIGN.md, "Discovery") and the decoding of any peer's
// TXT strings (RFC 6763 6). Pure: no Avahi, so both directions are unit-tested.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lanline::discovery {

// What this node says about itself.
struct Advert {
  std::string display_name;  // "Alice Liddell"
  std::string contact_uri;   // "sip:alice@198.18.0.1:5060"
  // Where it takes SIP over TLS, the _sipuri._tcp record's contact when set (issue 14):
  // "sip:alice@198.18.0.1:5061;transport=tls".
  std::string tls_contact_uri;
  std::string instance_id;          // a UUID kept in the profile
  std::string state = "available";  // available | away | busy
  std::string note;
  std::string caps;      // "audio,chat"
  std::string fp;        // "sha-256 AB:CD:..." (SDP a=fingerprint style, RFC 8122)
  std::string software;  // "Lanline/0.1.0"
};

// _sipuri._udp and _sipuri._tcp: txtvers, name, contact, instance_id, state, note, caps, fp.
// The _tcp record's contact is the TLS one (`tcp`), when the node has it.
std::vector<std::string> sipuri_txt(const Advert& advert, bool tcp = false);
// _sip._udp: presence, note, software (Ekiga's keys; Ekiga says "online" for available).
std::vector<std::string> sip_txt(const Advert& advert);

// Ekiga's presence word for a state, and back ("online" -> "available").
std::string ekiga_presence(std::string_view state);
std::string state_from_ekiga(std::string_view presence);

// RFC 6763 6.3-6.5: "key=value" strings to a map. Keys are compared case-insensitively
// (lower-cased here); the first occurrence of a key wins; a string without '=' is a key
// with an empty value; an empty key, or one with non-printable bytes, is dropped.
std::map<std::string, std::string> parse_txt(const std::vector<std::string>& strings);

// A DNS-SD instance name is at most 63 bytes (RFC 6763 7.2); cut on a UTF-8 boundary.
std::string instance_name(std::string_view name);

// "<sip:alice@host>" -> "sip:alice@host"; an unbracketed URI stays as it is.
std::string strip_angle_brackets(std::string_view contact);

}  // namespace lanline::discovery
