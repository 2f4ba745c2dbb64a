// The test network of the UA core's tests: UA nodes on an in-memory network with a fake
// clock that can drop datagrams.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "core/user_agent.hpp"
#include "sip/parser.hpp"

namespace lanline::core::test {

using std::chrono::milliseconds;

struct Network;

// One node: a UA, what it told its listener, and its side of the network.
struct Node : sip::TransportSender, UserAgentListener {
  std::vector<sip::Endpoint> destinations;  // where each sent message went
  // `video`: the node takes VP8 video, with no picture of its own to send (no camera).
  Node(Network& net, std::string user, std::string host, CallMedia* media = nullptr,
       bool video = false);
  bool send(std::string_view bytes, const sip::Endpoint& to) override;
  void on_call(const CallInfo& call) override {
    calls[call.id] = call;
    history.push_back(call);
  }
  void on_message(const IncomingMessage& message) override { messages.push_back(message); }
  void on_message_result(std::uint64_t id, int code, const std::string&) override {
    results[id] = code;
  }
  CallInfo last() const { return history.empty() ? CallInfo{} : history.back(); }

  Network& net;
  sip::Endpoint address;
  std::unique_ptr<UserAgent> ua;
  std::map<CallId, CallInfo> calls;
  std::vector<CallInfo> history;
  std::vector<IncomingMessage> messages;
  std::map<std::uint64_t, int> results;
  std::vector<std::string> sent;  // every message this node put on the wire
};

struct Network {
  sip::TimePoint now = sip::TimePoint{} + std::chrono::hours(1);
  double loss = 0;
  std::mt19937 random{11};
  struct Datagram {
    std::string bytes;
    sip::Endpoint from;
    sip::Endpoint to;
    sip::TimePoint at;
  };
  std::deque<Datagram> in_flight;
  std::vector<Node*> nodes;
  // A datagram this says to drop is lost on purpose (besides the random `loss`).
  std::function<bool(const Datagram&)> drop;

  void run(milliseconds duration) {
    sip::TimePoint end = now + duration;
    std::bernoulli_distribution lost(loss);
    while (now < end) {
      now += milliseconds(5);
      while (!in_flight.empty() && in_flight.front().at + milliseconds(2) <= now) {
        Datagram d = std::move(in_flight.front());
        in_flight.pop_front();
        if (lost(random) || (drop && drop(d))) continue;
        for (Node* node : nodes) {
          if (node->address.address == d.to.address && node->address.port == d.to.port) {
            auto message = sip::parse_message(d.bytes);
            ASSERT_TRUE(message.ok()) << message.error().reason << "\n" << d.bytes;
            node->ua->receive(std::move(message).value(), d.from, now);
          }
        }
      }
      for (Node* node : nodes)
        node->ua->advance(now);
    }
  }
};

inline Node::Node(Network& n, std::string user, std::string host, CallMedia* media, bool video)
    : net(n) {
  address = sip::Endpoint{host, 5060, sip::TransportKind::kUdp, 0};
  UserAgentConfig config;
  config.local.user = user;
  config.local.host = host;
  config.local.port = 5060;
  config.local.user_agent = "Lanline-test";
  config.display_name = user;
  config.media = media;
  if (video) {
    config.video_codecs = {"vp8"};
    config.send_video = false;
  }
  ua = std::make_unique<UserAgent>(*this, *this, config);
  net.nodes.push_back(this);
}

inline bool Node::send(std::string_view bytes, const sip::Endpoint& to) {
  sent.emplace_back(bytes);
  destinations.push_back(to);
  net.in_flight.push_back({std::string(bytes), address, to, net.now});
  return true;
}

inline sip::Uri uri(const std::string& text) {
  static std::deque<std::string> keep;  // Uri views need their text to live on
  keep.push_back(text);
  return sip::parse_uri(keep.back()).value();
}

}  // namespace lanline::core::test
