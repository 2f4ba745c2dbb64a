// REGISTER (RFC 3261 10.2): one account's binding at its registrar, kept. It registers,
// answers the registrar's digest challenge (RFC 3261 22, RFC 8760), refreshes before the
// granted expiry, honours 423 Interval Too Brief, retries with a backoff after a
// registrar that failed or went away (a restarted one gets the binding back), and
// un-registers on stop. A refused password is reported once and not retried: trying the
// same password again cannot help, and a loop of them would lock the account on servers
// that count failures. Like every usage, it does no I/O: it sends through the UaCore and
// reports to the listener's on_registration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ua_core.hpp"
#include "sip/digest.hpp"

namespace lanline::core {

struct AccountConfig {
  std::string aor;                  // the address of record, "sip:alice@example.org"
  std::string registrar_uri;        // REGISTER's Request-URI: "sip:example.org" (10.2)
  sip::Endpoint registrar;          // where REGISTER goes (the outbound proxy when there is one)
  std::vector<std::string> routes;  // the outbound proxy as a loose route, "<sip:p;lr>"
  sip::DigestCredentials credentials;
  std::uint32_t expires = 600;  // asked for; the registrar's answer decides
  std::string instance_urn;     // "urn:uuid:...": +sip.instance (RFC 5626 4.1)
  std::string display_name;
};

class Registration {
 public:
  Registration(UaCore& core, std::size_t index, AccountConfig config);

  // Registers now, and keeps the binding until stop().
  void start();
  // Removes the binding (Expires: 0) and turns off; true while that REGISTER is out.
  bool stop();
  bool stopping() const { return stopping_ && pending_ != 0; }

  const RegistrationInfo& info() const { return info_; }
  const AccountConfig& config() const { return config_; }
  // The registrar's last challenge, for requests through the account that meet the same
  // realm (a proxy of the same domain challenges INVITE and MESSAGE with it).
  const std::optional<sip::DigestChallenge>& challenge() const { return challenge_; }

  // False when the transaction is not this registration's.
  bool on_response(sip::TransactionId client, const sip::Message& response);
  bool on_failure(sip::TransactionId id, sip::TransactionFailure failure);
  void advance(sip::TimePoint now);
  std::optional<sip::TimePoint> next_timer() const { return next_send_; }

  // A refresh no sooner than this after the last one, whatever the registrar granted:
  // a registrar granting 1 s must not make us send a REGISTER a second.
  static constexpr std::uint32_t kShortestRefresh = 10;

 private:
  void send(std::uint32_t expires, bool answering);
  void registered(const sip::Message& response);
  void failed(int code, std::string error, std::optional<sip::Duration> retry);
  void report();
  std::string our_contact() const;

  UaCore& core_;
  AccountConfig config_;
  RegistrationInfo info_;
  std::optional<RegistrationInfo> reported_;  // what the listener heard last
  std::string call_id_;  // one Call-ID for every REGISTER of this binding (10.2.4)
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
  std::uint32_t asking_;  // what the next REGISTER asks for (423 raises it)
  sip::TransactionId pending_ = 0;
  std::optional<sip::DigestChallenge> challenge_;
  std::uint32_t nonce_count_ = 0;
  int answered_ = 0;                // challenges answered in this attempt
  bool sent_fresh_answer_ = false;  // the pending REGISTER answers a challenge just received
  bool stopping_ = false;
  std::optional<sip::TimePoint> next_send_;
  sip::Duration backoff_{5000};
};

}  // namespace lanline::core
