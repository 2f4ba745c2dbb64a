// OPTIONS (RFC 3261 11): probes we send to learn whether a SIP node answers somewhere,
// each settled by its own deadline (far sooner than Timer F), and our answer to the
// OPTIONS others send us, inside a call's dialog or outside any.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "core/ua_core.hpp"

namespace lanline::core {

class Prober {
 public:
  explicit Prober(UaCore& core) : core_(core) {}

  // The result comes to on_probe_result: by the deadline at the latest.
  Outcome probe(const sip::Uri& target, const sip::Endpoint& destination);
  std::size_t size() const { return probes_.size(); }

  // Our capabilities, outside any dialog: what we allow and accept, where we are.
  void answer(sip::TransactionId server, const sip::Message& request, const sip::Endpoint& from);
  void answer_in_dialog(sip::TransactionId server, const sip::Message& request);

  // False when the transaction is not one of the prober's.
  bool on_response(sip::TransactionId client, const sip::Message& response);
  bool on_failure(sip::TransactionId id, sip::TransactionFailure failure);
  // Settles the probes whose deadline has come.
  void advance(sip::TimePoint now);
  std::optional<sip::TimePoint> next_timer() const;

 private:
  void settle(std::map<sip::TransactionId, std::uint64_t>::iterator it, int code);

  UaCore& core_;
  std::map<sip::TransactionId, std::uint64_t> probes_;  // OPTIONS transaction -> probe id
  std::multimap<sip::TimePoint, sip::TransactionId> deadlines_;
  std::uint64_t next_id_ = 1;
};

}  // namespace lanline::core
