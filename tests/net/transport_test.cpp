// The SIP transport on real loopback sockets (127.0.0.1 and ::1 only): UDP and TCP on
// one port per family, framing, connection reuse, idle close, port fallback, and
// hostile input. Each test drives its own GMainContext.
#include "net/sip_transport.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "loop_support.hpp"
#include "sip/builder.hpp"
#include "sip/parser.hpp"
#include "test_certificate.hpp"

namespace lanline::net {
namespace {

using namespace std::chrono_literals;
using sip::TransportKind;
using test::MainContext;
using test::RawSocket;

TransportOptions loopback_options(std::uint16_t port = 0) {
  TransportOptions options;
  options.port = port;
  options.bind_ipv4 = "127.0.0.1";
  options.bind_ipv6 = "::1";
  return options;
}

struct Received {
  sip::Message message;
  sip::Endpoint from;
};

// A transport and everything it received.
struct Node {
  Node(MainContext& loop, const TransportOptions& options = loopback_options()) {
    std::string error;
    transport = SipTransport::create(loop.get(), options, error);
    EXPECT_TRUE(transport) << error;
    if (transport) {
      transport->set_receiver([this](sip::Message message, const sip::Endpoint& from) {
        inbox.push_back(Received{std::move(message), from});
      });
    }
  }
  sip::Endpoint at(const std::string& address, TransportKind kind) const {
    return sip::Endpoint{address, transport->port(), kind, 0};
  }

