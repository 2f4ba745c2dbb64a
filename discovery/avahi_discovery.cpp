#include "discovery/avahi_discovery.hpp"

#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <array>
#include <map>
#include <vector>

#include "discovery/avahi_handles.hpp"
#include "glib_support/callbacks.hpp"

namespace lanline::discovery {
namespace {

constexpr std::array<ServiceType, 3> kTypes = {ServiceType::kSipUriUdp, ServiceType::kSipUriTcp,
                                               ServiceType::kSipUdp};

// How long to wait before trying again when even an AVAHI_CLIENT_NO_FAIL client cannot be
// made (no D-Bus system bus at all).
constexpr guint kRetryMs = 2000;

// How many alternative names to try before giving up on a service name.
constexpr int kMaxRenames = 32;

// Every callback from Avahi runs its body here: no exception may unwind through C.
template <class Body>
void guarded(const char* what, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    spdlog::error("discovery: {}: {}", what, e.what());
  } catch (...) {
    spdlog::error("discovery: {}: unknown exception", what);
  }
}

StringListPtr string_list(const std::vector<std::string>& strings) {
  AvahiStringList* list = nullptr;
  // avahi_string_list_add prepends; add from the back so the order on the wire is ours.
  for (auto it = strings.rbegin(); it != strings.rend(); ++it)
    list = avahi_string_list_add(list, it->c_str());
  return StringListPtr(list);
}

std::vector<std::string> strings_of(AvahiStringList* list) {
  std::vector<std::string> out;
  for (AvahiStringList* item = list; item; item = avahi_string_list_get_next(item)) {
    out.emplace_back(reinterpret_cast<const char*>(avahi_string_list_get_text(item)),
                     avahi_string_list_get_size(item));
  }
  return out;
}

// "fe80::1%eth0": a link-local IPv6 address is only usable with its interface.
std::string address_text(const AvahiAddress& address, AvahiIfIndex interface) {
  char text[AVAHI_ADDRESS_STR_MAX] = {};
  avahi_address_snprint(text, sizeof text, &address);
  std::string out = text;
  if (address.proto == AVAHI_PROTO_INET6 && address.data.ipv6.address[0] == 0xfe &&
      (address.data.ipv6.address[1] & 0xc0) == 0x80) {
    char name[IF_NAMESIZE] = {};
    if (interface > 0 && if_indextoname(static_cast<unsigned>(interface), name)) {
      out += '%';
      out += name;
    } else {
      out += '%' + std::to_string(interface);
    }
  }
  return out;
}

std::string take_alternative(const std::string& name) {
  char* alternative = avahi_alternative_service_name(name.c_str());
  std::string out = alternative ? alternative : name + " #2";
  avahi_free(alternative);
  return out;
}

}  // namespace

struct Discovery::Impl {
  // One entry group per instance name: the _sipuri pair shares the contact URI as its name,
  // _sip._udp has the display name. Apart, a collision says which name to change.
  struct Published {
    Impl* impl = nullptr;
    std::string name;
    std::vector<ServiceType> types;
    GroupPtr group;
    bool committed = false;
  };
  struct Browse {
    Impl* impl = nullptr;
    ServiceType type = ServiceType::kSipUriUdp;
    BrowserPtr browser;
  };
  struct Resolve {
    Impl* impl = nullptr;
    RecordKey key;
    bool own = false;
    ResolverPtr resolver;
  };

  GMainContext* context = nullptr;
  DiscoveryListener* listener = nullptr;
  Advert advert;
  std::uint16_t port = 0;
  GlibPollPtr poll;
  ClientPtr client;
  bool running = false;
  bool said_missing = false;
  bool closing = false;
  Published by_uri;
  Published by_name;
  std::array<Browse, 3> browses;
  std::map<RecordKey, std::unique_ptr<Resolve>> resolves;
  glib::SourceHandle retry;

  // Nothing Avahi reports while it is being freed reaches the listener, which may be
  // half gone itself.
  ~Impl() {
    closing = true;
    listener = nullptr;
    drop_client();
  }

  // ---- The client and the daemon's comings and goings ----

