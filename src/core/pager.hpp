// MESSAGE (RFC 3428), pager-mode instant messages: sent outside any dialog or inside a
// call's, and received either way. Each one we send is a non-INVITE transaction whose
// final response, or its end without one, the listener hears as on_message_result. A
// received one is checked (size, type, charset), stored (the MessageStore) and only then
// answered 200.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/ua_core.hpp"

namespace lanline::core {

class Pager {
 public:
  explicit Pager(UaCore& core) : core_(core) {}

  // Larger bodies are refused with 413 (RFC 3428 makes 1300 bytes the limit over UDP, and
  // RFC 3261 18.1.1 moves a larger request to TCP; this bounds what a peer makes us store).
  static constexpr std::size_t kLargestText = 32 * 1024;

  // `account`: sent through that account (its proxy is `destination`), a challenge
  // answered with its credentials.
  Outcome send(const sip::Uri& target, const sip::Endpoint& destination, const std::string& text,
               const MessageMeta& meta = {}, const AccountRoute* account = nullptr);
  void set_store(MessageStore store) { store_ = std::move(store); }
  // Inside a call's dialog (RFC 3261 12.2.1.1), to the call's peer.
  Outcome send_in_dialog(sip::Dialog& dialog, const sip::Endpoint& peer, const std::string& text);
  // A MESSAGE for us; `call` is the call whose dialog carried it, 0 outside a dialog.
  void receive(sip::TransactionId server, const sip::Message& request, CallId call);

  // False when the transaction is not one of the pager's.
  bool on_response(sip::TransactionId client, const sip::Message& response);
  bool on_failure(sip::TransactionId id, sip::TransactionFailure failure);

 private:
  // One MESSAGE out: its id, and what answering a challenge needs to send it again.
  struct Sent {
    std::uint64_t id = 0;
    std::optional<AccountRoute> account;
    sip::RequestSpec spec;  // kept only when through an account
    sip::Endpoint to;
    int answered = 0;
  };
  // The new message's id, 0 if it could not be sent.
  std::uint64_t send(const sip::RequestSpec& spec, sip::Endpoint& to,
                     const AccountRoute* account = nullptr);

  UaCore& core_;
  MessageStore store_;
  std::map<sip::TransactionId, Sent> sent_;  // MESSAGE transaction -> the message
  std::uint64_t next_id_ = 1;
};

}  // namespace lanline::core