  std::unique_ptr<SipTransport> transport;
  std::vector<Received> inbox;
};

std::string host_port(const std::string& address, std::uint16_t port) {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string options_request(const std::string& address, std::uint16_t port, TransportKind kind,
                            int cseq = 1, const std::string& body = "") {
  std::string where = host_port(address, port);
  std::string out = "OPTIONS sip:bob@" + where + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/" + std::string(sip::transport_name(kind)) + " " + where +
         ";branch=" + sip::new_branch() + ";rport\r\n";
  out += "Max-Forwards: 70\r\n";
  out += "From: <sip:alice@" + where + ">;tag=" + sip::random_token() + "\r\n";
  out += "To: <sip:bob@" + where + ">\r\n";
  out += "Call-ID: " + sip::random_token() + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " OPTIONS\r\n";
  if (!body.empty()) out += "Content-Type: text/plain\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

std::string ok_for(const sip::Message& request, const std::string& body = "") {
  sip::ResponseSpec spec;
  spec.code = 200;
  spec.to_tag = "b1";
  if (!body.empty()) {
    spec.content_type = "text/plain";
    spec.body = body;
  }
  auto response = sip::build_response(request, spec);
  EXPECT_TRUE(response.ok());
  return response ? std::string(response->text()) : std::string();
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// --- One OPTIONS and its 200, per transport and family -------------------------------

struct Path {
  const char* address;
  TransportKind kind;
};

class Exchange : public ::testing::TestWithParam<Path> {};

TEST_P(Exchange, OptionsAnd200) {
  const Path path = GetParam();
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  ASSERT_NE(a.transport->port(), b.transport->port());

  std::string request = options_request(path.address, a.transport->port(), path.kind);
  ASSERT_TRUE(a.transport->send(request, b.at(path.address, path.kind)));
  ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));

  const Received& in = b.inbox.front();
  EXPECT_TRUE(in.message.is_request());
  EXPECT_EQ(in.message.method_text(), "OPTIONS");
  // RFC 3261 18.2.1: the real source, IPv6 without brackets.
  EXPECT_EQ(in.from.address, path.address);
  EXPECT_EQ(in.from.transport, path.kind);
  if (path.kind == TransportKind::kUdp) {
    EXPECT_EQ(in.from.port, a.transport->port());  // sent from the listening socket
    EXPECT_EQ(in.from.connection, 0u);
  } else {
    EXPECT_NE(in.from.connection, 0u);
  }

  ASSERT_TRUE(b.transport->send(ok_for(in.message), in.from));
  ASSERT_TRUE(loop.run_until([&] { return !a.inbox.empty(); }));
  const Received& answer = a.inbox.front();
  EXPECT_TRUE(answer.message.is_response());
  EXPECT_EQ(answer.message.status_code(), 200);
  EXPECT_EQ(answer.from.address, path.address);
  EXPECT_EQ(answer.from.port, b.transport->port());
  EXPECT_EQ(answer.from.transport, path.kind);

  std::size_t connections = path.kind == TransportKind::kTcp ? 1 : 0;
  EXPECT_EQ(a.transport->open_connections(), connections);
  EXPECT_EQ(b.transport->open_connections(), connections);
}

INSTANTIATE_TEST_SUITE_P(
    Loopback, Exchange,
    ::testing::Values(Path{"127.0.0.1", TransportKind::kUdp}, Path{"::1", TransportKind::kUdp},
                      Path{"127.0.0.1", TransportKind::kTcp}, Path{"::1", TransportKind::kTcp}),
    [](const auto& param_info) {
      return std::string(param_info.param.kind == TransportKind::kTcp ? "Tcp" : "Udp") +
             (std::string(param_info.param.address) == "::1" ? "V6" : "V4");
    });

// --- TLS (RFC 3261 26.2) --------------------------------------------------------------

// Two transports with TLS on, each with its own certificate, and what each one's TLS
// check was asked.
class TlsTransport : public ::testing::Test {
 protected:
  struct Check {
    sip::Endpoint peer;
    bool we_connected = false;
    std::string fingerprint;
  };

  void SetUp() override {
    char pattern[] = "/tmp/lanline-tls-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    alice_cert_ = lanline::test::make_test_certificate(dir_, "alice");
    bob_cert_ = lanline::test::make_test_certificate(dir_, "bob");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void enable(Node& node, const lanline::test::TestCertificate& cert,
                     std::vector<Check>& checks, std::string refusal = "") {
    std::string error;
    ASSERT_TRUE(node.transport->enable_tls({cert.certificate_path, cert.key_path}, 0, error))
        << error;
    node.transport->set_tls_check(
        [&checks, refusal](const sip::Endpoint& peer, bool we_connected, const std::string& fp) {
          checks.push_back(Check{peer, we_connected, fp});
          return refusal;
        });
  }
  static sip::Endpoint tls_at(const Node& node, const std::string& address = "127.0.0.1") {
    return sip::Endpoint{address, node.transport->tls_port(), TransportKind::kTls, 0};
  }

  std::string dir_;
  lanline::test::TestCertificate alice_cert_, bob_cert_;
};

TEST_F(TlsTransport, OptionsAnd200WithEachSidesCertificateJudged) {
  for (const char* address : {"127.0.0.1", "::1"}) {
    SCOPED_TRACE(address);
    MainContext loop;
    Node a(loop), b(loop);
    ASSERT_TRUE(a.transport && b.transport);
    std::vector<Check> a_checks, b_checks;
    enable(a, alice_cert_, a_checks);
    enable(b, bob_cert_, b_checks);
    EXPECT_NE(b.transport->tls_port(), 0);
    EXPECT_NE(b.transport->tls_port(), b.transport->port());

    ASSERT_TRUE(
        a.transport->send(options_request(address, a.transport->tls_port(), TransportKind::kTls),
                          tls_at(b, address)));
    ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
    const Received& in = b.inbox.front();
    EXPECT_EQ(in.message.method_text(), "OPTIONS");
    EXPECT_EQ(in.from.transport, TransportKind::kTls);
    EXPECT_EQ(in.from.address, address);
    EXPECT_NE(in.from.connection, 0u);
    // Each side saw the other's certificate: the client (a) judged the server's before
    // it sent a byte of SIP, the server the client's.
    ASSERT_EQ(a_checks.size(), 1u);
    EXPECT_TRUE(a_checks[0].we_connected);
    EXPECT_EQ(a_checks[0].fingerprint, bob_cert_.fingerprint);
    EXPECT_EQ(a_checks[0].peer.port, b.transport->tls_port());
    ASSERT_EQ(b_checks.size(), 1u);
    EXPECT_FALSE(b_checks[0].we_connected);
    EXPECT_EQ(b_checks[0].fingerprint, alice_cert_.fingerprint);
    EXPECT_EQ(b.transport->peer_fingerprint(in.from.connection), alice_cert_.fingerprint);

    // The answer goes back over that connection, and a second request reuses it.
    ASSERT_TRUE(b.transport->send(ok_for(in.message), in.from));
    ASSERT_TRUE(loop.run_until([&] { return !a.inbox.empty(); }));
    EXPECT_EQ(a.inbox.front().message.status_code(), 200);
    EXPECT_EQ(a.inbox.front().from.transport, TransportKind::kTls);
    ASSERT_TRUE(a.transport->send(
        options_request(address, a.transport->tls_port(), TransportKind::kTls, 2, "again"),
        tls_at(b, address)));
    ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 2; }));
    EXPECT_EQ(b.inbox[1].message.body(), "again");
    EXPECT_EQ(b.inbox[1].from.connection, b.inbox[0].from.connection);
    EXPECT_EQ(a.transport->open_connections(), 1u);
    EXPECT_EQ(b.transport->open_connections(), 1u);
    EXPECT_EQ(a_checks.size(), 1u);  // one handshake
  }
}

TEST_F(TlsTransport, ACertificateRefusedByTheClientGetsNoSip) {
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  std::vector<Check> a_checks, b_checks;
  enable(a, alice_cert_, a_checks, "not the certificate it announced");
  enable(b, bob_cert_, b_checks);
  std::vector<sip::Endpoint> failed;
  a.transport->set_send_failure([&](const sip::Endpoint& peer) { failed.push_back(peer); });

  ASSERT_TRUE(a.transport->send(
      options_request("127.0.0.1", a.transport->tls_port(), TransportKind::kTls), tls_at(b)));
  ASSERT_TRUE(loop.run_until([&] { return !failed.empty(); }));
  EXPECT_EQ(failed.front().transport, TransportKind::kTls);
  EXPECT_EQ(failed.front().port, b.transport->tls_port());
  loop.run_for(100ms);
  EXPECT_TRUE(b.inbox.empty());  // the request never left
  EXPECT_EQ(a.transport->open_connections(), 0u);
  ASSERT_TRUE(loop.run_until([&] { return b.transport->open_connections() == 0; }));
}

TEST_F(TlsTransport, NoSipLeavesBeforeTheHandshakeAndASilentServerIsGivenUp) {
  MainContext loop;
  TransportOptions options = loopback_options();
  options.tls_handshake_ms = 300;
  Node a(loop, options);
  ASSERT_TRUE(a.transport);
  std::vector<Check> checks;
  enable(a, alice_cert_, checks);
  std::vector<sip::Endpoint> failed;
  a.transport->set_send_failure([&](const sip::Endpoint& peer) { failed.push_back(peer); });
  RawSocket server(AF_INET, SOCK_STREAM);
  const std::uint16_t port = server.bind_loopback();
  ASSERT_TRUE(server.listen());

  sip::Endpoint to{"127.0.0.1", port, TransportKind::kTls, 0};
  ASSERT_TRUE(a.transport->send(
      options_request("127.0.0.1", a.transport->tls_port(), TransportKind::kTls), to));
  int accepted = -1;
  ASSERT_TRUE(loop.run_until([&] {
    accepted = ::accept(server.fd(), nullptr, nullptr);
    return accepted >= 0;
  }));
  std::string seen;
  bool open = true;
  ASSERT_TRUE(loop.run_until(
      [&] {
        char buffer[4096];
        pollfd p{accepted, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
          ssize_t got = ::recv(accepted, buffer, sizeof buffer, 0);
          if (got <= 0) open = false;
          if (got > 0) seen.append(buffer, static_cast<std::size_t>(got));
        }
        return !open;
      },
      3s));
  ::close(accepted);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(static_cast<unsigned char>(seen[0]), 0x16);  // a TLS handshake record
  EXPECT_EQ(seen.find("OPTIONS"), std::string::npos);
  EXPECT_EQ(seen.find("SIP/2.0"), std::string::npos);
  ASSERT_TRUE(loop.run_until([&] { return !failed.empty(); }));
  EXPECT_TRUE(checks.empty());
  EXPECT_EQ(a.transport->open_connections(), 0u);
}

TEST_F(TlsTransport, ASilentClientIsCutOffAtTheHandshakeDeadline) {
  MainContext loop;
  TransportOptions options = loopback_options();
  options.tls_handshake_ms = 300;
  Node b(loop, options);
  ASSERT_TRUE(b.transport);
  std::vector<Check> checks;
  enable(b, bob_cert_, checks);
  RawSocket client(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(client.connect_loopback(b.transport->tls_port()));
  ASSERT_TRUE(loop.run_until([&] { return b.transport->open_connections() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop.run_until([&] { return b.transport->open_connections() == 0; }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  bool open = true;
  ASSERT_TRUE(loop.run_until([&] {
    open = client.receive_now().second;
    return !open;
  }));
  EXPECT_TRUE(checks.empty());
}

TEST_F(TlsTransport, PlainSipGarbageAndTruncatedRecordsEndOnlyTheirConnection) {
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  std::vector<Check> a_checks, b_checks;
  enable(a, alice_cert_, a_checks);
  enable(b, bob_cert_, b_checks);
  const std::string plain = options_request("127.0.0.1", 1, TransportKind::kTls);
  std::string oversized_record("\x16\x03\x03\xff\xff", 5);  // a record longer than TLS allows
  std::string truncated_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise)
    c = static_cast<char>(random());
  for (const std::string& bytes : {plain, oversized_record + std::string(300, 'x'), noise}) {
    RawSocket client(AF_INET, SOCK_STREAM);
    ASSERT_TRUE(client.connect_loopback(b.transport->tls_port()));
    ASSERT_TRUE(client.send_all(bytes));
    bool open = true;
    ASSERT_TRUE(loop.run_until([&] {
      open = client.receive_now().second;
      return !open;
    }));
  }
  {
    // A ClientHello cut short, then the client goes: nothing is left behind.
    RawSocket client(AF_INET, SOCK_STREAM);
    ASSERT_TRUE(client.connect_loopback(b.transport->tls_port()));
    ASSERT_TRUE(client.send_all(truncated_hello));
    loop.run_for(50ms);
  }
  ASSERT_TRUE(loop.run_until([&] { return b.transport->open_connections() == 0; }));
  EXPECT_TRUE(b.inbox.empty());  // plain SIP on the TLS port is not SIP over TLS
  EXPECT_TRUE(b_checks.empty());

  // The listener still takes a real client.
  ASSERT_TRUE(a.transport->send(
      options_request("127.0.0.1", a.transport->tls_port(), TransportKind::kTls), tls_at(b)));
  ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 1; }));
}

TEST(TlsTransportOff, SendingOverTlsWithoutItFails) {
  MainContext loop;
  Node a(loop);
  ASSERT_TRUE(a.transport);
  EXPECT_EQ(a.transport->tls_port(), 0);
  sip::Endpoint to{"127.0.0.1", 5061, TransportKind::kTls, 0};
  EXPECT_FALSE(a.transport->send(options_request("127.0.0.1", 1, TransportKind::kTls), to));
}

// --- TCP ------------------------------------------------------------------------------

TEST(TcpTransport, PipelinedAndByteByByteMessagesFromARawClient) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(client.connect_loopback(b.transport->port()));

  // Two messages in one write, with a keep-alive CRLF between them (RFC 5626 3.5.1).
  std::string two = options_request("127.0.0.1", 1, TransportKind::kTcp, 1) + "\r\n" +
                    options_request("127.0.0.1", 1, TransportKind::kTcp, 2, "hello");
  ASSERT_TRUE(client.send_all(two));
  ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 2; }));
  EXPECT_EQ(b.inbox[0].message.cseq().number, 1u);
  EXPECT_EQ(b.inbox[1].message.cseq().number, 2u);
  EXPECT_EQ(b.inbox[1].message.body(), "hello");

  // One byte per write, with the loop running between them, so the transport reads
  // every piece on its own.
  std::string slow = options_request("127.0.0.1", 1, TransportKind::kTcp, 3, "slowly");
  for (char c : slow) {
    ASSERT_TRUE(client.send_all(std::string_view(&c, 1)));
    loop.run_for(1ms);
  }
  ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 3; }));
  EXPECT_EQ(b.inbox[2].message.cseq().number, 3u);
  EXPECT_EQ(b.inbox[2].message.body(), "slowly");

  // All three came over one connection, and the answer goes back over it.
  EXPECT_EQ(b.inbox[0].from.connection, b.inbox[1].from.connection);
  EXPECT_EQ(b.inbox[0].from.connection, b.inbox[2].from.connection);
  EXPECT_EQ(b.transport->open_connections(), 1u);
  ASSERT_TRUE(b.transport->send(ok_for(b.inbox[2].message), b.inbox[2].from));
  std::string answer;
  ASSERT_TRUE(loop.run_until([&] {
    answer += client.receive_now().first;
    return answer.find("\r\n\r\n") != std::string::npos;
  }));
  EXPECT_EQ(answer.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << answer;
}

