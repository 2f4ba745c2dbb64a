// Two audio calls in one process, talking over loopback sockets: for every codec, each
// sends its own tone (A 440 Hz, B 660 Hz) and records what it gets; the recordings are
// then listened to by analysis. Real pipelines (a call pipeline with an audio branch over
// a plain-UDP transport, as the engine builds them), real sockets, no device.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "../net/loop_support.hpp"
#include "media/audio_branch.hpp"
#include "media/call_pipeline.hpp"
#include "media/srtp_transport.hpp"
#include "media/udp_media_transport.hpp"
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

// What the engine's MediaBridge builds for a call's audio: a call pipeline with one audio
// branch over a plain-UDP transport on `sockets`. nullptr with `error`.
std::unique_ptr<CallPipeline> start_audio(GMainContext* context, const UdpTransport& sockets,
                                          AudioBranchConfig config, PipelineEvents pipeline_events,
                                          AudioEvents events, AudioBranch*& audio,
                                          std::string& error) {
  audio = nullptr;
  auto pipeline = CallPipeline::create(context, config.name, std::move(pipeline_events), error);
  if (!pipeline) return nullptr;
  std::unique_ptr<MediaTransport> transport =
      UdpMediaTransport::create(sockets, config.stream, config.name, error);
  if (transport && config.stream.srtp) {
    transport = SrtpTransport::wrap(std::move(transport), config.stream, config.name, error);
  }
  if (!transport) return nullptr;
  auto branch =
      AudioBranch::create(pipeline->next_slot(), std::move(config), std::move(events), error);
  if (!branch) return nullptr;
  AudioBranch* built = branch.get();
  if (!pipeline->add_stream(std::move(transport), std::move(branch), error)) return nullptr;
  if (!pipeline->start(error)) return nullptr;
  audio = built;
  return pipeline;
}

// One agreed codec, on `send_pt` towards the peer and `receive_pt` from it.
StreamDescription audio_stream(Codec codec, int send_pt, int receive_pt, const std::string& address,
                               std::uint16_t rtp_port, std::uint16_t rtcp_port) {
  StreamDescription stream;
  stream.codecs = {NegotiatedCodec{codec, {}, send_pt, receive_pt, {}}};
  stream.remote = PlainTransport{address, rtp_port, rtcp_port};
  return stream;
}

struct Peer {
  std::unique_ptr<UdpTransport> transport;
  std::unique_ptr<CallPipeline> pipeline;
  AudioBranch* audio = nullptr;  // in pipeline
  std::string received_dtmf;
  std::string errors;
};

struct CallSetup {
  Codec codec = Codec::kOpus;
  bool ipv6 = false;
  bool rtcp_mux = false;
  bool dtmf = false;
  bool srtp = false;       // SRTP (AES_CM_128_HMAC_SHA1_80) with each side's own key
  bool wrong_key = false;  // b is given a wrong key for what a sends
};

