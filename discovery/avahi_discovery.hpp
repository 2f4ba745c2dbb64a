// DNS-SD over mDNS through avahi-daemon, on the engine's GLib main context (avahi-glib):
// publishes this node's three services (DESIGN.md, "Discovery"), browses the same three
// types on every interface and protocol, resolves every instance and keeps the resolver
// open so TXT changes (presence) arrive, and hands each resolved record to a listener.
// It survives a missing or restarting daemon: it waits for it, then publishes and browses
// again. Everything runs on the context's thread.
#pragma once

#include <glib.h>

#include <memory>

#include "discovery/service_record.hpp"
#include "discovery/txt_record.hpp"

namespace lanline::discovery {

class DiscoveryListener {
 public:
  virtual ~DiscoveryListener() = default;
  // A record was resolved, or resolved again with new data (TXT, address, port).
  virtual void on_record(const ServiceRecord& record) = 0;
  virtual void on_record_removed(const RecordKey& key) = 0;
  // The daemon went away: every record seen through it is gone with it.
  virtual void on_all_removed() = 0;
};

class Discovery {
 public:
  // Publishes `advert` on `port` (UDP for _sipuri._udp and _sip._udp, TCP for
  // _sipuri._tcp) and starts browsing. Never fails: with no daemon it says so once in the
  // log and starts when the daemon appears.
  static std::unique_ptr<Discovery> create(GMainContext* context, Advert advert, std::uint16_t port,
                                           DiscoveryListener& listener);
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Rewrites the TXT records in place (a presence or note change).
  void update(const Advert& advert);
  const Advert& advert() const;
  bool running() const;  // connected to the daemon

 private:
  Discovery();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::discovery
