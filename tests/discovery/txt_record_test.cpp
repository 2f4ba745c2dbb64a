// The TXT records of DESIGN.md, and decoding any peer's TXT strings (RFC 6763 6).
#include <gtest/gtest.h>

#include "discovery/service_record.hpp"
#include "discovery/txt_record.hpp"

namespace lanline::discovery {
namespace {

Advert alice() {
  Advert a;
  a.display_name = "Alice";
  a.contact_uri = "sip:alice@198.18.0.1:5060";
  a.instance_id = "6f1c2a0e-0000-4000-8000-000000000001";
  a.state = "away";
  a.note = "in a meeting";
  a.caps = "audio,chat";
  a.fp = "sha-256 AB:CD";
  a.software = "Lanline/0.1.0";
  return a;
}

TEST(TxtRecord, SipUriCarriesBlinksKeysAndOurs) {
  EXPECT_EQ(
      sipuri_txt(alice()),
      (std::vector<std::string>{"txtvers=1", "name=Alice", "contact=<sip:alice@198.18.0.1:5060>",
                                "instance_id=6f1c2a0e-0000-4000-8000-000000000001", "state=away",
                                "note=in a meeting", "caps=audio,chat", "fp=sha-256 AB:CD"}));
}

TEST(TxtRecord, SipCarriesEkigasKeys) {
  EXPECT_EQ(sip_txt(alice()), (std::vector<std::string>{"presence=away", "note=in a meeting",
                                                        "software=Lanline/0.1.0"}));
  Advert available = alice();
  available.state = "available";
  EXPECT_EQ(sip_txt(available)[0], "presence=online");  // Ekiga's word
}

TEST(TxtRecord, EachStringFitsItsLengthByteOnAUtf8Boundary) {
  Advert a = alice();
  a.note.clear();
  for (int i = 0; i < 200; ++i)
    a.note += "€";  // three bytes each
  for (const std::string& s : sipuri_txt(a)) {
    EXPECT_LE(s.size(), 255u);
    // Never ends in the middle of a character: the last byte is not a lead byte.
    EXPECT_NE(static_cast<unsigned char>(s.back()), 0xE2);
    EXPECT_NE(static_cast<unsigned char>(s.back()), 0x82);
  }
  std::string note = sipuri_txt(a)[5];
  EXPECT_EQ(note.size(), 254u);  // "note=" + 83 whole characters of 3 bytes
}

TEST(TxtRecord, ParseFollowsRfc6763) {
  auto txt = parse_txt({"Name=Bob", "name=second", "flag", "=nokey", "note=", "caps=a=b",
                        std::string("bad\x01key=1"), "STATE=busy"});
  EXPECT_EQ(txt.at("name"), "Bob");  // the first occurrence wins, keys case-blind
  EXPECT_EQ(txt.at("flag"), "");     // a key with no '=' is present and empty
  EXPECT_EQ(txt.count(""), 0u);      // an empty key is dropped
  EXPECT_EQ(txt.at("note"), "");
  EXPECT_EQ(txt.at("caps"), "a=b");  // only the first '=' separates
  EXPECT_EQ(txt.at("state"), "busy");
  EXPECT_EQ(txt.size(), 5u);  // the key with a control byte is dropped
}

TEST(TxtRecord, RoundTrip) {
  auto txt = parse_txt(sipuri_txt(alice()));
  EXPECT_EQ(txt.at("contact"), "<sip:alice@198.18.0.1:5060>");
  EXPECT_EQ(strip_angle_brackets(txt.at("contact")), "sip:alice@198.18.0.1:5060");
  EXPECT_EQ(txt.at("instance_id"), alice().instance_id);
  EXPECT_EQ(txt.size(), 8u);
}

TEST(TxtRecord, Helpers) {
  EXPECT_EQ(strip_angle_brackets(" sip:bob@h "), "sip:bob@h");
  EXPECT_EQ(strip_angle_brackets("\"Bob\" <sip:bob@h>;x=1"), "sip:bob@h");
  EXPECT_EQ(state_from_ekiga("Online"), "available");
  EXPECT_EQ(state_from_ekiga("dnd"), "busy");
  EXPECT_EQ(state_from_ekiga("away"), "away");
  EXPECT_EQ(state_from_ekiga("lunch"), "lunch");
  EXPECT_EQ(ekiga_presence("busy"), "busy");
  std::string long_name(70, 'x');
  EXPECT_EQ(instance_name(long_name).size(), 63u);
  EXPECT_EQ(type_name(ServiceType::kSipUriTcp), "_sipuri._tcp");
}

}  // namespace
}  // namespace lanline::discovery
