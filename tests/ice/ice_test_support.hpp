// Shared by the tests that run real ICE agents on a context of their own (tests/ice,
// tests/media): running the context until something holds, and what a peer would read
// from an agent's SDP.
#pragma once

#include <glib.h>

#include <chrono>
#include <functional>

#include "ice/ice_agent.hpp"

namespace lanline::ice::test {

// Runs `context` until `done` or `limit`; whether `done` became true.
inline bool spin_until(GMainContext* context, const std::function<bool()>& done,
                       std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    g_main_context_iteration(context, FALSE);
    g_usleep(500);
  }
  return true;
}

// What the peer reads from the agent's SDP: credentials, candidates, the default one.
inline IceTransport as_remote(const IceAgent& agent) {
  LocalIce ice = agent.local();
  IceAgent::DefaultChoice choice;
  choice.ipv6 =
      !ice.candidates.empty() && ice.candidates.front().address.find(':') != std::string::npos;
  choice.preferred_host = ice.candidates.empty() ? "" : ice.candidates.front().address;
  LocalTransport local = agent.default_transport(choice);
  IceTransport remote;
  remote.ufrag = local.ice->ufrag;
  remote.pwd = local.ice->pwd;
  remote.candidates = local.ice->candidates;
  remote.default_candidate = {local.address, local.rtp_port, local.rtcp_port};
  return remote;
}

}  // namespace lanline::ice::test