TEST(TcpTransport, MessageOf3000Bytes) {
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  // Sized so that the whole message is 3000 bytes (the tokens in it have fixed sizes).
  std::string body(2500, 'x');
  std::string request;
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < body.size(); ++i)
      body[i] = static_cast<char>('a' + i % 26);
    request = options_request("127.0.0.1", a.transport->port(), TransportKind::kTcp, 1, body);
    body.resize(body.size() + 3000 - request.size());
  }
  ASSERT_EQ(request.size(), 3000u);
  ASSERT_TRUE(a.transport->send(request, b.at("127.0.0.1", TransportKind::kTcp)));
  ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
  EXPECT_EQ(b.inbox[0].message.body(), body);
  EXPECT_EQ(b.inbox[0].message.text(), request);
}

TEST(TcpTransport, WriteQueueDrainsToASlowReader) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET, SOCK_STREAM);
  int small = 4096;  // a small window, so the transport's writes go partial
  setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ASSERT_TRUE(client.connect_loopback(b.transport->port()));
  ASSERT_TRUE(client.send_all(options_request("127.0.0.1", 1, TransportKind::kTcp)));
  ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));

  // Nobody reads until all has been handed over: the kernel takes what its buffers
  // hold (a few MB on loopback), the transport queues the rest up to its bound (1 MiB)
  // and refuses more, rather than hold any amount for a peer that does not read.
  std::string body(50000, 'z');
  std::size_t expected = 0;
  int responses = 0;
  bool refused = false;
  while (!refused && expected < 64u * 1024 * 1024) {
    std::string response = ok_for(b.inbox[0].message, body);
    if (b.transport->send(response, b.inbox[0].from)) {
      expected += response.size();
      ++responses;
    } else {
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(b.transport->open_connections(), 1u);  // still usable once drained
  std::string got;
  ASSERT_TRUE(loop.run_until(
      [&] {
        got += client.receive_now().first;
        return got.size() >= expected;
      },
      20s));
  EXPECT_EQ(got.size(), expected);
  EXPECT_EQ(count(got, "SIP/2.0 200 OK\r\n"), static_cast<std::size_t>(responses));
  ASSERT_TRUE(b.transport->send(ok_for(b.inbox[0].message), b.inbox[0].from));
}

TEST(TcpTransport, ReusesConnectionsBothWays) {
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  sip::Endpoint to_b = b.at("::1", TransportKind::kTcp);

  ASSERT_TRUE(
      a.transport->send(options_request("::1", a.transport->port(), TransportKind::kTcp, 1), to_b));
  ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 1; }));
  // The response goes back over the request's connection (RFC 3261 18.2.2): A sees it
  // come from B's listening port, over the connection A opened, and no new one appears.
  ASSERT_TRUE(b.transport->send(ok_for(b.inbox[0].message), b.inbox[0].from));
  ASSERT_TRUE(loop.run_until([&] { return a.inbox.size() == 1; }));
  EXPECT_EQ(a.inbox[0].from.port, b.transport->port());
  EXPECT_EQ(a.transport->open_connections(), 1u);
  EXPECT_EQ(b.transport->open_connections(), 1u);

  // A second request to the same address and port reuses the connection; so does one
  // that names it.
  ASSERT_TRUE(
      a.transport->send(options_request("::1", a.transport->port(), TransportKind::kTcp, 2), to_b));
  sip::Endpoint named = to_b;
  named.connection = a.inbox[0].from.connection;
  ASSERT_TRUE(a.transport->send(options_request("::1", a.transport->port(), TransportKind::kTcp, 3),
                                named));
  ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 3; }));
  EXPECT_EQ(b.inbox[1].from.connection, b.inbox[0].from.connection);
  EXPECT_EQ(b.inbox[2].from.connection, b.inbox[0].from.connection);
  EXPECT_EQ(a.transport->open_connections(), 1u);
  EXPECT_EQ(b.transport->open_connections(), 1u);

  // A connection id that is gone falls back to the address.
  sip::Endpoint stale = to_b;
  stale.connection = 999999;
  ASSERT_TRUE(a.transport->send(options_request("::1", a.transport->port(), TransportKind::kTcp, 4),
                                stale));
  ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 4; }));
  EXPECT_EQ(b.inbox[3].from.connection, b.inbox[0].from.connection);
  EXPECT_EQ(a.transport->open_connections(), 1u);
}

