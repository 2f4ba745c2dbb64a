// An account's REGISTER (core/registration.hpp) against a scripted registrar on a fake
// clock: the digest challenge answered and checked the way a registrar checks it, a
// wrong password reported once and never retried, 423, refresh before expiry, a
// registrar that fails or goes quiet, odd 200s, and the un-REGISTER.
#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "core/user_agent.hpp"
#include "sip/builder.hpp"
#include "sip/digest.hpp"
#include "sip/parser.hpp"

namespace lanline::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kAor = "sip:alice@example.org";

// The UA's side: what it sends, and what it reports.
struct Phone : sip::TransportSender, UserAgentListener {
  bool send(std::string_view bytes, const sip::Endpoint&) override {
    auto message = sip::parse_message(bytes);
    EXPECT_TRUE(message.ok()) << bytes;
    if (message) outbox.push_back(std::move(message).value());
    return true;
  }
  void on_call(const CallInfo&) override {}
  void on_message(const IncomingMessage&) override {}
  void on_message_result(std::uint64_t, int, const std::string&) override {}
  void on_registration(const RegistrationInfo& info) override { reports.push_back(info); }

  std::deque<sip::Message> outbox;
  std::vector<RegistrationInfo> reports;
};

class RegistrationTest : public ::testing::Test {
 protected:
  RegistrationTest() {
    UserAgentConfig config;
    config.local.user = "alice";
    config.local.host = "198.18.0.1";
    config.local.port = 5060;
    ua = std::make_unique<UserAgent>(phone, phone, config);
    account.aor = kAor;
    account.registrar_uri = "sip:example.org";
    account.registrar = sip::Endpoint{"198.18.0.100", 5060, sip::TransportKind::kUdp, 0};
    account.credentials = {"alice", "secret"};
    account.expires = 600;
    account.instance_urn = "urn:uuid:00000000-0000-4000-8000-000000000001";
  }

  // The registrar's answer to the REGISTER at the front of the outbox.
  using Answer = std::function<sip::ResponseSpec(const sip::Message& request)>;
  sip::Message take() {
    EXPECT_FALSE(phone.outbox.empty());
    sip::Message request = std::move(phone.outbox.front());
    phone.outbox.pop_front();
    return request;
  }
  void answer(const sip::Message& request, const sip::ResponseSpec& spec) {
    auto response = sip::build_response(request, spec);
    ASSERT_TRUE(response.ok());
    ua->receive(std::move(response).value(), account.registrar, now);
  }
  // A registrar that challenges, and takes the right password: what it answers.
  sip::ResponseSpec registrar(const sip::Message& request, std::uint32_t grant = 0) {
    auto authorization = request.header("Authorization");
    if (!authorization) return challenge();
    // Recompute the answer as the registrar would, from the request's own parameters.
    std::string value(*authorization);
    auto param = [&](const std::string& name) {
      std::size_t at = value.find(name + "=\"");
      if (at == std::string::npos) return std::string();
      at += name.size() + 2;
      return value.substr(at, value.find('"', at) - at);
    };
    auto nc_at = value.find("nc=");
    std::uint32_t nc = std::stoul(value.substr(nc_at + 3, 8), nullptr, 16);
    auto expected = sip::parse_challenge(
        "Digest realm=\"example.org\", nonce=\"" + nonce + "\", qop=\"auth\", algorithm=SHA-256",
        false);
    std::string right = sip::digest_authorization(*expected, {"alice", password}, "REGISTER",
                                                  param("uri"), param("cnonce"), nc);
    if (param("nonce") != nonce) return challenge(/*stale=*/true);
    if (right.find(param("response")) == std::string::npos) return challenge();
    sip::ResponseSpec ok;
    ok.code = 200;
    std::string contact(request.header("Contact").value_or(""));
    std::uint32_t expires = grant ? grant : *request.expires();
    ok.headers = {{"Contact", contact + ";expires=" + std::to_string(expires)}};
    return ok;
  }
  sip::ResponseSpec challenge(bool stale = false) {
    sip::ResponseSpec spec;
    spec.code = 401;
    spec.headers = {{"WWW-Authenticate", "Digest realm=\"example.org\", nonce=\"" + nonce +
                                             "\", qop=\"auth\", algorithm=SHA-256" +
                                             (stale ? ", stale=true" : "")}};
    return spec;
  }
  void run(milliseconds duration) {
    sip::TimePoint end = now + duration;
    while (now < end) {
      now += milliseconds(100);
      ua->advance(now);
    }
  }
  // Runs the clock until the UA sends something (at most `limit`): that request, with its
  // UDP retransmissions set aside; `waited` says how long it took.
  sip::Message next_request(seconds limit, milliseconds* waited = nullptr) {
    sip::TimePoint start = now;
    while (phone.outbox.empty() && now - start < limit) {
      now += milliseconds(100);
      ua->advance(now);
    }
    if (waited) *waited = std::chrono::duration_cast<milliseconds>(now - start);
    sip::Message request = take();
    phone.outbox.clear();
    return request;
  }
  // Adds the account and plays the registrar through its challenge and the answer
  // (registered, unless the test gave the registrar another password).
  void register_now() {
    ua->add_account(account, now);
    for (int i = 0; i < 2; ++i) {
      sip::Message request = take();
      answer(request, registrar(request));
    }
  }
  RegistrationInfo state() const { return ua->accounts().at(0); }

