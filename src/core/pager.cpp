#include "core/pager.hpp"

#include <algorithm>

#include "sip/charset.hpp"

namespace lanline::core {
namespace {

constexpr std::string_view kTextPlain = "text/plain;charset=UTF-8";

// RFC 3428 7: what is not text/plain in a charset we read is refused with 415. A body
// without a Content-Type is taken as text.
bool is_text_plain(const sip::Message& message) {
  const auto& type = message.content_type();
  if (!type) return true;
  if (!sip::charset::iequals(type->type, "text") || !sip::charset::iequals(type->subtype, "plain"))
    return false;
  auto charset = type->params.find("charset");
  if (!charset) return true;  // RFC 2046 4.1.2: US-ASCII, a subset of UTF-8
  std::string_view value = charset->value;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  return sip::charset::iequals(value, "UTF-8") || sip::charset::iequals(value, "US-ASCII");
}

// The sender's Message-ID / Message-Seq / Message-Time (ua_types.hpp: MessageMeta); a
// value that does not read is left out, and the message is then as a phone's.
MessageMeta meta_of(const sip::Message& request) {
  MessageMeta meta;
  auto number = [](std::optional<std::string_view> text) -> std::int64_t {
    if (!text || text->empty() || text->size() > 18) return 0;
    std::int64_t value = 0;
    for (char c : *text) {
      if (c < '0' || c > '9') return 0;
      value = value * 10 + (c - '0');
    }
    return value;
  };
  if (auto id = request.header("Message-ID"); id && !id->empty() && id->size() <= 128) {
    const bool token = std::all_of(id->begin(), id->end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             c == '-' || c == '.' || c == '@' || c == '_';
    });
    if (token) meta.id = std::string(*id);
  }
  meta.seq = number(request.header("Message-Seq"));
  meta.sent_ms = number(request.header("Message-Time"));
  return meta;
}

void add_meta(sip::RequestSpec& spec, const MessageMeta& meta) {
  if (meta.id.empty()) return;
  spec.headers.emplace_back("Message-ID", meta.id);
  if (meta.seq > 0) spec.headers.emplace_back("Message-Seq", std::to_string(meta.seq));
  if (meta.sent_ms > 0) spec.headers.emplace_back("Message-Time", std::to_string(meta.sent_ms));
}

}  // namespace

Outcome Pager::send(const sip::Uri& target, const sip::Endpoint& destination,
                    const std::string& text, const MessageMeta& meta, const AccountRoute* account) {
  if (!target.is_sip()) return {0, "can only send messages to sip: or sips: addresses"};
  if (text.size() > kLargestText) {
    return {0, "the message is " + std::to_string(text.size()) + " bytes; at most " +
                   std::to_string(kLargestText) + " go in one message"};
  }
  sip::RequestSpec spec = account ? core_.new_request_through("MESSAGE", target.text, *account)
                                  : core_.new_request("MESSAGE", target.text, destination);
  spec.contact = false;
  spec.content_type = kTextPlain;
  spec.body = text;
  add_meta(spec, meta);
  sip::Endpoint to = destination;
  std::uint64_t id = send(spec, to, account);
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

std::uint64_t Pager::send(const sip::RequestSpec& spec, sip::Endpoint& to,
                          const AccountRoute* account) {
  sip::TransactionId tx = core_.send_request(spec, to);
  if (tx == 0) return 0;
  Sent& sent = sent_[tx];
  sent.id = next_id_;
  if (account) {
    sent.account = *account;
    sent.spec = spec;
    sent.to = to;
  }
  return next_id_++;
}

void Pager::receive(sip::TransactionId server, const sip::Message& request, CallId call) {
  if (!is_text_plain(request)) {
    core_.respond(server, request, 415, {{"Accept", "text/plain;charset=UTF-8"}});  // RFC 3428 7
    return;
  }
  if (request.body().size() > kLargestText) {
    core_.respond(server, request, 413);  // RFC 3428 7, RFC 3261 21.4.11
    return;
  }
  IncomingMessage message;
  message.from_uri = std::string(request.from().uri.text);
  message.from_name = request.from().display_name_text();
  message.content_type = request.content_type() ? std::string(request.content_type()->type) + "/" +
                                                      std::string(request.content_type()->subtype)
                                                : "text/plain";
  message.text = std::string(request.body());
  message.call = call;
  message.meta = meta_of(request);
  // Stored before it is answered: a 200 means it is kept, whatever happens next.
  const StoreVerdict verdict = store_ ? store_(message) : StoreVerdict::kNew;
  if (verdict == StoreVerdict::kFailed) {
    core_.respond(server, request, 500, {{"Retry-After", "5"}});
    return;
  }
  core_.respond(server, request, 200);
  if (verdict == StoreVerdict::kNew) core_.listener().on_message(message);
}

bool Pager::on_response(sip::TransactionId client, const sip::Message& response) {
  auto it = sent_.find(client);
  if (it == sent_.end()) return false;
  int code = response.status_code();
  if ((code == 401 || code == 407) && it->second.account) {
    // Challenged by the account's proxy: the same MESSAGE again, with the answer.
    Sent again = std::move(it->second);
    sent_.erase(it);
    if (answer_challenge(again.spec, response, *again.account, again.answered)) {
      if (sip::TransactionId tx = core_.send_request(again.spec, again.to); tx != 0) {
        sent_[tx] = std::move(again);
        return true;
      }
    }
    core_.listener().on_message_result(
        again.id, code,
        again.answered > 0 ? "the account's password was refused" : std::string(response.reason()));
    return true;
  }
  if (code >= 200) {
    std::uint64_t id = it->second.id;
    sent_.erase(it);
    core_.listener().on_message_result(id, response.status_code(), std::string(response.reason()));
  }
  return true;
}

bool Pager::on_failure(sip::TransactionId id, sip::TransactionFailure failure) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return false;
  std::uint64_t message_id = it->second.id;
  sent_.erase(it);
  bool timeout = failure == sip::TransactionFailure::kTimeout;
  core_.listener().on_message_result(message_id, timeout ? 408 : 503,
                                     timeout ? "no answer from the other side" : "could not send");
  return true;
}

}  // namespace lanline::core
