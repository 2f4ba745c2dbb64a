#include "core/pager.hpp"

namespace lanline::core {
namespace {

constexpr std::string_view kTextPlain = "text/plain;charset=UTF-8";

bool is_text_type(const sip::Message& message) {
  const auto& type = message.content_type();
  return !type || type->type == "text" || type->type == "TEXT";
}

}  // namespace

Outcome Pager::send(const sip::Uri& target, const sip::Endpoint& destination,
                    const std::string& text) {
  if (!target.is_sip()) return {0, "can only send messages to sip: or sips: addresses"};
  sip::RequestSpec spec = core_.new_request("MESSAGE", target.text, destination);
  spec.contact = false;
  spec.content_type = kTextPlain;
  spec.body = text;
  sip::Endpoint to = destination;
  std::uint64_t id = send(spec, to);
  if (id == 0) return {0, "could not send to " + sip::to_string(to)};
  return {id, {}};
}

Outcome Pager::send_in_dialog(sip::Dialog& dialog, const sip::Endpoint& peer,
                              const std::string& text) {
  sip::RequestSpec spec = sip::in_dialog_request(dialog, "MESSAGE");
  spec.content_type = kTextPlain;
  spec.body = text;
  sip::Endpoint to = peer;
  std::uint64_t id = send(spec, to);
  if (id == 0) return {0, "could not send the message"};
  return {id, {}};
}

std::uint64_t Pager::send(const sip::RequestSpec& spec, sip::Endpoint& to) {
  sip::TransactionId tx = core_.send_request(spec, to);
  if (tx == 0) return 0;
  sent_[tx] = next_id_;
  return next_id_++;
}

void Pager::receive(sip::TransactionId server, const sip::Message& request, CallId call) {
  if (!is_text_type(request)) {
    core_.respond(server, request, 415, {{"Accept", "text/plain"}});  // RFC 3428 7
    return;
  }
  core_.respond(server, request, 200);
  IncomingMessage message;
  message.from_uri = std::string(request.from().uri.text);
  message.from_name = request.from().display_name_text();
  message.content_type = request.content_type() ? std::string(request.content_type()->type) + "/" +
                                                      std::string(request.content_type()->subtype)
                                                : "text/plain";
  message.text = std::string(request.body());
  message.call = call;
  core_.listener().on_message(message);
}

bool Pager::on_response(sip::TransactionId client, const sip::Message& response) {
  auto it = sent_.find(client);
  if (it == sent_.end()) return false;
  if (response.status_code() >= 200) {
    std::uint64_t id = it->second;
    sent_.erase(it);
    core_.listener().on_message_result(id, response.status_code(), std::string(response.reason()));
  }
  return true;
}

bool Pager::on_failure(sip::TransactionId id, sip::TransactionFailure failure) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return false;
  std::uint64_t message_id = it->second;
  sent_.erase(it);
  bool timeout = failure == sip::TransactionFailure::kTimeout;
  core_.listener().on_message_result(message_id, timeout ? 408 : 503,
                                     timeout ? "no answer from the other side" : "could not send");
  return true;
}

}  // namespace lanline::core
