// PeerDirectory: raw DNS-SD records merged into one peer per node, this node hidden,
// Blink- and Ekiga-only peers kept, and the changes each record makes.
#include <gtest/gtest.h>

#include "core/peer_directory.hpp"

namespace lanline::core {
namespace {

using discovery::RecordKey;
using discovery::ServiceRecord;
using discovery::ServiceType;
using Kind = PeerChange::Kind;

constexpr const char* kOwn = "11111111-1111-4111-8111-111111111111";
constexpr const char* kBob = "22222222-2222-4222-8222-222222222222";
constexpr const char* kCarol = "33333333-3333-4333-8333-333333333333";

ServiceRecord sipuri(ServiceType type, const std::string& id, const std::string& host,
                     const std::string& address, int protocol, std::uint16_t port = 5060,
                     const std::string& name = "Bob", const std::string& user = "bob") {
  ServiceRecord r;
  // A node's contact is the same on every record: its IPv4 address.
  std::string at = address.find(':') == std::string::npos ? address : "198.18.0.2";
  std::string contact = "sip:" + user + "@" + at + ":" + std::to_string(port);
  r.key = RecordKey{type, contact, 2, protocol};
  r.host_name = host;
  r.address = address;
  r.port = port;
  r.txt = {{"txtvers", "1"},       {"name", name},         {"contact", "<" + contact + ">"},
           {"instance_id", id},    {"state", "available"}, {"note", ""},
           {"caps", "audio,chat"}, {"fp", "sha-256 AA:BB"}};
  return r;
}

ServiceRecord ekiga(const std::string& instance, const std::string& host,
                    const std::string& address, int protocol, std::uint16_t port = 5060,
                    const std::string& presence = "online") {
  ServiceRecord r;
  r.key = RecordKey{ServiceType::kSipUdp, instance, 2, protocol};
  r.host_name = host;
  r.address = address;
  r.port = port;
  r.txt = {{"presence", presence}, {"note", ""}, {"software", "Ekiga/4.0.1"}};
  return r;
}

std::vector<Kind> kinds(const std::vector<PeerChange>& changes) {
  std::vector<Kind> out;
  for (const auto& change : changes)
    out.push_back(change.kind);
  return out;
}

TEST(PeerDirectory, OneLanlineNodeOnTwoFamiliesIsOnePeer) {
  PeerDirectory directory(kOwn);
  auto changes =
      directory.upsert(sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4));
  ASSERT_EQ(kinds(changes), std::vector<Kind>{Kind::kAdded});
  EXPECT_FALSE(changes[0].peer.reachable);  // until a probe is answered
  directory.upsert(sipuri(ServiceType::kSipUriTcp, kBob, "hb.local", "198.18.0.2", 4));
  directory.upsert(sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "fe80::2%eth0", 6));
  // Ekiga's record joins by host and port, bringing `software`.
  changes = directory.upsert(ekiga("Bob", "hb.local", "fe80::2%eth0", 6));
  ASSERT_EQ(kinds(changes), std::vector<Kind>{Kind::kUpdated});
  // The same record over IPv4 adds nothing new: no change.
  EXPECT_TRUE(directory.upsert(ekiga("Bob", "hb.local", "198.18.0.2", 4)).empty());

  ASSERT_EQ(directory.peers().size(), 1u);
  const Peer& bob = directory.peers().begin()->second;
  EXPECT_EQ(bob.key, kBob);
  EXPECT_EQ(bob.instance_id, kBob);
  EXPECT_EQ(bob.name, "Bob");
  EXPECT_EQ(bob.uris, std::vector<std::string>{"sip:bob@198.18.0.2:5060"});
  EXPECT_EQ(bob.caps, "audio,chat");
  EXPECT_EQ(bob.fp, "sha-256 AA:BB");
  EXPECT_EQ(bob.software, "Ekiga/4.0.1");
  EXPECT_EQ(bob.presence, "available");
  ASSERT_EQ(bob.addresses.size(), 3u);
  EXPECT_EQ(bob.addresses[0].address, "198.18.0.2");    // IPv4 first
  EXPECT_EQ(bob.addresses[2].address, "fe80::2%eth0");  // link-local last, with its scope
  EXPECT_EQ(directory.records(), 5u);
}

