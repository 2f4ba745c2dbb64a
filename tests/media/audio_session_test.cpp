// Two audio sessions in one process, talking over loopback sockets: for every codec, each
// sends its own tone (A 440 Hz, B 660 Hz) and records what it gets; the recordings are
// then listened to by analysis. Real pipelines, real sockets, no device.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "../net/loop_support.hpp"
#include "media/audio_session.hpp"
#include "media/udp_transport.hpp"
#include "stall_watch.hpp"
#include "wav_analysis.hpp"

namespace lanline::media {
namespace {

using namespace std::chrono_literals;
using net::test::MainContext;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/lanline-media-test-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Peer {
  std::unique_ptr<UdpTransport> transport;
  std::unique_ptr<AudioSession> session;
  std::string received_dtmf;
  std::string errors;
};

struct CallSetup {
  Codec codec = Codec::kOpus;
  bool ipv6 = false;
  bool rtcp_mux = false;
  bool dtmf = false;
};

class TwoSessions {
 public:
  TwoSessions(MainContext& context, const TempDir& dir, const CallSetup& setup)
      : context_(context) {
    std::string error;
    a_.transport = UdpTransport::bind(setup.ipv6, {}, error);
    b_.transport = UdpTransport::bind(setup.ipv6, {}, error);
    if (!a_.transport || !b_.transport) {
      ADD_FAILURE() << error;
      return;
    }
    const char* loopback = setup.ipv6 ? "::1" : "127.0.0.1";
    // Payload types differ on purpose: each side receives on the one it wrote.
    const int pt_a =
        codec_info(setup.codec).static_pt >= 0 ? codec_info(setup.codec).static_pt : 111;
    const int pt_b =
        codec_info(setup.codec).static_pt >= 0 ? codec_info(setup.codec).static_pt : 96;
    start(a_, "a", setup, pt_b, pt_a, *b_.transport, loopback, 440, dir.file("a.wav"));
    start(b_, "b", setup, pt_a, pt_b, *a_.transport, loopback, 660, dir.file("b.wav"));
  }

  Peer& a() { return a_; }
  Peer& b() { return b_; }

  void stop() {
    if (a_.session) a_.session->stop();
    if (b_.session) b_.session->stop();
  }

 private:
  void start(Peer& peer, const std::string& name, const CallSetup& setup, int send_pt,
             int receive_pt, const UdpTransport& remote, const char* address, int hz,
             const std::string& record) {
    SessionConfig config;
    config.name = name;
    config.send_codec = setup.codec;
    config.send_pt = send_pt;
    config.receive_codecs = {{setup.codec, receive_pt}};
    if (setup.dtmf) {
      config.dtmf_send_pt = name == "a" ? 100 : 101;
      config.dtmf_receive_pt = name == "a" ? 101 : 100;
    }
    config.remote_address = address;
    config.remote_rtp_port = remote.rtp_port();
    config.remote_rtcp_port = setup.rtcp_mux ? remote.rtp_port() : remote.rtcp_port();
    config.rtcp_mux = setup.rtcp_mux;
    config.source.kind = AudioSource::Kind::kTest;
    config.source.hz = hz;
    config.sink.kind = AudioSink::Kind::kRecord;
    config.sink.path = record;
    SessionEvents events;
    events.on_dtmf = [&peer](char digit) { peer.received_dtmf += digit; };
    events.on_error = [&peer](const std::string& error) { peer.errors += error + "; "; };
    std::string error;
    peer.session = AudioSession::create(context_.get(), *peer.transport, config, events, error);
    ASSERT_TRUE(peer.session) << error;
  }

  MainContext& context_;
  Peer a_;
  Peer b_;
};

std::uint16_t a_port(TwoSessions& call, bool rtcp) {
  return rtcp ? call.a().transport->rtcp_port() : call.a().transport->rtp_port();
}

// What the recordings of one attempt at a test call showed, and what was wrong with them.
class Recordings {
 public:
  // Analyses PATH (or OPTIONS' part of it) against EXPECT and prints what it found.
  test::WavReport check(const std::string& path, const test::WavExpectations& expect,
                        const test::WavOptions& options = {}) {
    test::WavReport report = test::analyse_wav(path, options);
    std::printf("    %s: %s\n", std::filesystem::path(path).filename().c_str(),
                test::describe(report).c_str());
    auto failures = test::check_wav(report, expect);
    if (failures.empty()) return report;
    // Would it pass if gaps (and the level dips they bring) were allowed?
    test::WavExpectations tolerant = expect;
    tolerant.max_gap_ms = 1e9;
    tolerant.level_band_db = 1e9;
    if (!test::check_wav(report, tolerant).empty()) only_gaps_ = false;
    for (auto& failure : failures)
      failures_.push_back(std::filesystem::path(path).filename().string() + ": " + failure);
    return report;
  }
  test::WavReport tone(const std::string& path, double hz) {
    return check(path, {.expect_hz = hz});
  }

