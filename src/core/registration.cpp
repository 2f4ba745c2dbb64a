#include "core/registration.hpp"

#include <algorithm>
#include <charconv>

namespace lanline::core {
namespace {

constexpr sip::Duration kLongestBackoff{300000};  // 5 min between retries at most
constexpr std::uint32_t kLongestExpires = 86400;  // a Min-Expires above a day is absurd

std::optional<std::uint32_t> number_in(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  std::string_view digits = *text;
  digits = digits.substr(0, digits.find_first_of(" ;("));  // "120 (comment);duration=60"
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return std::nullopt;
  return value;
}

// When the next refresh goes: a minute before expiry for long grants, half-way for short
// ones (so that one lost REGISTER still leaves time for its retransmissions), and never
// sooner than kShortestRefresh.
std::uint32_t refresh_after(std::uint32_t granted) {
  std::uint32_t after = granted > 120 ? granted - 60 : granted / 2;
  return std::max(after, Registration::kShortestRefresh);
}

}  // namespace

std::string_view to_string(RegistrationState state) {
  switch (state) {
    case RegistrationState::kOff:
      return "off";
    case RegistrationState::kRegistering:
      return "registering";
    case RegistrationState::kRegistered:
      return "registered";
    case RegistrationState::kFailed:
      return "failed";
  }
  return "off";
}

Registration::Registration(UaCore& core, std::size_t index, AccountConfig config)
    : core_(core),
      config_(std::move(config)),
      call_id_(sip::random_token(10) + "@lanline"),
      from_tag_(sip::random_token(6)),
      asking_(config_.expires) {
  info_.account = index;
  info_.aor = config_.aor;
}

void Registration::start() {
  stopping_ = false;
  answered_ = 0;
  send(asking_, false);
}

bool Registration::stop() {
  next_send_.reset();
  if (info_.state == RegistrationState::kOff) return false;
  stopping_ = true;
  bool bound = info_.state == RegistrationState::kRegistered || pending_ != 0;
  if (!bound) {
    info_.state = RegistrationState::kOff;
    report();
    return false;
  }
  send(0, false);
  return pending_ != 0;
}

std::string Registration::our_contact() const {
  std::string contact = core_.local_for(config_.registrar).contact();
  if (!config_.instance_urn.empty()) {
    contact += ";+sip.instance=\"<" + config_.instance_urn + ">\";reg-id=1";
  }
  return contact;
}

void Registration::send(std::uint32_t expires, bool answering) {
  sip::RequestSpec spec;
  spec.method = "REGISTER";
  spec.request_uri = config_.registrar_uri;
  std::string from = "<" + config_.aor + ">";
  if (!config_.display_name.empty()) from = "\"" + config_.display_name + "\" " + from;
  spec.from = from + ";tag=" + from_tag_;
  spec.to = "<" + config_.aor + ">";
  spec.call_id = call_id_;
  spec.cseq = ++cseq_;
  spec.routes = config_.routes;
  spec.contact = false;
  spec.headers = {{"Contact", our_contact()},
                  {"Expires", std::to_string(expires)},
                  {"Allow", std::string(kAllow)}};
  if (challenge_) {
    spec.headers.emplace_back(
        std::string(sip::authorization_header(*challenge_)),
        sip::digest_authorization(*challenge_, config_.credentials, "REGISTER",
                                  config_.registrar_uri, sip::random_token(8), ++nonce_count_));
  }
  sent_fresh_answer_ = answering;
  sip::Endpoint to = config_.registrar;
  pending_ = core_.send_request(spec, to);
  if (pending_ == 0) {
    if (stopping_) {
      info_.state = RegistrationState::kOff;
      report();
      return;
    }
    failed(503, "could not send REGISTER to " + sip::to_string(config_.registrar), backoff_);
    return;
  }
  if (!stopping_ && info_.state != RegistrationState::kRegistered) {
    info_.state = RegistrationState::kRegistering;
    report();
  }
}

bool Registration::on_response(sip::TransactionId client, const sip::Message& response) {
  if (client != pending_ || pending_ == 0) return false;
  int code = response.status_code();
  if (code < 200) return true;
  pending_ = 0;
  if (stopping_) {
    // A challenge to the un-REGISTER (the cached answer's nonce expired) is answered once,
    // so that the binding goes now rather than at its expiry.
    if ((code == 401 || code == 407) && answered_ == 0) {
      if (auto challenge = sip::choose_challenge(response)) {
        challenge_ = std::move(challenge).value();
        nonce_count_ = 0;
        ++answered_;
        send(0, true);
        if (pending_ != 0) return true;
      }
    }
    // Whatever the answer, we are leaving: a binding the registrar kept expires there.
    info_.state = RegistrationState::kOff;
    info_.expires = 0;
    report();
    return true;
  }
  if (code < 300) {
    registered(response);
    return true;
  }
  std::string status = std::to_string(code) + " " + std::string(response.reason());
  if (code == 401 || code == 407) {
    auto challenge = sip::choose_challenge(response);
    if (!challenge) {
      failed(code, "the registrar's challenge cannot be answered: " + challenge.error().reason,
             std::nullopt);
    } else if (sent_fresh_answer_ && !challenge->stale) {
      failed(code,
             "the registrar refused user '" + config_.credentials.user + "' or its password (" +
                 status + "): check the password file, then restart",
             std::nullopt);
    } else if (answered_ >= 3) {
      failed(code, "the registrar keeps challenging fresh answers (" + status + ")", backoff_);
    } else {
      challenge_ = std::move(challenge).value();
      nonce_count_ = 0;
      ++answered_;
      send(asking_, true);
    }
    return true;
  }
  if (code == 423) {
    auto least = number_in(response.header("Min-Expires"));
    if (least && *least > asking_ && *least <= kLongestExpires) {
      asking_ = *least;  // RFC 3261 10.2.8: ask again for at least that
      send(asking_, false);
    } else {
      failed(code,
             "the registrar asks for a longer registration (" + status +
                 ") without a usable Min-Expires",
             backoff_);
    }
    return true;
  }
  // The server's trouble (5xx, 408, 480) may pass: retry, no sooner than it asks.
  bool may_pass = code >= 500 || code == 408 || code == 480;
  if (may_pass) {
    sip::Duration wait = backoff_;
    if (auto after = number_in(response.header("Retry-After"))) {
      wait = std::max(wait, sip::Duration{std::int64_t{std::min(*after, 3600u)} * 1000});
    }
    failed(code, "the registrar answered " + status, wait);
  } else {
    failed(code, "the registrar refused " + config_.aor + " (" + status + ")", std::nullopt);
  }
  return true;
}

void Registration::registered(const sip::Message& response) {
  const auto& contacts = response.contact().contacts;
  sip::LocalContact local = core_.local_for(config_.registrar);
  const sip::Contact* ours = nullptr;
  for (const sip::Contact& contact : contacts) {
    auto instance = contact.params.find("+sip.instance");
    bool same_instance = instance && !config_.instance_urn.empty() &&
                         instance->value.find(config_.instance_urn) != std::string_view::npos;
    bool same_address =
        contact.uri.host_address() == local.host && contact.uri.port_or_default() == local.port;
    if (same_instance || same_address) {
      ours = &contact;
      break;
    }
  }
  if (!ours && contacts.size() == 1) ours = &contacts.front();
  if (!ours) {
    failed(200,
           contacts.empty() ? "the registrar answered 200 without our Contact: not registered"
                            : "the registrar's 200 lists other Contacts, not ours: not registered",
           backoff_);
    return;
  }
  std::uint32_t granted = ours->expires.value_or(response.expires().value_or(asking_));
  if (granted == 0) {
    failed(200, "the registrar answered 200 with an expiry of 0: not registered", backoff_);
    return;
  }
  info_.state = RegistrationState::kRegistered;
  info_.expires = granted;
  info_.last_code = 0;
  info_.last_error = granted < kShortestRefresh
                         ? "the registrar granted only " + std::to_string(granted) +
                               " s; refreshing every " + std::to_string(kShortestRefresh) + " s"
                         : std::string();
  answered_ = 0;
  backoff_ = sip::Duration{5000};
  next_send_ = core_.now() + sip::Duration{std::int64_t{refresh_after(granted)} * 1000};
  report();
}

void Registration::failed(int code, std::string error, std::optional<sip::Duration> retry) {
  info_.state = RegistrationState::kFailed;
  info_.expires = 0;
  info_.last_code = code;
  info_.last_error = std::move(error);
  answered_ = 0;
  if (retry) {
    next_send_ = core_.now() + *retry;
    backoff_ = std::min(backoff_ * 2, kLongestBackoff);
  } else {
    next_send_.reset();
  }
  report();
}

bool Registration::on_failure(sip::TransactionId id, sip::TransactionFailure failure) {
  if (id != pending_ || pending_ == 0) return false;
  pending_ = 0;
  if (stopping_) {
    info_.state = RegistrationState::kOff;
    report();
    return true;
  }
  failed(failure == sip::TransactionFailure::kTimeout ? 408 : 503,
         (failure == sip::TransactionFailure::kTimeout ? "no answer from the registrar at "
                                                       : "could not reach the registrar at ") +
             sip::to_string(config_.registrar),
         backoff_);
  return true;
}

void Registration::advance(sip::TimePoint now) {
  if (!next_send_ || now < *next_send_ || pending_ != 0) return;
  next_send_.reset();
  answered_ = 0;
  send(asking_, false);
}

// Only changes: a refresh that keeps the same binding is no news.
void Registration::report() {
  if (reported_ && reported_->state == info_.state && reported_->expires == info_.expires &&
      reported_->last_error == info_.last_error)
    return;
  reported_ = info_;
  core_.listener().on_registration(info_);
}

}  // namespace lanline::core
