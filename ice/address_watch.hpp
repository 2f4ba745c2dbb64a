// The host's usable addresses, and word when they change: a NETLINK_ROUTE socket on the
// engine's context, subscribed to link and address events (an interface going down or
// coming up, an address added or removed). Changes come in bursts (a link going down
// removes its routes and addresses one message at a time), so the callback runs once
// the burst has been quiet for `settle`.
#pragma once

#include <glib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "glib_support/handles.hpp"

namespace lanline::ice {

// The addresses of interfaces that are up and have a carrier (IFF_UP and IFF_RUNNING),
// loopback left out, in the form libnice prints them (IPv6 without its scope).
std::set<std::string> usable_addresses();

class AddressWatch {
 public:
  // nullptr when the netlink socket cannot be opened (`error` says why): then changes go
  // unnoticed, and calls keep the path they have.
  static std::unique_ptr<AddressWatch> create(
      GMainContext* context, std::function<void()> changed, std::string& error,
      std::chrono::milliseconds settle = std::chrono::milliseconds(200));
  ~AddressWatch();
  AddressWatch(const AddressWatch&) = delete;
  AddressWatch& operator=(const AddressWatch&) = delete;

 private:
  AddressWatch() = default;
  static gboolean on_readable(GSocket* socket, GIOCondition condition, gpointer self);
  static gboolean on_settled(gpointer self);

  GMainContext* context_ = nullptr;
  std::function<void()> changed_;
  std::chrono::milliseconds settle_{200};
  glib::GObjectPtr<GSocket> socket_;
  glib::SourceHandle watch_;
  glib::SourceHandle settle_timer_;
};

}  // namespace lanline::ice