// A side's SRTP key and salt, made up: 30 bytes of its name's first letter.
std::vector<std::uint8_t> key_of(const std::string& name) {
  return std::vector<std::uint8_t>(30, static_cast<std::uint8_t>(name.at(0)));
}

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
    if (a_.pipeline) a_.pipeline->stop();
    if (b_.pipeline) b_.pipeline->stop();
  }

 private:
  void start(Peer& peer, const std::string& name, const CallSetup& setup, int send_pt,
             int receive_pt, const UdpTransport& remote, const char* address, int hz,
             const std::string& record) {
    AudioBranchConfig config;
    config.name = name;
    config.stream = audio_stream(setup.codec, send_pt, receive_pt, address, remote.rtp_port(),
                                 setup.rtcp_mux ? remote.rtp_port() : remote.rtcp_port());
    if (setup.dtmf) {
      config.stream.telephone_event_send_pt = name == "a" ? 100 : 101;
      config.stream.telephone_event_receive_pt = name == "a" ? 101 : 100;
    }
    config.stream.rtcp_mux = setup.rtcp_mux;
    if (setup.srtp) {
      const std::string other = name == "a" ? "b" : "a";
      config.stream.srtp = SrtpKeys{SrtpSuite::kAes128Sha1_80, key_of(name),
                                    setup.wrong_key && name == "b" ? key_of("x") : key_of(other)};
    }
    config.source.kind = AudioSource::Kind::kTest;
    config.source.hz = hz;
    config.sink.kind = AudioSink::Kind::kRecord;
    config.sink.path = record;
    PipelineEvents pipeline_events;
    pipeline_events.on_error = [&peer](const std::string& error) { peer.errors += error + "; "; };
    AudioEvents events;
    events.on_dtmf = [&peer](char digit) { peer.received_dtmf += digit; };
    std::string error;
    peer.pipeline = start_audio(context_.get(), *peer.transport, config, pipeline_events, events,
                                peer.audio, error);
    ASSERT_TRUE(peer.pipeline) << error;
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
    ASSERT_TRUE(call.a().audio && call.b().audio);
    context.run_for(3000ms);
    AudioStats stats = call.a().audio->stats();
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
    ASSERT_TRUE(call.a().audio && call.b().audio);
    context.run_for(2500ms);
    // With a 1 s RTCP interval, both sides have had a report of the other by now.
    AudioStats stats = call.a().audio->stats();
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
    ASSERT_TRUE(call.a().audio && call.b().audio);
    call.a().audio->set_mute(true);
    EXPECT_TRUE(call.a().audio->muted());
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
  ASSERT_TRUE(call.a().audio && call.b().audio);
  context.run_for(1500ms);
  AudioStats a = call.a().audio->stats();
  AudioStats b = call.b().audio->stats();
  std::printf("    levels: a mic %.1f speaker %.1f, b mic %.1f speaker %.1f dBFS\n", a.mic_level_db,
              a.speaker_level_db, b.mic_level_db, b.speaker_level_db);
  // The test tones are at -13.5 dBFS RMS, so their peaks at about -10.5.
  EXPECT_GT(a.mic_level_db, -20);
  EXPECT_LT(a.mic_level_db, 0.1);
  EXPECT_GT(b.speaker_level_db, -20);
  // A muted: A's meter still shows its microphone, B hears (and shows) silence.
  call.a().audio->set_mute(true);
  context.run_for(1500ms);
  a = call.a().audio->stats();
  b = call.b().audio->stats();
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
    ASSERT_TRUE(call.a().audio && call.b().audio);
    context.run_for(1000ms);
    // A holds: sendonly at A, recvonly at B (RFC 3264 8.4).
    call.a().audio->set_direction(true, false);
    call.b().audio->set_direction(false, true);
    context.run_for(1000ms);
    call.a().audio->set_direction(true, true);
    call.b().audio->set_direction(true, true);
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
    ASSERT_TRUE(call.a().audio && call.b().audio);
    context.run_for(300ms);
    EXPECT_FALSE(call.a().audio->send_dtmf("12x"));  // not a digit: nothing queued
    EXPECT_TRUE(call.a().audio->send_dtmf("159#"));
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
    ASSERT_TRUE(call.a().audio && call.b().audio);
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

// SRTP both ways (srtp_transport.hpp), RTP and RTCP on one port: each tone arrives, and
// RTCP (SRTCP) still measures the round trip.
TEST(AudioSession, SrtpCarriesBothTones) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    TwoSessions call(context, dir, {.codec = Codec::kPcmu, .rtcp_mux = true, .srtp = true});
    ASSERT_TRUE(call.a().audio && call.b().audio);
    context.run_for(3000ms);
    AudioStats stats = call.a().audio->stats();
    call.stop();
    EXPECT_EQ(call.a().errors, "");
    EXPECT_EQ(call.b().errors, "");
    EXPECT_GT(stats.packets_received, 100u);
    EXPECT_GT(stats.rtt_ms, 0.0);  // the peer's receiver reports came through SRTCP
    recordings.tone(dir.file("a.wav"), 660);
    recordings.tone(dir.file("b.wav"), 440);
  });
}

