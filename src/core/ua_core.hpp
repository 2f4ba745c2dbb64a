// What every usage of the UA sends through, as resiprocate's DialogUsageManager is for
// its usages, pared down: the transaction layer, the clock, our address as each peer
// sees it, and the requests and responses built the same way for all of them. It knows
// no usage; the UserAgent owns it and lends it to each (invite_session, pager, prober).
#pragma once

#include <random>
#include <string>
#include <string_view>

#include "core/ua_types.hpp"
#include "sdp/offer_answer.hpp"
#include "sip/builder.hpp"
#include "sip/dialog.hpp"
#include "sip/transaction_layer.hpp"

namespace lanline::core {

// The methods we answer, for Allow (RFC 3261 20.5).
inline constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE";

// SDP session ids and glare waits; nothing secret.
std::mt19937_64& random_engine();

// A 401 or 407 to `spec`, sent through `account`: true when `spec` now carries the answer
// (the next CSeq, a new branch, the Authorization) and should go again; false when it
// should fail, as it does when a fresh answer was refused (`answered` counts the answers
// sent, so each request answers at most once, or again for a stale nonce).
bool answer_challenge(sip::RequestSpec& spec, const sip::Message& response,
                      const AccountRoute& account, int& answered);

class UaCore {
 public:
  UaCore(sip::TransportSender& transport, sip::TransactionUser& user, UserAgentListener& listener,
         UserAgentConfig config, sip::TimerValues timers);

  sip::TransactionLayer& layer() { return layer_; }
  const sip::TransactionLayer& layer() const { return layer_; }
  UserAgentListener& listener() { return listener_; }
  const UserAgentConfig& config() const { return config_; }
  const sip::TimerValues& timers() const { return timers_; }
  const sdp::Capabilities& capabilities() const { return capabilities_; }
  // Our certificate's fingerprint ("sha-256 AB:..."): DTLS-SRTP offers are then taken.
  void set_dtls_fingerprint(std::string fingerprint) {
    capabilities_.dtls_fingerprint = std::move(fingerprint);
  }
  // The time of what the UA is doing now: every entry point sets it first.
  sip::TimePoint now() const { return now_; }
  void set_now(sip::TimePoint now) { now_ = now; }

  // Our address as a peer at `peer` reaches it: same family, loopback for loopback.
  sip::LocalContact local_for(const sip::Endpoint& peer) const;
  // A request outside any dialog from us to `target`, sent to `to`: a new Call-ID and From
  // tag. `display_name` goes in From when given.
  sip::RequestSpec new_request(std::string method, std::string_view target, const sip::Endpoint& to,
                               std::string_view display_name = {}) const;
  // The same, through an account: From its address of record, Route its outbound proxy.
  sip::RequestSpec new_request_through(std::string method, std::string_view target,
                                       const AccountRoute& account) const;
  // Builds the request and sends it in a new client transaction. `to` turns to TCP for a
  // request too large for UDP (RFC 3261 18.1.1), unless `size_may_move` is false (a
  // retry over UDP after the peer refused TCP). 0 if it could not be built or sent.
  sip::TransactionId send_request(const sip::RequestSpec& spec, sip::Endpoint& to,
                                  bool size_may_move = true);
  // Outside any transaction: the ACK for a 2xx (RFC 3261 13.2.2.4), sent by the core.
  void send_direct(const sip::Message& message, const sip::Endpoint& to);
  // A response in server transaction `server`; an empty To tag gets a random one (8.2.6.2:
  // a response ending a request outside a dialog still carries one). False when it could
  // not be built or the transaction took no response.
  bool respond(sip::TransactionId server, const sip::Message& request, sip::ResponseSpec spec);
  void respond(sip::TransactionId server, const sip::Message& request, int code,
               sip::ExtraHeaders headers = {}, std::string to_tag = {});

 private:
  sip::Result<sip::Message> build_for(const sip::RequestSpec& spec, sip::Endpoint& to,
                                      bool size_may_move) const;

  sip::TransactionLayer layer_;
  sip::TransportSender& transport_;
  UserAgentListener& listener_;
  UserAgentConfig config_;
  sip::TimerValues timers_;
  sdp::Capabilities capabilities_;
  sip::TimePoint now_{};
};

}  // namespace lanline::core
