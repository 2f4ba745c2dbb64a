// Host names looked up off the engine thread: GResolver's asynchronous lookup (hosts
// file, DNS, mDNS through nss-mdns where installed), whose answer comes back on the
// engine's GMainContext. A blocking getaddrinfo() there stopped every call, probe and
// timer for as long as the name took (a .local name that nobody answers: seconds).
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace lanline::engine {

class NameLookup {
 public:
  // The address (IPv4 or IPv6 text), or nullopt with what a person should read.
  using Done = std::function<void(std::optional<std::string> address, const std::string& error)>;

  // `context` must be the thread-default context of the thread that calls lookup()
  // (GResolver answers there).
  explicit NameLookup(GMainContext* context);
  // Cancels what is still running: no Done runs after this.
  ~NameLookup();
  NameLookup(const NameLookup&) = delete;
  NameLookup& operator=(const NameLookup&) = delete;

  void lookup(const std::string& host, Done done);
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending;
  static void on_resolved(GObject* resolver, GAsyncResult* result, gpointer data);

  GMainContext* context_;
  std::set<Pending*> pending_;
};

}  // namespace lanline::engine
