// What the control socket talks to: the engine's commands and events as JSON objects
// (the control protocol of DESIGN.md). The GUI will use the same interface.
#pragma once

#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

namespace lanline::engine {

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;

  // `request` is the object a client sent ({"cmd":"call","target":"alice"}); the reply
  // is {"ok":true,...} or {"ok":false,"error":"..."} without the request's "id", which
  // the caller copies in. Runs on the engine's thread.
  virtual nlohmann::json execute(const nlohmann::json& request) = 0;

  // The same for a client that can wait: a command that needs the network first (a call
  // or message to a host name, looked up off the engine thread) replies later. `reply`
  // runs exactly once, on the engine's thread, now or later; never after the handler is
  // destroyed. The control socket and the window use this one.
  using ReplySink = std::function<void(nlohmann::json reply)>;
  virtual void execute_async(const nlohmann::json& request, ReplySink reply) {
    reply(execute(request));
  }

  // Events ({"event":"call.state",...}) go to every subscriber until it unsubscribes.
  using EventSink = std::function<void(const nlohmann::json& event)>;
  virtual std::uint64_t subscribe(EventSink sink) = 0;
  virtual void unsubscribe(std::uint64_t token) = 0;
};

}  // namespace lanline::engine