  bool ok() const { return failures_.empty(); }
  bool only_gaps() const { return only_gaps_; }
  void report_failures() const {
    for (const auto& failure : failures_)
      ADD_FAILURE() << failure;
  }

 private:
  std::vector<std::string> failures_;
  bool only_gaps_ = true;
};

// Runs CALL, one attempt at a test call that checks its recordings in the Recordings it is
// given, up to three times. It runs again only when everything wrong was a gap and the
// process was stalled meanwhile for longer than the jitter buffer can bridge (see
// stall_watch.hpp); a wrong pitch, silence or a gap without a stall fails at once.
template <typename Call>
void run_call(Call&& call) {
  constexpr double kStallMs = 50;
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    Recordings recordings;
    double stall_ms = 0;
    {
      test::StallWatch watch;
      call(recordings);
      stall_ms = watch.max_stall_ms();
    }
    if (recordings.ok()) return;
    if (recordings.only_gaps() && stall_ms >= kStallMs && attempt < kAttempts) {
      std::printf("    the process was stalled for %.0f ms during the call: running it again\n",
                  stall_ms);
      continue;
    }
    recordings.report_failures();
    std::printf("    longest stall of the process during the call: %.0f ms\n", stall_ms);
    return;
  }
}

class CodecTest : public ::testing::TestWithParam<Codec> {};

TEST_P(CodecTest, BothTonesArriveWhole) {
  run_call([this](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = GetParam()});
    ASSERT_TRUE(call.a().session && call.b().session);
    context.run_for(3000ms);
    SessionStats stats = call.a().session->stats();
    call.stop();
    EXPECT_EQ(call.a().errors, "");
    EXPECT_EQ(call.b().errors, "");
    std::printf(
        "    stats a: %s, sent %llu, received %llu, lost %lld, jitter %.2f ms, rtt %.2f ms\n",
        stats.codec.c_str(), static_cast<unsigned long long>(stats.packets_sent),
        static_cast<unsigned long long>(stats.packets_received),
        static_cast<long long>(stats.packets_lost), stats.jitter_ms, stats.rtt_ms);
    EXPECT_GT(stats.packets_sent, 100u);  // 3 s of 20 ms packets is 150
    EXPECT_GT(stats.packets_received, 100u);
    EXPECT_EQ(stats.codec, codec_label(GetParam()));
    recordings.tone(dir.file("a.wav"), 660);
    recordings.tone(dir.file("b.wav"), 440);
  });
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecTest,
                         ::testing::Values(Codec::kOpus, Codec::kG722, Codec::kPcmu, Codec::kPcma),
                         [](const auto& param) {
                           return std::string(codec_info(param.param).name);
                         });

TEST(AudioSession, RtcpMuxOverIpv6) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = Codec::kOpus, .ipv6 = true, .rtcp_mux = true});
    ASSERT_TRUE(call.a().session && call.b().session);
    context.run_for(2500ms);
    // With a 1 s RTCP interval, both sides have had a report of the other by now.
    SessionStats stats = call.a().session->stats();
    call.stop();
    std::printf("    rtcp-mux stats: rtt %.2f ms, jitter %.2f ms\n", stats.rtt_ms, stats.jitter_ms);
    EXPECT_GE(stats.rtt_ms, 0);
    EXPECT_LT(stats.rtt_ms, 50);
    recordings.tone(dir.file("a.wav"), 660);
    recordings.tone(dir.file("b.wav"), 440);
  });
}

TEST(AudioSession, MuteSendsSilence) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = Codec::kPcmu});
    ASSERT_TRUE(call.a().session && call.b().session);
    call.a().session->set_mute(true);
    EXPECT_TRUE(call.a().session->muted());
    context.run_for(1500ms);
    call.stop();
    recordings.check(dir.file("b.wav"), {.expect_silence = true});
    recordings.tone(dir.file("a.wav"), 660);  // the other way is untouched
  });
}