TEST(TcpTransport, ClosesIdleConnections) {
  MainContext loop;
  TransportOptions options = loopback_options();
  options.tcp_idle_seconds = 1;
  Node a(loop, options), b(loop, options);
  ASSERT_TRUE(a.transport && b.transport);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(a.transport->send(options_request("127.0.0.1", 1, TransportKind::kTcp),
                                b.at("127.0.0.1", TransportKind::kTcp)));
  ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
  EXPECT_EQ(a.transport->open_connections(), 1u);
  EXPECT_EQ(b.transport->open_connections(), 1u);
  ASSERT_TRUE(loop.run_until(
      [&] { return a.transport->open_connections() == 0 && b.transport->open_connections() == 0; },
      5s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST(TcpTransport, TrafficKeepsAConnectionOpen) {
  MainContext loop;
  TransportOptions options = loopback_options();
  options.tcp_idle_seconds = 1;
  Node a(loop, options), b(loop, options);
  ASSERT_TRUE(a.transport && b.transport);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(a.transport->send(options_request("127.0.0.1", 1, TransportKind::kTcp, i),
                                  b.at("127.0.0.1", TransportKind::kTcp)));
    ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == static_cast<std::size_t>(i); }));
    loop.run_for(400ms);
  }
  for (const Received& r : b.inbox)
    EXPECT_EQ(r.from.connection, b.inbox[0].from.connection);
}