// A key that is not the sender's: every packet fails its authentication and is dropped
// before rtpbin; nothing of a's reaches b, while b's still reaches a.
TEST(AudioSession, SrtpWithTheWrongKeyPlaysNothing) {
  MainContext context;
  TempDir dir;
  TwoSessions call(context, dir,
                   {.codec = Codec::kPcmu, .rtcp_mux = true, .srtp = true, .wrong_key = true});
  ASSERT_TRUE(call.a().audio && call.b().audio);
  context.run_for(2000ms);
  AudioStats a = call.a().audio->stats();
  AudioStats b = call.b().audio->stats();
  call.stop();
  EXPECT_GT(a.packets_received, 50u);
  EXPECT_EQ(b.packets_received, 0u);
  Recordings recordings;
  recordings.tone(dir.file("a.wav"), 660);
  EXPECT_TRUE(recordings.ok());
}

TEST(AudioSession, NoTelephoneEventNoDtmf) {
  MainContext context;
  TempDir dir;
  TwoSessions call(context, dir, {.codec = Codec::kPcma});
  ASSERT_TRUE(call.a().audio);
  EXPECT_FALSE(call.a().audio->send_dtmf("1"));
  call.stop();
}

TEST(AudioSession, UnreadableSourceFileIsAClearError) {
  MainContext context;
  std::string error;
  auto transport = UdpTransport::bind(false, {}, error);
  ASSERT_TRUE(transport);
  AudioBranchConfig config;
  config.stream = audio_stream(Codec::kOpus, 96, 96, "127.0.0.1", 9, 10);
  config.source.kind = AudioSource::Kind::kFile;
  config.source.path = "/nonexistent/tone.wav";
  config.sink.kind = AudioSink::Kind::kNull;
  AudioBranch* audio = nullptr;
  auto pipeline = start_audio(context.get(), *transport, config, {}, {}, audio, error);
  EXPECT_FALSE(pipeline);
  EXPECT_NE(error.find("/nonexistent/tone.wav"), std::string::npos) << error;
}

TEST(AudioSession, NoCodecToSendIsAClearError) {
  MainContext context;
  std::string error;
  auto transport = UdpTransport::bind(false, {}, error);
  ASSERT_TRUE(transport);
  AudioBranchConfig config;
  // The peer only receives what it never gave a payload type for: nothing to send.
  config.stream = audio_stream(Codec::kPcmu, -1, 0, "127.0.0.1", 9, 10);
  config.source.kind = AudioSource::Kind::kTest;
  config.sink.kind = AudioSink::Kind::kNull;
  AudioBranch* audio = nullptr;
  EXPECT_FALSE(start_audio(context.get(), *transport, config, {}, {}, audio, error));
  EXPECT_NE(error.find("no agreed audio codec to send"), std::string::npos) << error;
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
    AudioBranchConfig a;
    a.name = "a";
    a.stream = audio_stream(Codec::kPcmu, 0, 0, "127.0.0.1", tb->rtp_port(), tb->rtcp_port());
    a.source.kind = AudioSource::Kind::kFile;
    a.source.path = tone;
    a.sink.kind = AudioSink::Kind::kNull;
    AudioBranchConfig b = a;
    b.name = "b";
    b.stream.remote = PlainTransport{"127.0.0.1", ta->rtp_port(), ta->rtcp_port()};
    b.source.kind = AudioSource::Kind::kTest;
    b.sink.kind = AudioSink::Kind::kRecord;
    b.sink.path = dir.file("b.wav");
    AudioBranch* audio_a = nullptr;
    AudioBranch* audio_b = nullptr;
    auto sa = start_audio(context.get(), *ta, a, {}, {}, audio_a, error);
    ASSERT_TRUE(sa) << error;
    auto sb = start_audio(context.get(), *tb, b, {}, {}, audio_b, error);
    ASSERT_TRUE(sb) << error;
    context.run_for(2000ms);
    sa->stop();
    sb->stop();
    recordings.tone(dir.file("b.wav"), 500);
  });
}

