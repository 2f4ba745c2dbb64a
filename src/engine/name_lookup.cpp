#include "engine/name_lookup.hpp"

#include <spdlog/spdlog.h>

#include "glib_support/handles.hpp"

namespace lanline::engine {

// One lookup in flight. It outlives the NameLookup when that goes first: GIO still calls
// on_resolved (with G_IO_ERROR_CANCELLED), which then only frees it.
struct NameLookup::Pending {
  NameLookup* owner = nullptr;  // null once the NameLookup is gone
  std::string host;
  Done done;
  glib::GObjectPtr<GCancellable> cancellable{g_cancellable_new()};
};

NameLookup::NameLookup(GMainContext* context) : context_(context) {}

NameLookup::~NameLookup() {
  for (Pending* pending : pending_) {
    pending->owner = nullptr;
    g_cancellable_cancel(pending->cancellable.get());
  }
}

void NameLookup::lookup(const std::string& host, Done done) {
  // GResolver answers on the caller's thread-default context: it must be ours, which
  // nobody else may be running.
  GMainContext* here = g_main_context_get_thread_default();
  if ((here ? here : g_main_context_default()) != context_) {
    spdlog::warn("name lookup of '{}' from outside the engine's context", host);
  }
  auto* pending = new Pending{this, host, std::move(done)};
  pending_.insert(pending);
  glib::GObjectPtr<GResolver> resolver(g_resolver_get_default());
  g_resolver_lookup_by_name_async(resolver.get(), host.c_str(), pending->cancellable.get(),
                                  &NameLookup::on_resolved, pending);
}

void NameLookup::on_resolved(GObject* resolver, GAsyncResult* result, gpointer data) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(data));
  glib::GErrorOut error;
  GList* addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(resolver), result, error.out());
  std::string text;
  if (addresses) {
    gchar* address = g_inet_address_to_string(G_INET_ADDRESS(addresses->data));
    text = address;
    g_free(address);
  }
  g_resolver_free_addresses(addresses);
  NameLookup* owner = pending->owner;
  if (!owner) return;  // cancelled by the owner's end
  owner->pending_.erase(pending.get());
  try {
    if (text.empty()) {
      spdlog::info("cannot find host '{}': {}", pending->host,
                   error ? error.message() : "no address");
      pending->done(std::nullopt, "cannot find host '" + pending->host +
                                      "': check the name, or call its IP address");
    } else {
      spdlog::debug("host '{}' is {}", pending->host, text);
      pending->done(text, {});
    }
  } catch (const std::exception& e) {
    spdlog::error("name lookup of '{}': {}", pending->host, e.what());
  }
}

}  // namespace lanline::engine