TEST(TcpTransport, ForgetsAConnectionThePeerClosed) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  {
    RawSocket client(AF_INET6, SOCK_STREAM);
    ASSERT_TRUE(client.connect_loopback(b.transport->port()));
    ASSERT_TRUE(client.send_all(options_request("::1", 1, TransportKind::kTcp)));
    ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
    EXPECT_EQ(b.transport->open_connections(), 1u);
  }
  ASSERT_TRUE(loop.run_until([&] { return b.transport->open_connections() == 0; }));
  // An answer for the gone connection goes to the address instead: the client's
  // ephemeral port has no listener, so it fails (now or once the connect is refused).
  b.transport->send(ok_for(b.inbox[0].message), b.inbox[0].from);
  ASSERT_TRUE(loop.run_until([&] { return b.transport->open_connections() == 0; }));
}

TEST(TcpTransport, AFramingErrorClosesTheConnection) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(client.connect_loopback(b.transport->port()));
  std::string bad = options_request("127.0.0.1", 1, TransportKind::kTcp);
  bad.replace(bad.find("Content-Length: 0"), 17, "Content-Length: -5");
  ASSERT_TRUE(client.send_all(bad));
  bool open = true;
  ASSERT_TRUE(loop.run_until([&] {
    open = client.receive_now().second;
    return !open;
  }));
  EXPECT_TRUE(b.inbox.empty());
  EXPECT_EQ(b.transport->open_connections(), 0u);
}

TEST(TcpTransport, AnEndlessHeaderSectionClosesTheConnection) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(client.connect_loopback(b.transport->port()));
  std::string junk = "OPTIONS sip:x SIP/2.0\r\nX: " + std::string(70000, 'x');
  bool open = true;
  // Written in pieces, since the transport may close before it has read everything.
  for (std::size_t at = 0; at < junk.size() && open; at += 8192) {
    client.send_all(std::string_view(junk).substr(at, 8192));
    loop.run_for(2ms);
  }
  ASSERT_TRUE(loop.run_until([&] {
    open = client.receive_now().second;
    return !open;
  }));
  EXPECT_EQ(b.transport->open_connections(), 0u);
}