TEST(AudioSession, LevelMetersFollowWhatIsSentAndPlayed) {
  MainContext context;
  TempDir dir;
  TwoSessions call(context, dir, {.codec = Codec::kOpus});
  ASSERT_TRUE(call.a().session && call.b().session);
  context.run_for(1500ms);
  SessionStats a = call.a().session->stats();
  SessionStats b = call.b().session->stats();
  std::printf("    levels: a mic %.1f speaker %.1f, b mic %.1f speaker %.1f dBFS\n", a.mic_level_db,
              a.speaker_level_db, b.mic_level_db, b.speaker_level_db);
  // The test tones are at -13.5 dBFS RMS, so their peaks at about -10.5.
  EXPECT_GT(a.mic_level_db, -20);
  EXPECT_LT(a.mic_level_db, 0.1);
  EXPECT_GT(b.speaker_level_db, -20);
  // A muted: A's meter still shows its microphone, B hears (and shows) silence.
  call.a().session->set_mute(true);
  context.run_for(1500ms);
  a = call.a().session->stats();
  b = call.b().session->stats();
  std::printf("    a muted: a mic %.1f, b speaker %.1f dBFS\n", a.mic_level_db, b.speaker_level_db);
  call.stop();
  EXPECT_GT(a.mic_level_db, -20);
  EXPECT_LT(b.speaker_level_db, -60);
}

TEST(AudioSession, HoldStopsAudioAndResumeBringsItBack) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = Codec::kOpus});
    ASSERT_TRUE(call.a().session && call.b().session);
    context.run_for(1000ms);
    // A holds: sendonly at A, recvonly at B (RFC 3264 8.4).
    call.a().session->set_direction(true, false);
    call.b().session->set_direction(false, true);
    context.run_for(1000ms);
    call.a().session->set_direction(true, true);
    call.b().session->set_direction(true, true);
    context.run_for(1000ms);
    call.stop();
    // b.wav (A's tone) all along; a.wav: tone, silence while held, tone again.
    recordings.tone(dir.file("b.wav"), 440);
    test::WavOptions held;
    held.from_s = 1.2;
    held.to_s = 1.9;
    std::printf("    held:\n");
    recordings.check(dir.file("a.wav"), {.expect_silence = true}, held);
    test::WavOptions resumed;
    resumed.from_s = 2.3;
    std::printf("    resumed:\n");
    recordings.check(dir.file("a.wav"), {.expect_hz = 660}, resumed);
  });
}

TEST(AudioSession, DtmfArrivesAsTelephoneEvents) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = Codec::kPcmu, .dtmf = true});
    ASSERT_TRUE(call.a().session && call.b().session);
    context.run_for(300ms);
    EXPECT_FALSE(call.a().session->send_dtmf("12x"));  // not a digit: nothing queued
    EXPECT_TRUE(call.a().session->send_dtmf("159#"));
    EXPECT_TRUE(context.run_until([&] { return call.b().received_dtmf.size() >= 4; }, 3000ms));
    context.run_for(1000ms);
    call.stop();
    EXPECT_EQ(call.b().received_dtmf, "159#");
    // The audio goes on during and after the digits.
    recordings.tone(dir.file("b.wav"), 440);
  });
}

// Datagrams that are not RTP (or are broken RTP/RTCP) arrive on both ports in the middle
// of a call: they are dropped, the call's audio goes on whole, nothing is reported as an
// error and nothing crashes (RFC 3550 A.1 validity checks in rtpsession).
TEST(AudioSession, GarbageOnTheMediaPortsIsDropped) {
  auto call_with_garbage = [](bool mux, Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = Codec::kOpus, .rtcp_mux = mux});
    ASSERT_TRUE(call.a().session && call.b().session);
    net::test::RawSocket attacker(AF_INET, SOCK_DGRAM);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::minstd_rand random(42);
    for (int round = 0; round < 20; ++round) {
      context.run_for(100ms);
      for (int i = 0; i < 20; ++i) {
        std::string junk(static_cast<std::size_t>(random() % 200), '\0');
        for (char& c : junk)
          c = static_cast<char>(random());
        if (i % 4 == 1 && junk.size() > 2) junk[0] = '\x80';  // RTP version 2, broken rest
        if (i % 4 == 2 && junk.size() > 2) {
          junk[0] = '\x81';
          junk[1] = '\xc9';  // looks like an RR (rtcp-mux split), broken rest
        }
        for (std::uint16_t port : {a_port(call, false), a_port(call, true)}) {
          to.sin_port = htons(port);
          sendto(attacker.fd(), junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to);
        }
      }
    }
    call.stop();
    EXPECT_EQ(call.a().errors, "");
    recordings.tone(dir.file("a.wav"), 660);
  };
  for (bool mux : {false, true})
    run_call([&](Recordings& recordings) { call_with_garbage(mux, recordings); });
}

TEST(AudioSession, NoTelephoneEventNoDtmf) {
  MainContext context;
  TempDir dir;
  TwoSessions call(context, dir, {.codec = Codec::kPcma});
  ASSERT_TRUE(call.a().session);
  EXPECT_FALSE(call.a().session->send_dtmf("1"));
  call.stop();
}

