// RAII owners for the Avahi handles discovery holds (STYLE.md, habit 6). Each frees its
// handle once; `release()` forgets one without freeing it, for the moment after
// avahi_client_free() has already freed everything that belonged to the client.
#pragma once

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/strlst.h>
#include <avahi-glib/glib-watch.h>

#include <memory>

namespace lanline::discovery {

template <class T, void (*Free)(T*)>
struct AvahiFree {
  void operator()(T* handle) const {
    if (handle) Free(handle);
  }
};

// The frees return int; these adapt them to the deleter's signature.
inline void free_client(AvahiClient* c) {
  avahi_client_free(c);
}
inline void free_group(AvahiEntryGroup* g) {
  avahi_entry_group_free(g);
}
inline void free_browser(AvahiServiceBrowser* b) {
  avahi_service_browser_free(b);
}
inline void free_resolver(AvahiServiceResolver* r) {
  avahi_service_resolver_free(r);
}

using GlibPollPtr = std::unique_ptr<AvahiGLibPoll, AvahiFree<AvahiGLibPoll, avahi_glib_poll_free>>;
using ClientPtr = std::unique_ptr<AvahiClient, AvahiFree<AvahiClient, free_client>>;
using GroupPtr = std::unique_ptr<AvahiEntryGroup, AvahiFree<AvahiEntryGroup, free_group>>;
using BrowserPtr =
    std::unique_ptr<AvahiServiceBrowser, AvahiFree<AvahiServiceBrowser, free_browser>>;
using ResolverPtr =
    std::unique_ptr<AvahiServiceResolver, AvahiFree<AvahiServiceResolver, free_resolver>>;
using StringListPtr =
    std::unique_ptr<AvahiStringList, AvahiFree<AvahiStringList, avahi_string_list_free>>;

}  // namespace lanline::discovery