TEST(TcpTransport, AMalformedRequestIsAnsweredOnItsConnection) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(client.connect_loopback(b.transport->port()));
  std::string bad = options_request("127.0.0.1", 1, TransportKind::kTcp);
  bad.replace(bad.find("1 OPTIONS"), 9, "1 INVITE");
  ASSERT_TRUE(client.send_all(bad));
  std::string answer;
  ASSERT_TRUE(loop.run_until([&] {
    answer += client.receive_now().first;
    return answer.find("\r\n\r\n") != std::string::npos;
  }));
  EXPECT_EQ(answer.rfind("SIP/2.0 400 ", 0), 0u) << answer;
  EXPECT_NE(answer.substr(0, answer.find('\r')).find("CSeq"), std::string::npos) << answer;
  EXPECT_TRUE(b.inbox.empty());
  EXPECT_EQ(b.transport->open_connections(), 1u);  // a parse error is not a framing error
}

TEST(TcpTransport, ARefusedConnectIsForgotten) {
  MainContext loop;
  Node a(loop);
  ASSERT_TRUE(a.transport);
  std::uint16_t closed_port = 0;
  {
    RawSocket probe(AF_INET, SOCK_STREAM);
    closed_port = probe.bind_loopback();  // bound, never listening: connects are refused
    ASSERT_NE(closed_port, 0);
    sip::Endpoint to{"127.0.0.1", closed_port, TransportKind::kTcp, 0};
    // Queued while connecting, or refused at once: either way nothing stays open.
    a.transport->send(options_request("127.0.0.1", 1, TransportKind::kTcp), to);
    ASSERT_TRUE(loop.run_until([&] { return a.transport->open_connections() == 0; }));
  }
}

// Out of file descriptors, accept() fails and the listener stays readable: the
// transport pauses accepting instead of spinning, and takes the waiting clients later.
TEST(TcpTransport, AcceptPausesWhileOutOfDescriptors) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  std::vector<std::unique_ptr<RawSocket>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawSocket>(AF_INET, SOCK_STREAM));
    ASSERT_TRUE(clients.back()->connect_loopback(b.transport->port()));  // in the backlog
  }
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto saved = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("emfile-test", ring));

  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  int lowest_free = dup(0);  // every descriptor below this one is taken
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  rlimit none = limit;
  none.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
  loop.run_for(100ms);
  std::size_t while_out = b.transport->open_connections();
  setrlimit(RLIMIT_NOFILE, &limit);

  bool all = loop.run_until([&] { return b.transport->open_connections() == clients.size(); });
  spdlog::set_default_logger(saved);
  EXPECT_EQ(while_out, 0u);
  EXPECT_TRUE(all);
  std::string log;
  for (const std::string& line : ring->last_formatted())
    log += line;
  EXPECT_EQ(count(log, "not accepting for"), 1u) << log;
}

// --- UDP ------------------------------------------------------------------------------

TEST(UdpTransport, AMalformedRequestGetsA400ThatSaysWhy) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET, SOCK_DGRAM);
  ASSERT_NE(client.bind_loopback(), 0);
  std::string bad = options_request("127.0.0.1", 1, TransportKind::kUdp);
  bad.replace(bad.find("1 OPTIONS"), 9, "1 INVITE");
  ASSERT_TRUE(client.send_to_loopback(bad, b.transport->port()));
  std::string answer;
  ASSERT_TRUE(loop.run_until([&] {
    answer += client.receive_now().first;
    return !answer.empty();
  }));
  auto parsed = sip::parse_message(answer);
  ASSERT_TRUE(parsed) << parsed.error().reason << "\n" << answer;
  EXPECT_EQ(parsed->status_code(), 400);
  EXPECT_NE(parsed->reason().find("CSeq method"), std::string_view::npos) << parsed->reason();
  EXPECT_TRUE(b.inbox.empty());
}

TEST(UdpTransport, AMalformedResponseIsDropped) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket client(AF_INET6, SOCK_DGRAM);
  ASSERT_NE(client.bind_loopback(), 0);
  ASSERT_TRUE(client.send_to_loopback("SIP/2.0 200 OK\r\nVia: junk\r\n\r\n", b.transport->port()));
  loop.run_for(100ms);
  EXPECT_TRUE(client.receive_now().first.empty());
  EXPECT_TRUE(b.inbox.empty());
}

