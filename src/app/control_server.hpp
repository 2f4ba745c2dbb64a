// The control socket of a node (DESIGN.md, "Control protocol"): a Unix stream socket
// on the engine's GMainContext, one JSON object per line. Each request gets exactly one
// reply line, the CommandHandler's answer with the request's "id" copied in;
// {"cmd":"events"} is answered {"ok":true} and then streams every event, one per line,
// until the client closes. No threads: everything runs from the context's sources.
#pragma once

#include <glib.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/command_handler.hpp"

namespace lanline::app {

struct ControlServerOptions {
  std::filesystem::path socket_path;
  std::string profile = "default";  // named in the "already running" error
  // A request line longer than this gets an error and the connection is closed.
  std::size_t max_line = std::size_t{1} << 20;
  // A client that lets this much of our output pile up (it stopped reading) is dropped,
  // so one stuck `ctl events` cannot make the node's memory grow without bound.
  std::size_t max_pending_output = std::size_t{16} << 20;
};

class ControlServer {
 public:
  // Claims the socket: refuses when a live node answers on it, removes a stale socket
  // file left by a node that died, binds with mode 0600 and listens. Clients that
  // connect before start() wait in the backlog. The socket's directory must exist.
  static std::unique_ptr<ControlServer> create(GMainContext* context,
                                               const ControlServerOptions& options,
                                               std::string& error);
  // Closes every connection, unsubscribes their event streams and removes the socket
  // file (unless another node has replaced it meanwhile).
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Starts accepting. `handler` must outlive the server; it is called on the context's
  // thread, and must not destroy the server from inside execute().
  void start(engine::CommandHandler& handler);

  std::size_t connections() const;
  const std::filesystem::path& socket_path() const;

 private:
  ControlServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lanline::app