  void connect() {
    int error = 0;
    AvahiClient* made = avahi_client_new(avahi_glib_poll_get(poll.get()), AVAHI_CLIENT_NO_FAIL,
                                         &Impl::on_client, this, &error);
    if (!made) {
      // No D-Bus system bus at all, so no daemon either: the same one line, then quiet
      // retries until the bus and the daemon are there.
      if (!said_missing) {
        spdlog::warn(
            "avahi-daemon is not running: discovery is off until it starts; calls by "
            "address still work ({}: no D-Bus system bus)",
            avahi_strerror(error));
        said_missing = true;
      }
      retry = glib::add_timeout(context, kRetryMs, &Impl::on_retry, this);
      return;
    }
    if (avahi_client_get_state(made) == AVAHI_CLIENT_FAILURE) {
      spdlog::debug("discovery: avahi client failed: {}; trying again in {} s",
                    avahi_strerror(avahi_client_errno(made)), kRetryMs / 1000);
      avahi_client_free(made);
      retry = glib::add_timeout(context, kRetryMs, &Impl::on_retry, this);
      return;
    }
    client.reset(made);
  }

  static gboolean on_retry(gpointer data) {
    auto* impl = static_cast<Impl*>(data);
    return glib::guarded("discovery retry", [&] {
      // Reset from inside the callback is safe (SourceHandle); connect() may arm a new one.
      impl->retry.reset();
      impl->connect();
      return G_SOURCE_REMOVE;
    });
  }

  // Frees what the client owns before the client: Avahi would free them with it, and our
  // owners must not free them a second time.
  void drop_client() {
    running = false;
    resolves.clear();
    for (Browse& browse : browses)
      browse.browser.reset();
    by_uri.group.reset();
    by_name.group.reset();
    by_uri.committed = by_name.committed = false;
    client.reset();
  }

  static void on_client(AvahiClient* c, AvahiClientState state, void* data) {
    auto* impl = static_cast<Impl*>(data);
    if (impl->closing) return;
    guarded("client", [&] { impl->client_state(c, state); });
  }