TEST(UdpTransport, GarbageAndHugeDatagramsDoNotHurt) {
  MainContext loop;
  Node b(loop);
  ASSERT_TRUE(b.transport);
  RawSocket v4(AF_INET, SOCK_DGRAM), v6(AF_INET6, SOCK_DGRAM);
  ASSERT_NE(v4.bind_loopback(), 0);
  ASSERT_NE(v6.bind_loopback(), 0);
  std::mt19937 random(4242);
  std::string valid = options_request("127.0.0.1", 1, TransportKind::kUdp);
  for (int i = 0; i < 300; ++i) {
    std::string junk(random() % 1500, '\0');
    for (char& c : junk)
      c = static_cast<char>(random());
    // Some start as a SIP message would, so the parser gets further in.
    if (i % 3 == 0) junk = valid.substr(0, random() % valid.size()) + junk;
    (i % 2 ? v4 : v6).send_to_loopback(junk, b.transport->port());
    if (i % 50 == 0) loop.run_for(1ms);
  }
  v4.send_to_loopback("", b.transport->port());
  v4.send_to_loopback("\r\n\r\n", b.transport->port());  // a keep-alive: no answer
  // The largest datagrams IPv4 and IPv6 carry: one of junk, one a request head with a
  // header line that goes on and on.
  v4.send_to_loopback(std::string(65507, 'A'), b.transport->port());
  std::string huge = valid.substr(0, valid.find("Max-Forwards")) + "X-Long: ";
  huge += std::string(65527 - huge.size() - 4, 'y') + "\r\n\r\n";
  v6.send_to_loopback(huge, b.transport->port());
  loop.run_for(200ms);
  v4.receive_now();
  v6.receive_now();

  // Still alive and still working.
  ASSERT_TRUE(v4.send_to_loopback(valid, b.transport->port()));
  ASSERT_TRUE(loop.run_until([&] {
    for (const Received& r : b.inbox) {
      if (r.message.text() == valid) return true;
    }
    return false;
  }));
}

TEST(UdpTransport, SendFailsWhenItCannot) {
  MainContext loop;
  TransportOptions options = loopback_options();
  options.bind_ipv6 = "";
  Node a(loop, options);
  ASSERT_TRUE(a.transport);
  std::string request = options_request("127.0.0.1", 1, TransportKind::kUdp);
  // No IPv6 socket, no address, nothing to send.
  EXPECT_FALSE(a.transport->send(request, sip::Endpoint{"::1", 5060, TransportKind::kUdp, 0}));
  EXPECT_FALSE(a.transport->send(request, sip::Endpoint{"::1", 5060, TransportKind::kTcp, 0}));
  EXPECT_FALSE(
      a.transport->send(request, sip::Endpoint{"peer.invalid", 5060, TransportKind::kUdp, 0}));
  EXPECT_FALSE(
      a.transport->send(request, sip::Endpoint{"peer.invalid", 5060, TransportKind::kTcp, 0}));
  EXPECT_FALSE(a.transport->send("", sip::Endpoint{"127.0.0.1", 5060, TransportKind::kUdp, 0}));
  EXPECT_EQ(a.transport->open_connections(), 0u);
}

// --- Both -----------------------------------------------------------------------------

class ReceiverDestroys : public ::testing::TestWithParam<TransportKind> {};

TEST_P(ReceiverDestroys, TheTransportSafely) {
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  int calls = 0;
  b.transport->set_receiver([&](sip::Message, const sip::Endpoint&) {
    ++calls;
    b.transport.reset();
  });
  // Two messages that arrive together: the second must not reach a dead transport.
  std::string two = options_request("127.0.0.1", 1, GetParam(), 1);
  ASSERT_TRUE(a.transport->send(two, b.at("127.0.0.1", GetParam())));
  ASSERT_TRUE(a.transport->send(options_request("127.0.0.1", 1, GetParam(), 2),
                                b.at("127.0.0.1", GetParam())));
  ASSERT_TRUE(loop.run_until([&] { return !b.transport; }));
  loop.run_for(50ms);
  EXPECT_EQ(calls, 1);
  if (GetParam() == TransportKind::kTcp) {
    ASSERT_TRUE(loop.run_until([&] { return a.transport->open_connections() == 0; }));
  }
}

INSTANTIATE_TEST_SUITE_P(Loopback, ReceiverDestroys,
                         ::testing::Values(TransportKind::kUdp, TransportKind::kTcp),
                         [](const auto& param_info) {
                           return param_info.param == TransportKind::kTcp ? "Tcp" : "Udp";
                         });

TEST(Transport, AThrowingReceiverIsContained) {
  MainContext loop;
  Node a(loop), b(loop);
  ASSERT_TRUE(a.transport && b.transport);
  int calls = 0;
  b.transport->set_receiver([&](sip::Message, const sip::Endpoint&) {
    ++calls;
    throw std::runtime_error("receiver bug");
  });
  for (TransportKind kind : {TransportKind::kUdp, TransportKind::kTcp}) {
    ASSERT_TRUE(
        a.transport->send(options_request("127.0.0.1", 1, kind, 1), b.at("127.0.0.1", kind)));
    ASSERT_TRUE(
        a.transport->send(options_request("127.0.0.1", 1, kind, 2), b.at("127.0.0.1", kind)));
  }
  ASSERT_TRUE(loop.run_until([&] { return calls == 4; }));
}

