// Two DTLS-SRTP handshakes (media/dtls_handshake.hpp) talking to each other on one main
// context, with real self-signed EC certificates as nodes make them: keys that mirror
// each other, a certificate that is not the SDP's refused, a lost flight resent.
#include "media/dtls_handshake.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "../net/loop_support.hpp"
#include "../net/test_certificate.hpp"

namespace lanline::media {
namespace {

using namespace std::chrono_literals;
using net::test::MainContext;

// A node's certificate (tests/net/test_certificate.hpp) as DTLS takes it: the SDP's
// fingerprint without its "sha-256 " prefix.
struct Identity {
  DtlsCredentials files;
  std::string fingerprint;
};

Identity make_identity(const std::string& dir, const std::string& name) {
  test::TestCertificate made = test::make_test_certificate(dir, name);
  return Identity{{made.certificate_path, made.key_path}, made.fingerprint.substr(8)};
}

class DtlsHandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lanline-dtls-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    alice_ = make_identity(dir_, "alice");
    bob_ = make_identity(dir_, "bob");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Side {
    std::unique_ptr<DtlsHandshake> handshake;
    std::optional<DtlsOutcome> outcome;
    int sent = 0;
  };

  // Alice the client, bob the server; each expects `fingerprint_of_*` for the other.
  // The first `lose` datagrams alice sends are lost.
  void connect(const std::string& alice_expects, const std::string& bob_expects, int lose = 0) {
    lose_ = lose;
    auto make = [this](Side& self, Side& other, const Identity& identity,
                       const std::string& expects, bool client, const char* name) {
      DtlsParameters peer{"sha-256", expects, client ? DtlsSetup::kPassive : DtlsSetup::kActive,
                          client};
      std::string error;
      const bool is_alice = client;
      self.handshake = DtlsHandshake::create(
          context_.get(), identity.files, peer, name,
          [this, &self, &other, is_alice](const std::uint8_t* data, std::size_t size) {
            ++self.sent;
            if (is_alice && lose_ > 0) {
              --lose_;
              return;
            }
            // Delivered on a later iteration, as a datagram would be.
            auto copy = std::make_shared<std::vector<std::uint8_t>>(data, data + size);
            invoke_later([&other, copy] {
              if (other.handshake) other.handshake->receive(copy->data(), copy->size());
            });
          },
          [&self](const DtlsOutcome& outcome) { self.outcome = outcome; }, error);
      ASSERT_TRUE(self.handshake) << error;
    };
    make(alice_side_, bob_side_, alice_, alice_expects, true, "alice");
    make(bob_side_, alice_side_, bob_, bob_expects, false, "bob");
    bob_side_.handshake->start();
    alice_side_.handshake->start();
  }

  void invoke_later(std::function<void()> work) {
    auto* job = new std::function<void()>(std::move(work));
    GSource* source = g_idle_source_new();
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
          (*static_cast<std::function<void()>*>(data))();
          return G_SOURCE_REMOVE;
        },
        job, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
    g_source_attach(source, context_.get());
    g_source_unref(source);
  }

  bool both_done(std::chrono::milliseconds within) {
    return context_.run_until([this] { return alice_side_.outcome && bob_side_.outcome; }, within);
  }

  MainContext context_;
  std::string dir_;
  Identity alice_;
  Identity bob_;
  Side alice_side_;
  Side bob_side_;
  int lose_ = 0;
};

TEST_F(DtlsHandshakeTest, KeysMirrorEachOther) {
  connect(bob_.fingerprint, alice_.fingerprint);
  ASSERT_TRUE(both_done(5s));
  ASSERT_TRUE(alice_side_.outcome->keys) << alice_side_.outcome->error;
  ASSERT_TRUE(bob_side_.outcome->keys) << bob_side_.outcome->error;
  const SrtpKeys& a = *alice_side_.outcome->keys;
  const SrtpKeys& b = *bob_side_.outcome->keys;
  EXPECT_EQ(a.suite, SrtpSuite::kAes128Sha1_80);  // the profile we prefer
  EXPECT_EQ(a.send_key.size(), 30u);
  EXPECT_EQ(a.send_key, b.receive_key);
  EXPECT_EQ(a.receive_key, b.send_key);
  EXPECT_NE(a.send_key, a.receive_key);
  // The short authentication string's number: the same at both ends of this handshake.
  EXPECT_EQ(alice_side_.outcome->sas_value, bob_side_.outcome->sas_value);
  EXPECT_NE(alice_side_.outcome->sas_value, 0u);
  EXPECT_TRUE(alice_side_.handshake->finished());
}

// Bob answers with his own certificate where alice's SDP named another one (a man in
// the middle that rewrote the SDP would hold neither key): alice refuses during the
// handshake, and neither side gets keys.
TEST_F(DtlsHandshakeTest, ACertificateThatIsNotTheSdpsIsRefused) {
  Identity mallory = make_identity(dir_, "mallory");
  connect(mallory.fingerprint, alice_.fingerprint);
  ASSERT_TRUE(context_.run_until([this] { return alice_side_.outcome.has_value(); }, 5s));
  EXPECT_FALSE(alice_side_.outcome->keys);
  EXPECT_NE(alice_side_.outcome->error.find("not the one its SDP names"), std::string::npos)
      << alice_side_.outcome->error;
  context_.run_for(300ms);
  EXPECT_FALSE(bob_side_.outcome && bob_side_.outcome->keys);

  // The other way: bob expects mallory, alice is refused by him.
  alice_side_ = {};
  bob_side_ = {};
  connect(bob_.fingerprint, mallory.fingerprint);
  ASSERT_TRUE(context_.run_until([this] { return bob_side_.outcome.has_value(); }, 5s));
  EXPECT_FALSE(bob_side_.outcome->keys);
  EXPECT_NE(bob_side_.outcome->error.find("not the one its SDP names"), std::string::npos);
}

// The ClientHello and its first resend are lost: OpenSSL's timer (1 s, then 2 s) sends
// it again and the handshake finishes.
TEST_F(DtlsHandshakeTest, ALostFlightIsSentAgain) {
  connect(bob_.fingerprint, alice_.fingerprint, 2);
  ASSERT_TRUE(both_done(8s));
  EXPECT_TRUE(alice_side_.outcome->keys) << alice_side_.outcome->error;
  EXPECT_TRUE(bob_side_.outcome->keys) << bob_side_.outcome->error;
  EXPECT_GE(alice_side_.sent, 4);
}

}  // namespace
}  // namespace lanline::media