// Two streams in one call pipeline, each its own rtpbin session over its own sockets (as
// video beside audio will be): each side's two tones arrive whole on their own streams,
// and each stream's figures are its own.
TEST(CallPipeline, TwoStreamsShareOneRtpbin) {
  run_call([](Recordings& recordings) {
    MainContext context;
    TempDir dir;
    std::string error;
    struct Side {
      std::unique_ptr<UdpTransport> sockets[2];
      std::unique_ptr<CallPipeline> pipeline;
      AudioBranch* audio[2] = {nullptr, nullptr};
      std::string errors;
    } a, b;
    for (Side* side : {&a, &b}) {
      for (auto& sockets : side->sockets) {
        sockets = UdpTransport::bind(false, {}, error);
        ASSERT_TRUE(sockets) << error;
      }
    }
    auto build = [&](Side& side, Side& peer, const std::string& name, int hz0, int hz1) {
      PipelineEvents events;
      events.on_error = [&side](const std::string& problem) { side.errors += problem + "; "; };
      side.pipeline = CallPipeline::create(context.get(), name, events, error);
      ASSERT_TRUE(side.pipeline) << error;
      for (std::size_t m = 0; m < 2; ++m) {
        AudioBranchConfig config;
        config.name = name + "/" + std::to_string(m);
        config.stream =
            audio_stream(m == 0 ? Codec::kOpus : Codec::kPcmu, m == 0 ? 96 : 0, m == 0 ? 96 : 0,
                         "127.0.0.1", peer.sockets[m]->rtp_port(), peer.sockets[m]->rtcp_port());
        config.stream.mline = m;
        config.source.kind = AudioSource::Kind::kTest;
        config.source.hz = m == 0 ? hz0 : hz1;
        config.sink.kind = AudioSink::Kind::kRecord;
        config.sink.path = dir.file(name + std::to_string(m) + ".wav");
        auto transport = UdpMediaTransport::create(*side.sockets[m], config.stream, name, error);
        ASSERT_TRUE(transport) << error;
        auto branch = AudioBranch::create(side.pipeline->next_slot(), config, {}, error);
        ASSERT_TRUE(branch) << error;
        side.audio[m] = branch.get();
        ASSERT_TRUE(side.pipeline->add_stream(std::move(transport), std::move(branch), error))
            << error;
      }
      ASSERT_TRUE(side.pipeline->start(error)) << error;
    };
    build(a, b, "a", 440, 880);
    build(b, a, "b", 660, 330);
    ASSERT_TRUE(a.pipeline && b.pipeline);
    ASSERT_EQ(a.pipeline->stream_count(), 2u);
    context.run_for(2500ms);
    AudioStats opus = a.audio[0]->stats();
    AudioStats pcmu = a.audio[1]->stats();
    a.pipeline->stop();
    b.pipeline->stop();
    EXPECT_EQ(a.errors, "");
    EXPECT_EQ(b.errors, "");
    EXPECT_EQ(opus.codec, "opus/48000/2");
    EXPECT_EQ(pcmu.codec, "pcmu/8000");
    EXPECT_GT(opus.packets_received, 100u);  // 10 ms Opus packets
    EXPECT_GT(pcmu.packets_received, 50u);   // 20 ms PCMU packets
    EXPECT_GT(a.pipeline->transport(1).received().rtp, 50u);
    recordings.tone(dir.file("a0.wav"), 660);
    recordings.tone(dir.file("a1.wav"), 330);
    recordings.tone(dir.file("b0.wav"), 440);
    recordings.tone(dir.file("b1.wav"), 880);
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