// A TLS node's _sipuri._tcp record carries its TLS contact: an address over TLS on that
// port, at every address the record resolves to, and not a URI of its own (the record
// still says TCP on its SRV port, the SIP port).
TEST(PeerDirectory, TheTcpRecordsTlsContactIsATlsAddress) {
  PeerDirectory directory(kOwn);
  directory.upsert(sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4));
  for (auto [address, protocol] : {std::pair{"198.18.0.2", 4}, std::pair{"fe80::2%eth0", 6}}) {
    ServiceRecord tcp = sipuri(ServiceType::kSipUriTcp, kBob, "hb.local", address, protocol);
    tcp.txt["contact"] = "<sip:bob@198.18.0.2:5061;transport=tls>";
    directory.upsert(tcp);
  }
  // Another node's sips: contact without a port: TLS on 5061 (RFC 5630, RFC 3263).
  ServiceRecord carol = sipuri(ServiceType::kSipUriTcp, kCarol, "hc.local", "198.18.0.3", 4);
  carol.txt["contact"] = "<sips:carol@198.18.0.3>";
  directory.upsert(carol);
  // A plain contact on the _tcp record (an older node) is TCP, as before.
  ServiceRecord dave = sipuri(ServiceType::kSipUriTcp, "44444444-4444-4444-8444-444444444444",
                              "hd.local", "198.18.0.4", 4);
  directory.upsert(dave);

  const Peer& bob = directory.peers().at(kBob);
  EXPECT_EQ(bob.uris, std::vector<std::string>{"sip:bob@198.18.0.2:5060"});
  std::vector<PeerAddress> expected{{"198.18.0.2", 5060, "udp"},
                                    {"198.18.0.2", 5060, "tcp"},
                                    {"198.18.0.2", 5061, "tls"},
                                    {"fe80::2%eth0", 5060, "tcp"},
                                    {"fe80::2%eth0", 5061, "tls"}};
  EXPECT_EQ(bob.addresses, expected);
  EXPECT_EQ(directory.peers().at(kCarol).addresses,
            (std::vector<PeerAddress>{{"198.18.0.3", 5060, "tcp"}, {"198.18.0.3", 5061, "tls"}}));
  EXPECT_EQ(directory.peers().at("44444444-4444-4444-8444-444444444444").addresses,
            (std::vector<PeerAddress>{{"198.18.0.4", 5060, "tcp"}}));
}

TEST(PeerDirectory, ThisNodeIsHiddenOtherUsersOnTheSameHostAreNot) {
  PeerDirectory directory(kOwn);
  // Our own records, by instance id, and our _sip._udp by Avahi's OUR_OWN flag.
  EXPECT_TRUE(directory
                  .upsert(sipuri(ServiceType::kSipUriUdp, kOwn, "ha.local", "198.18.0.1", 4, 5060,
                                 "Alice", "alice"))
                  .empty());
  ServiceRecord own_sip = ekiga("Alice", "ha.local", "198.18.0.1", 4);
  own_sip.own = true;
  EXPECT_TRUE(directory.upsert(own_sip).empty());
  // Even without the flag, a record at our own host and port is ours.
  EXPECT_TRUE(directory.upsert(ekiga("Alice", "ha.local", "198.18.0.1", 6)).empty());
  // Another user's node on the same host, on another port, is a peer.
  auto changes = directory.upsert(
      sipuri(ServiceType::kSipUriUdp, kCarol, "ha.local", "198.18.0.1", 4, 5062, "Carol", "carol"));
  ASSERT_EQ(kinds(changes), std::vector<Kind>{Kind::kAdded});
  EXPECT_EQ(changes[0].peer.name, "Carol");
  EXPECT_EQ(directory.peers().size(), 1u);
}

TEST(PeerDirectory, BlinkAndEkigaOnlyPeers) {
  PeerDirectory directory(kOwn);
  ServiceRecord blink;
  blink.key = RecordKey{ServiceType::kSipUriUdp, "sip:blink@198.18.0.3:5072", 2, 4};
  blink.host_name = "hc.local";
  blink.address = "198.18.0.3";
  blink.port = 5072;
  blink.txt = {
      {"txtvers", "1"}, {"name", "Blink User"}, {"contact", "<sip:blink@198.18.0.3:5072>"}};
  directory.upsert(blink);
  directory.upsert(ekiga("Ekiga User", "hc.local", "198.18.0.3", 4, 5074, "dnd"));
  directory.upsert(ekiga("Ekiga User", "hc.local", "fe80::3%eth0", 6, 5074, "dnd"));
  ASSERT_EQ(directory.peers().size(), 2u);
  const Peer* b = directory.find("hc.local:5072");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name, "Blink User");
  EXPECT_EQ(b->uris, std::vector<std::string>{"sip:blink@198.18.0.3:5072"});
  EXPECT_EQ(b->instance_id, "");
  const Peer* e = directory.find("hc.local:5074");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "Ekiga User");
  EXPECT_EQ(e->presence, "busy");  // Ekiga's "dnd"
  // Ekiga's records carry no contact: sip:ADDRESS:PORT, IPv4 first, the scope escaped.
  EXPECT_EQ(e->uris,
            (std::vector<std::string>{"sip:198.18.0.3:5074", "sip:[fe80::3%25eth0]:5074"}));
}