  Phone phone;
  std::unique_ptr<UserAgent> ua;
  AccountConfig account;
  sip::TimePoint now = sip::TimePoint{} + std::chrono::hours(1);
  std::string nonce = "n0nce-1";
  std::string password = "secret";
};

TEST_F(RegistrationTest, RegistersAnsweringTheChallenge) {
  ua->add_account(account, now);
  EXPECT_EQ(state().state, RegistrationState::kRegistering);
  sip::Message first = take();
  EXPECT_EQ(first.text().rfind("REGISTER sip:example.org SIP/2.0\r\n", 0), 0u);
  EXPECT_EQ(first.from().uri.text, kAor);
  EXPECT_EQ(first.to().uri.text, kAor);
  std::string contact(first.header("Contact").value_or(""));
  EXPECT_NE(contact.find("<sip:alice@198.18.0.1:5060>"), std::string::npos);
  EXPECT_NE(contact.find("+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-000000000001>\""),
            std::string::npos);
  EXPECT_NE(contact.find("reg-id=1"), std::string::npos);
  EXPECT_EQ(first.expires(), 600u);
  answer(first, registrar(first));

  sip::Message second = take();
  EXPECT_EQ(second.call_id(), first.call_id());  // one Call-ID per binding (10.2.4)
  EXPECT_EQ(second.cseq().number, first.cseq().number + 1);
  EXPECT_NE(second.header("Authorization").value_or("").find("algorithm=SHA-256"),
            std::string::npos);
  answer(second, registrar(second));
  EXPECT_EQ(state().state, RegistrationState::kRegistered);
  EXPECT_EQ(state().expires, 600u);
  EXPECT_EQ(state().last_error, "");
  ASSERT_EQ(phone.reports.size(), 2u);  // registering, registered: the challenge is no news
  EXPECT_EQ(phone.reports[0].state, RegistrationState::kRegistering);
}

TEST_F(RegistrationTest, RefreshesAMinuteBeforeExpiry) {
  register_now();
  ASSERT_EQ(state().state, RegistrationState::kRegistered);
  milliseconds waited{};
  sip::Message refresh = next_request(seconds(600), &waited);
  EXPECT_EQ(waited, seconds(540));
  // The cached challenge goes with it (RFC 3261 22.3), nc counting on.
  EXPECT_NE(refresh.header("Authorization").value_or("").find("nc=00000002"), std::string::npos);
  std::size_t reports = phone.reports.size();
  answer(refresh, registrar(refresh));
  EXPECT_EQ(state().state, RegistrationState::kRegistered);
  EXPECT_TRUE(phone.outbox.empty());
  EXPECT_EQ(phone.reports.size(), reports) << "a refresh that changes nothing is no news";
}

TEST_F(RegistrationTest, AnExpiredNonceIsAnsweredAgain) {
  register_now();
  nonce = "n0nce-2";  // the registrar's nonce moved on: it answers stale=true
  sip::Message refresh = next_request(seconds(600));
  answer(refresh, registrar(refresh));
  sip::Message again = take();
  EXPECT_NE(again.header("Authorization").value_or("").find("n0nce-2"), std::string::npos);
  answer(again, registrar(again));
  EXPECT_EQ(state().state, RegistrationState::kRegistered);
}

TEST_F(RegistrationTest, AWrongPasswordIsReportedOnceAndNotRetried) {
  password = "another";
  register_now();
  EXPECT_EQ(state().state, RegistrationState::kFailed);
  EXPECT_EQ(state().last_code, 401);
  EXPECT_NE(state().last_error.find("refused user 'alice' or its password"), std::string::npos);
  int failures = 0;
  for (const auto& report : phone.reports)
    failures += report.state == RegistrationState::kFailed;
  EXPECT_EQ(failures, 1);
  run(seconds(3600));
  EXPECT_TRUE(phone.outbox.empty()) << "a refused password must not be tried again";
}

TEST_F(RegistrationTest, IntervalTooBriefAsksAgainForMinExpires) {
  account.expires = 30;
  ua->add_account(account, now);
  sip::Message first = take();
  sip::ResponseSpec brief;
  brief.code = 423;
  brief.headers = {{"Min-Expires", "120"}};
  answer(first, brief);
  sip::Message second = take();
  EXPECT_EQ(second.expires(), 120u);
  answer(second, registrar(second));
  sip::Message third = take();
  answer(third, registrar(third));
  EXPECT_EQ(state().state, RegistrationState::kRegistered);
  EXPECT_EQ(state().expires, 120u);
}