TEST(AudioSession, UnreadableSourceFileIsAClearError) {
  MainContext context;
  std::string error;
  auto transport = UdpTransport::bind(false, {}, error);
  ASSERT_TRUE(transport);
  SessionConfig config;
  config.source.kind = AudioSource::Kind::kFile;
  config.source.path = "/nonexistent/tone.wav";
  config.sink.kind = AudioSink::Kind::kNull;
  config.remote_address = "127.0.0.1";
  config.remote_rtp_port = 9;
  auto session = AudioSession::create(context.get(), *transport, config, {}, error);
  EXPECT_FALSE(session);
  EXPECT_NE(error.find("/nonexistent/tone.wav"), std::string::npos) << error;
}

TEST(AudioSession, FileSourceLoops) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    // A 0.5 s tone file, played for 2 s: the loop must not leave gaps at the seams
    // (500 ms holds a whole number of 500 Hz periods, so the seam is continuous).
    std::string tone = dir.file("tone.wav");
    std::string command = "sox -q -n -r 8000 -c 1 -b 16 " + tone + " synth 0.5 sine 500 vol 0.3";
    ASSERT_EQ(std::system(command.c_str()), 0);
    std::string error;
    auto ta = UdpTransport::bind(false, {}, error);
    auto tb = UdpTransport::bind(false, {}, error);
    ASSERT_TRUE(ta && tb);
    SessionConfig a;
    a.name = "a";
    a.send_codec = Codec::kPcmu;
    a.send_pt = 0;
    a.source.kind = AudioSource::Kind::kFile;
    a.source.path = tone;
    a.sink.kind = AudioSink::Kind::kNull;
    a.remote_address = "127.0.0.1";
    a.remote_rtp_port = tb->rtp_port();
    a.remote_rtcp_port = tb->rtcp_port();
    SessionConfig b = a;
    b.name = "b";
    b.source.kind = AudioSource::Kind::kTest;
    b.sink.kind = AudioSink::Kind::kRecord;
    b.sink.path = dir.file("b.wav");
    b.remote_rtp_port = ta->rtp_port();
    b.remote_rtcp_port = ta->rtcp_port();
    auto sa = AudioSession::create(context.get(), *ta, a, {}, error);
    ASSERT_TRUE(sa) << error;
    auto sb = AudioSession::create(context.get(), *tb, b, {}, error);
    ASSERT_TRUE(sb) << error;
    context.run_for(2000ms);
    sa->stop();
    sb->stop();
    recordings.tone(dir.file("b.wav"), 500);
  });
}

TEST(UdpTransport, BindsAnEvenPortAndTheNext) {
  std::string error;
  auto transport = UdpTransport::bind(false, {30000, 30009}, error);
  ASSERT_TRUE(transport) << error;
  EXPECT_EQ(transport->rtp_port() % 2, 0);
  EXPECT_EQ(transport->rtcp_port(), transport->rtp_port() + 1);
  // Exhaust the small range: five pairs, then a clear error.
  std::vector<std::unique_ptr<UdpTransport>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(UdpTransport::bind(false, {30000, 30009}, error));
    ASSERT_TRUE(held.back()) << error;
  }
  EXPECT_FALSE(UdpTransport::bind(false, {30000, 30009}, error));
  EXPECT_NE(error.find("no free pair"), std::string::npos) << error;
}

TEST(AudioEndpoints, ParseWhatTheUserTypes) {
  std::string error;
  EXPECT_EQ(parse_audio_source("test:660", error)->hz, 660);
  EXPECT_EQ(parse_audio_source("test", error)->hz, 440);
  EXPECT_EQ(parse_audio_source("file:/a.wav", error)->path, "/a.wav");
  EXPECT_FALSE(parse_audio_source("test:abc", error));
  EXPECT_FALSE(parse_audio_source("mic", error));
  EXPECT_NE(error.find("device, test[:HZ], file:PATH.wav"), std::string::npos);
  EXPECT_EQ(parse_audio_sink("record:/x.wav", error)->path, "/x.wav");
  EXPECT_EQ(parse_audio_sink("null", error)->kind, AudioSink::Kind::kNull);
  EXPECT_FALSE(parse_audio_sink("speaker", error));
  EXPECT_EQ(codec_named("PCMU"), Codec::kPcmu);
  EXPECT_FALSE(codec_named("gsm"));
  EXPECT_EQ(codec_for_rtpmap("OPUS", 48000, 1), Codec::kOpus);  // "opus/48000" is Opus too
  EXPECT_FALSE(codec_for_rtpmap("PCMU", 16000, 1));
}

}  // namespace
}  // namespace lanline::media
