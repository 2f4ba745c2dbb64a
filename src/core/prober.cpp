#include "core/prober.hpp"

namespace lanline::core {

Outcome Prober::probe(const sip::Uri& target, const sip::Endpoint& destination) {
  if (!target.is_sip()) return {0, "can only probe sip: or sips: addresses"};
  sip::RequestSpec spec = core_.new_request("OPTIONS", target.text, destination);
  spec.contact = false;
  spec.headers = {{"Accept", "application/sdp"}};
  sip::Endpoint to = destination;
  sip::TransactionId tx = core_.send_request(spec, to);
  if (tx == 0) return {0, "could not send to " + sip::to_string(to)};
  std::uint64_t id = next_id_++;
  probes_[tx] = id;
  deadlines_.emplace(core_.now() + core_.config().probe_deadline, tx);
  return {id, {}};
}

void Prober::answer(sip::TransactionId server, const sip::Message& request,
                    const sip::Endpoint& from) {
  core_.respond(server, request, 200,
                {{"Allow", std::string(kAllow)},
                 {"Accept", "application/sdp, text/plain"},
                 {"Contact", core_.local_for(from).contact()},
                 {"Server", core_.config().local.user_agent}});
}

void Prober::answer_in_dialog(sip::TransactionId server, const sip::Message& request) {
  core_.respond(server, request, 200, {{"Allow", std::string(kAllow)}});
}

void Prober::settle(std::map<sip::TransactionId, std::uint64_t>::iterator it, int code) {
  std::uint64_t id = it->second;
  probes_.erase(it);
  core_.listener().on_probe_result(id, code);
}

bool Prober::on_response(sip::TransactionId client, const sip::Message& response) {
  auto it = probes_.find(client);
  if (it == probes_.end()) return false;
  if (response.status_code() >= 200) settle(it, response.status_code());
  return true;
}

bool Prober::on_failure(sip::TransactionId id, sip::TransactionFailure failure) {
  auto it = probes_.find(id);
  if (it == probes_.end()) return false;
  settle(it, failure == sip::TransactionFailure::kTimeout ? 408 : 503);
  return true;
}

void Prober::advance(sip::TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    sip::TransactionId tx = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    // Still unanswered: the peer is given up on now; the transaction runs on to Timer F
    // below us, and its late answer, if any, finds no probe and is dropped.
    if (auto it = probes_.find(tx); it != probes_.end()) settle(it, 408);
  }
}

std::optional<sip::TimePoint> Prober::next_timer() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace lanline::core