TEST_F(RegistrationTest, AFailingRegistrarIsRetriedWithBackoffAndRecovers) {
  ua->add_account(account, now);
  sip::Message first = take();
  sip::ResponseSpec down;
  down.code = 503;
  answer(first, down);
  EXPECT_EQ(state().state, RegistrationState::kFailed);
  EXPECT_NE(state().last_error.find("503"), std::string::npos);
  milliseconds waited{};
  sip::Message retry = next_request(seconds(60), &waited);
  EXPECT_EQ(waited, seconds(5));
  answer(retry, down);
  phone.outbox.clear();
  sip::Message back = next_request(seconds(60), &waited);
  EXPECT_EQ(waited, seconds(10));  // the backoff doubles
  answer(back, registrar(back));
  sip::Message answered = take();
  answer(answered, registrar(answered));
  EXPECT_EQ(state().state, RegistrationState::kRegistered);
  EXPECT_EQ(state().last_error, "");
}

TEST_F(RegistrationTest, ASilentRegistrarTimesOutAndIsRetried) {
  ua->add_account(account, now);
  take();
  run(seconds(33));  // Timer F, 32 s
  EXPECT_EQ(state().state, RegistrationState::kFailed);
  EXPECT_NE(state().last_error.find("no answer from the registrar at udp:198.18.0.100:5060"),
            std::string::npos)
      << state().last_error;
  phone.outbox.clear();  // the retransmissions
  milliseconds waited{};
  next_request(seconds(60), &waited);
  EXPECT_LE(waited, seconds(5));
}

TEST_F(RegistrationTest, A200WithoutOurContactIsNotARegistration) {
  ua->add_account(account, now);
  sip::Message request = take();
  answer(request, sip::ResponseSpec{});  // 200, no Contact at all
  EXPECT_EQ(state().state, RegistrationState::kFailed);
  EXPECT_NE(state().last_error.find("without our Contact"), std::string::npos);
}

TEST_F(RegistrationTest, ATinyGrantIsRefreshedNoOftenerThanTheFloor) {
  ua->add_account(account, now);
  for (int i = 0; i < 2; ++i) {
    sip::Message request = take();
    answer(request, registrar(request, /*grant=*/1));
  }
  EXPECT_EQ(state().state, RegistrationState::kRegistered);
  EXPECT_NE(state().last_error.find("granted only 1 s"), std::string::npos);
  int sent = 0;
  for (int i = 0; i < 6; ++i) {
    run(seconds(10));
    while (!phone.outbox.empty()) {
      sip::Message refresh = take();
      answer(refresh, registrar(refresh, 1));
      ++sent;
    }
  }
  EXPECT_LE(sent, 6);  // 60 s at one per 10 s
  EXPECT_GE(sent, 5);
}

TEST_F(RegistrationTest, UnregistersOnStop) {
  register_now();
  EXPECT_TRUE(ua->unregister_accounts(now));
  EXPECT_TRUE(ua->unregistering());
  sip::Message bye = take();
  EXPECT_EQ(bye.expires(), 0u);
  EXPECT_TRUE(bye.header("Authorization").has_value());
  answer(bye, registrar(bye));
  EXPECT_FALSE(ua->unregistering());
  EXPECT_EQ(state().state, RegistrationState::kOff);
  run(seconds(3600));
  EXPECT_TRUE(phone.outbox.empty());
}

TEST_F(RegistrationTest, AChallengedUnregisterIsAnsweredOnce) {
  register_now();
  nonce = "n0nce-3";  // the cached answer is stale by the time the node quits
  EXPECT_TRUE(ua->unregister_accounts(now));
  sip::Message bye = take();
  answer(bye, registrar(bye));  // 401, stale
  EXPECT_TRUE(ua->unregistering());
  sip::Message again = take();
  EXPECT_EQ(again.expires(), 0u);
  EXPECT_NE(again.header("Authorization").value_or("").find("n0nce-3"), std::string::npos);
  answer(again, registrar(again));
  EXPECT_FALSE(ua->unregistering());
  EXPECT_EQ(state().state, RegistrationState::kOff);
}

TEST_F(RegistrationTest, AnUnanswerableChallengeSaysWhy) {
  ua->add_account(account, now);
  sip::Message request = take();
  sip::ResponseSpec odd;
  odd.code = 401;
  odd.headers = {{"WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256"}};
  answer(request, odd);
  EXPECT_EQ(state().state, RegistrationState::kFailed);
  EXPECT_NE(state().last_error.find("SHA-512-256"), std::string::npos);
  run(seconds(600));
  EXPECT_TRUE(phone.outbox.empty());
}

}  // namespace
}  // namespace lanline::core