TEST(Transport, TraceLogsEveryMessageInAndOut) {
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto saved = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("trace-test", ring));
  {
    MainContext loop;
    TransportOptions options = loopback_options();
    options.trace = true;
    Node a(loop, options), b(loop, options);
    ASSERT_TRUE(a.transport && b.transport);
    ASSERT_TRUE(a.transport->send(options_request("::1", a.transport->port(), TransportKind::kTcp),
                                  b.at("::1", TransportKind::kTcp)));
    ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
    ASSERT_TRUE(
        a.transport->send(options_request("127.0.0.1", a.transport->port(), TransportKind::kUdp),
                          b.at("127.0.0.1", TransportKind::kUdp)));
    ASSERT_TRUE(loop.run_until([&] { return b.inbox.size() == 2; }));
  }
  spdlog::set_default_logger(saved);
  std::string log;
  for (const std::string& line : ring->last_formatted())
    log += line;
  std::string b_tcp = "tcp:[::1]:";
  EXPECT_NE(log.find("SIP out to " + b_tcp), std::string::npos) << log;
  EXPECT_NE(log.find("SIP in from " + b_tcp), std::string::npos) << log;
  EXPECT_NE(log.find("SIP out to udp:127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("SIP in from udp:127.0.0.1:"), std::string::npos) << log;
  EXPECT_GE(count(log, "OPTIONS sip:bob@"), 4u) << log;
}

// --- Binding --------------------------------------------------------------------------

TEST(PortBinding, UdpAndTcpShareTheEphemeralPort) {
  MainContext loop;
  Node a(loop);
  ASSERT_TRUE(a.transport);
  std::uint16_t port = a.transport->port();
  ASSERT_NE(port, 0);
  for (int family : {AF_INET, AF_INET6}) {
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      RawSocket probe(family, type);
      EXPECT_EQ(probe.bind_loopback(port), 0) << family << " " << type << " is not taken";
    }
  }
}

TEST(PortBinding, ATakenPortMovesToTheNext) {
  MainContext loop;
  Node a(loop);
  ASSERT_TRUE(a.transport);
  std::uint16_t taken = a.transport->port();
  Node b(loop, loopback_options(taken));
  ASSERT_TRUE(b.transport);
  EXPECT_GT(b.transport->port(), taken);
  EXPECT_LT(b.transport->port(), taken + 20);
  // And they work, each on its own port.
  ASSERT_TRUE(a.transport->send(options_request("127.0.0.1", 1, TransportKind::kUdp),
                                b.at("127.0.0.1", TransportKind::kUdp)));
  ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
  EXPECT_EQ(b.inbox[0].from.port, taken);
}

// A port taken for one transport of one family only is taken all the same.
TEST(PortBinding, AnyTakenSocketMovesThePort) {
  for (auto [family, type] : {std::pair{AF_INET, SOCK_STREAM}, std::pair{AF_INET6, SOCK_DGRAM},
                              std::pair{AF_INET6, SOCK_STREAM}, std::pair{AF_INET, SOCK_DGRAM}}) {
    MainContext loop;
    RawSocket holder(family, type);
    std::uint16_t taken = holder.bind_loopback();
    ASSERT_NE(taken, 0);
    if (type == SOCK_STREAM) {
      ASSERT_TRUE(holder.listen());
    }
    Node b(loop, loopback_options(taken));
    ASSERT_TRUE(b.transport);
    EXPECT_NE(b.transport->port(), taken) << family << " " << type;
  }
}

TEST(PortBinding, NothingFreeSaysWhatToDo) {
  MainContext loop;
  Node a(loop);
  ASSERT_TRUE(a.transport);
  std::uint16_t taken = a.transport->port();

  TransportOptions options = loopback_options(taken);
  options.port_attempts = 1;
  std::string error;
  EXPECT_FALSE(SipTransport::create(loop.get(), options, error));
  EXPECT_EQ(error, "cannot bind SIP port " + std::to_string(taken) +
                       ": Address already in use; pass --sip-port N");

  // Two taken ports in a row: the message names the range.
  Node b(loop, loopback_options(taken));
  ASSERT_TRUE(b.transport);
  options.port_attempts = b.transport->port() - taken + 1;
  EXPECT_FALSE(SipTransport::create(loop.get(), options, error));
  EXPECT_EQ(error, "cannot bind SIP port " + std::to_string(taken) + "-" +
                       std::to_string(b.transport->port()) +
                       ": Address already in use; pass --sip-port N");
}

TEST(PortBinding, BadBindAddressesAreReported) {
  MainContext loop;
  std::string error;
  TransportOptions options = loopback_options();
  options.bind_ipv4 = "::1";
  EXPECT_FALSE(SipTransport::create(loop.get(), options, error));
  EXPECT_NE(error.find("not an IPv4 address"), std::string::npos) << error;
  options.bind_ipv4 = "";
  options.bind_ipv6 = "";
  EXPECT_FALSE(SipTransport::create(loop.get(), options, error));
  EXPECT_NE(error.find("neither"), std::string::npos) << error;
}

TEST(PortBinding, OneFamilyIsEnough) {
  MainContext loop;
  TransportOptions options = loopback_options();
  options.bind_ipv4 = "";
  Node a(loop, options), b(loop, options);
  ASSERT_TRUE(a.transport && b.transport);
  ASSERT_TRUE(a.transport->send(options_request("::1", 1, TransportKind::kUdp),
                                b.at("::1", TransportKind::kUdp)));
  ASSERT_TRUE(loop.run_until([&] { return !b.inbox.empty(); }));
  EXPECT_FALSE(a.transport->send(options_request("::1", 1, TransportKind::kUdp),
                                 b.at("127.0.0.1", TransportKind::kUdp)));
}

}  // namespace
}  // namespace lanline::net
