// A value or a precise error: what the SDP parser and offer/answer return. The same
// shape as sip::Result, kept separate so that src/sdp depends on nothing else.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lanline::sdp {

struct Error {
  std::string reason;  // one line: what was wrong and where ("line 4 (m=): bad port '7x'")
};

template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace lanline::sdp