  void client_state(AvahiClient* c, AvahiClientState state) {
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        if (said_missing) spdlog::info("discovery: avahi-daemon is running: discovery is on");
        said_missing = false;
        running = true;
        publish(c);
        browse(c);
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The daemon's host name changed or is being probed: its records are withdrawn and
        // ours go with them; they are added again when it is RUNNING.
        for (Published* published : {&by_uri, &by_name}) {
          if (published->group) avahi_entry_group_reset(published->group.get());
          published->committed = false;
        }
        break;
      case AVAHI_CLIENT_CONNECTING:
        if (!said_missing) {
          spdlog::warn(
              "avahi-daemon is not running: discovery is off until it starts; calls by "
              "address still work");
          said_missing = true;
        }
        break;
      case AVAHI_CLIENT_FAILURE:
        if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED) {
          // The daemon stopped or restarted. Its records are gone; a new client waits for
          // it (NO_FAIL) and publishes and browses again when it is back.
          spdlog::warn("discovery: lost avahi-daemon; waiting for it to come back");
          if (listener) listener->on_all_removed();
        } else {
          spdlog::error("discovery: avahi client failed: {}",
                        avahi_strerror(avahi_client_errno(c)));
          if (listener) listener->on_all_removed();
        }
        // Failed inside avahi_client_new itself: connect() sees the state and frees it.
        if (client.get() != c) return;
        // avahi-browse frees its client inside this callback too; nothing touches it after.
        drop_client();
        connect();
        break;
    }
  }

  // ---- Publishing ----

  void publish(AvahiClient* c) {
    for (Published* published : {&by_uri, &by_name}) {
      if (!published->group) {
        published->group.reset(avahi_entry_group_new(c, &Impl::on_group, published));
        if (!published->group) {
          spdlog::error("discovery: cannot create an entry group: {}",
                        avahi_strerror(avahi_client_errno(c)));
          continue;
        }
      }
      if (avahi_entry_group_is_empty(published->group.get())) add_services(*published);
    }
  }

  std::vector<std::string> txt_for(ServiceType type) const {
    return type == ServiceType::kSipUdp ? sip_txt(advert)
                                        : sipuri_txt(advert, type == ServiceType::kSipUriTcp);
  }

  void add_services(Published& published) {
    AvahiEntryGroup* group = published.group.get();
    for (int attempt = 0; attempt < kMaxRenames; ++attempt) {
      int result = 0;
      for (ServiceType type : published.types) {
        StringListPtr txt = string_list(txt_for(type));
        result = avahi_entry_group_add_service_strlst(group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                      AvahiPublishFlags(0), published.name.c_str(),
                                                      std::string(type_name(type)).c_str(), nullptr,
                                                      nullptr, port, txt.get());
        if (result < 0) break;
      }
      if (result == AVAHI_ERR_COLLISION) {
        // Another service of this host already has the name (another user's node).
        std::string next = take_alternative(published.name);
        spdlog::info("discovery: '{}' is taken on this host; publishing as '{}'", published.name,
                     next);
        published.name = next;
        avahi_entry_group_reset(group);
        continue;
      }
      if (result < 0) {
        spdlog::error("discovery: cannot publish '{}': {}", published.name, avahi_strerror(result));
        avahi_entry_group_reset(group);
        return;
      }
      if (int committed = avahi_entry_group_commit(group); committed < 0) {
        spdlog::error("discovery: cannot publish '{}': {}", published.name,
                      avahi_strerror(committed));
        return;
      }
      published.committed = true;
      return;
    }
    spdlog::error("discovery: no free name for '{}' after {} tries", published.name, kMaxRenames);
  }

  static void on_group(AvahiEntryGroup* g, AvahiEntryGroupState state, void* data) {
    auto* published = static_cast<Published*>(data);
    if (published->impl->closing) return;
    guarded("entry group", [&] { published->impl->group_state(*published, g, state); });
  }

  void group_state(Published& published, AvahiEntryGroup* g, AvahiEntryGroupState state) {
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        spdlog::info("discovery: published '{}'", published.name);
        break;
      case AVAHI_ENTRY_GROUP_COLLISION: {
        // Another host has the name (two nodes with one display name): RFC 6762 9 says
        // pick another; Avahi's "Name #2" is what Blink and Ekiga users see elsewhere.
        std::string next = take_alternative(published.name);
        spdlog::info("discovery: '{}' is taken on the network; publishing as '{}'", published.name,
                     next);
        published.name = next;
        avahi_entry_group_reset(g);
        add_services(published);
        break;
      }
      case AVAHI_ENTRY_GROUP_FAILURE:
        spdlog::error("discovery: publishing '{}' failed: {}", published.name,
                      avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }

  void update(const Advert& next) {
    advert = next;
    for (Published* published : {&by_uri, &by_name}) {
      if (!published->group || !published->committed) continue;  // added with it later
      for (ServiceType type : published->types) {
        StringListPtr txt = string_list(txt_for(type));
        int result = avahi_entry_group_update_service_txt_strlst(
            published->group.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags(0),
            published->name.c_str(), std::string(type_name(type)).c_str(), nullptr, txt.get());
        if (result < 0) {
          // Still probing, or renamed under us: publish afresh with the new TXT.
          spdlog::debug("discovery: TXT update of '{}' failed ({}); publishing again",
                        published->name, avahi_strerror(result));
          avahi_entry_group_reset(published->group.get());
          add_services(*published);
          break;
        }
      }
    }
  }

  // ---- Browsing and resolving ----

  void browse(AvahiClient* c) {
    for (Browse& entry : browses) {
      if (entry.browser) continue;
      entry.browser.reset(avahi_service_browser_new(
          c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, std::string(type_name(entry.type)).c_str(),
          nullptr, AvahiLookupFlags(0), &Impl::on_browse, &entry));
      if (!entry.browser) {
        spdlog::error("discovery: cannot browse {}: {}", type_name(entry.type),
                      avahi_strerror(avahi_client_errno(c)));
      }
    }
  }

  static void on_browse(AvahiServiceBrowser* b, AvahiIfIndex interface, AvahiProtocol protocol,
                        AvahiBrowserEvent event, const char* name, const char* type,
                        const char* domain, AvahiLookupResultFlags flags, void* data) {
    auto* entry = static_cast<Browse*>(data);
    if (entry->impl->closing) return;
    guarded("browser", [&] {
      entry->impl->browse_event(*entry, b, interface, protocol, event, name, type, domain, flags);
    });
  }

  void browse_event(Browse& entry, AvahiServiceBrowser* b, AvahiIfIndex interface,
                    AvahiProtocol protocol, AvahiBrowserEvent event, const char* name,
                    const char* type, const char* domain, AvahiLookupResultFlags flags) {
    if (event == AVAHI_BROWSER_FAILURE) {
      spdlog::warn("discovery: browsing {} failed: {}", type_name(entry.type),
                   avahi_strerror(avahi_client_errno(avahi_service_browser_get_client(b))));
      return;
    }
    if (event != AVAHI_BROWSER_NEW && event != AVAHI_BROWSER_REMOVE) return;
    if (!name) return;
    RecordKey key{entry.type, name, interface, protocol == AVAHI_PROTO_INET6 ? 6 : 4};
    if (event == AVAHI_BROWSER_REMOVE) {
      resolves.erase(key);
      if (listener) listener->on_record_removed(key);
      return;
    }
    if (resolves.count(key)) return;
    auto resolve = std::make_unique<Resolve>();
    resolve->impl = this;
    resolve->key = key;
    resolve->own = (flags & AVAHI_LOOKUP_RESULT_OUR_OWN) != 0;
    // The address in the family mDNS ran over: IPv4 and IPv6 paths come as two records.
    // The resolver stays open: Avahi reports FOUND again whenever the TXT changes.
    resolve->resolver.reset(avahi_service_resolver_new(
        avahi_service_browser_get_client(b), interface, protocol, name, type, domain, protocol,
        AvahiLookupFlags(0), &Impl::on_resolve, resolve.get()));
    if (!resolve->resolver) {
      spdlog::warn("discovery: cannot resolve '{}': {}", name,
                   avahi_strerror(avahi_client_errno(avahi_service_browser_get_client(b))));
      return;
    }
    resolves.emplace(key, std::move(resolve));
  }

  static void on_resolve(AvahiServiceResolver*, AvahiIfIndex interface, AvahiProtocol,
                         AvahiResolverEvent event, const char* name, const char*, const char*,
                         const char* host_name, const AvahiAddress* address, uint16_t port,
                         AvahiStringList* txt, AvahiLookupResultFlags, void* data) {
    auto* resolve = static_cast<Resolve*>(data);
    if (resolve->impl->closing) return;
    guarded("resolver", [&] {
      if (event != AVAHI_RESOLVER_FOUND || !address) {
        // Resolving timed out (the host went quiet between browse and resolve): keep the
        // resolver, which reports FOUND if the records come back.
        spdlog::debug("discovery: cannot resolve '{}' yet", name ? name : "");
        return;
      }
      ServiceRecord record;
      record.key = resolve->key;
      record.host_name = host_name ? host_name : "";
      record.address = address_text(*address, interface);
      record.port = port;
      record.txt = parse_txt(strings_of(txt));
      record.own = resolve->own;
      if (resolve->impl->listener) resolve->impl->listener->on_record(record);
    });
  }
};