TEST(PeerDirectory, PresenceAndNoteFollowTheTxt) {
  PeerDirectory directory(kOwn);
  ServiceRecord r = sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4);
  directory.upsert(r);
  r.txt["state"] = "away";
  r.txt["note"] = "in a meeting";
  auto changes = directory.upsert(r);
  ASSERT_EQ(kinds(changes), std::vector<Kind>{Kind::kUpdated});
  EXPECT_EQ(changes[0].peer.presence, "away");
  EXPECT_EQ(changes[0].peer.note, "in a meeting");
  // The same data again changes nothing.
  EXPECT_TRUE(directory.upsert(r).empty());
}

TEST(PeerDirectory, RemovedWhenTheLastRecordGoes) {
  PeerDirectory directory(kOwn);
  ServiceRecord v4 = sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4);
  ServiceRecord v6 = sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "fe80::2%eth0", 6);
  directory.upsert(v4);
  directory.upsert(v6);
  EXPECT_EQ(kinds(directory.remove(v4.key)), std::vector<Kind>{Kind::kUpdated});
  EXPECT_EQ(directory.peers().begin()->second.addresses.size(), 1u);
  auto changes = directory.remove(v6.key);
  ASSERT_EQ(kinds(changes), std::vector<Kind>{Kind::kRemoved});
  EXPECT_EQ(changes[0].peer.key, kBob);
  EXPECT_TRUE(directory.peers().empty());
  EXPECT_TRUE(directory.remove(v6.key).empty());  // a second removal is nothing
}

TEST(PeerDirectory, ReachabilitySurvivesRecordChanges) {
  PeerDirectory directory(kOwn);
  ServiceRecord r = sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4);
  directory.upsert(r);
  EXPECT_EQ(kinds(directory.set_reachable(kBob, true)), std::vector<Kind>{Kind::kUpdated});
  EXPECT_TRUE(directory.set_reachable(kBob, true).empty());  // no change, no event
  r.txt["note"] = "back soon";
  directory.upsert(r);
  EXPECT_TRUE(directory.find(kBob)->reachable);
  EXPECT_TRUE(directory.set_reachable("nobody", true).empty());
}

TEST(PeerDirectory, AnEkigaRecordSeenFirstJoinsItsNodeLater) {
  PeerDirectory directory(kOwn);
  EXPECT_EQ(kinds(directory.upsert(ekiga("Bob", "hb.local", "198.18.0.2", 4))),
            std::vector<Kind>{Kind::kAdded});
  auto changes =
      directory.upsert(sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4));
  // The host:port peer becomes the node's peer.
  EXPECT_EQ(kinds(changes), (std::vector<Kind>{Kind::kRemoved, Kind::kAdded}));
  ASSERT_EQ(directory.peers().size(), 1u);
  EXPECT_EQ(directory.peers().begin()->first, kBob);
}

TEST(PeerDirectory, MatchByInstanceIdOrName) {
  PeerDirectory directory(kOwn);
  directory.upsert(sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4));
  directory.upsert(
      sipuri(ServiceType::kSipUriUdp, kCarol, "hc.local", "198.18.0.3", 4, 5060, "Bob", "carol"));
  EXPECT_EQ(directory.match("bob").size(), 2u);  // names compare case-blind
  ASSERT_EQ(directory.match(kCarol).size(), 1u);
  EXPECT_EQ(directory.match(kCarol)[0]->key, kCarol);
  EXPECT_TRUE(directory.match("Dave").empty());
}

TEST(PeerDirectory, ClearRemovesEveryPeer) {
  PeerDirectory directory(kOwn);
  directory.upsert(sipuri(ServiceType::kSipUriUdp, kBob, "hb.local", "198.18.0.2", 4));
  directory.upsert(ekiga("Ekiga User", "hc.local", "198.18.0.3", 4, 5074));
  EXPECT_EQ(kinds(directory.clear()), (std::vector<Kind>{Kind::kRemoved, Kind::kRemoved}));
  EXPECT_TRUE(directory.peers().empty());
  EXPECT_EQ(directory.records(), 0u);
}

TEST(PeerDirectory, OddRecordsDoNotBreakIt) {
  PeerDirectory directory(kOwn);
  ServiceRecord r;
  r.key = RecordKey{ServiceType::kSipUriUdp, "x", 1, 4};
  r.txt = {{"contact", "<not a uri"}, {"name", ""}};
  auto changes = directory.upsert(r);  // no address, no host, a broken contact
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].peer.uris.empty());
  EXPECT_TRUE(changes[0].peer.addresses.empty());
  EXPECT_EQ(changes[0].peer.name, "x");
}

}  // namespace
}  // namespace lanline::core