Discovery::Discovery() : impl_(std::make_unique<Impl>()) {}
Discovery::~Discovery() = default;

std::unique_ptr<Discovery> Discovery::create(GMainContext* context, Advert advert,
                                             std::uint16_t port, DiscoveryListener& listener) {
  std::unique_ptr<Discovery> discovery(new Discovery());
  Impl& impl = *discovery->impl_;
  impl.context = context;
  impl.listener = &listener;
  impl.advert = std::move(advert);
  impl.port = port;
  impl.by_uri.impl = &impl;
  impl.by_uri.name = instance_name(impl.advert.contact_uri);
  impl.by_uri.types = {ServiceType::kSipUriUdp, ServiceType::kSipUriTcp};
  impl.by_name.impl = &impl;
  impl.by_name.name = instance_name(impl.advert.display_name);
  impl.by_name.types = {ServiceType::kSipUdp};
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    impl.browses[i].impl = &impl;
    impl.browses[i].type = kTypes[i];
  }
  impl.poll.reset(avahi_glib_poll_new(context, G_PRIORITY_DEFAULT));
  impl.connect();
  return discovery;
}

void Discovery::update(const Advert& advert) {
  impl_->update(advert);
}

const Advert& Discovery::advert() const {
  return impl_->advert;
}

bool Discovery::running() const {
  return impl_->running;
}

}  // namespace lanline::discovery
