// SDP parse throughput: Lanline's sdp::parse against sofia-sip's sdp_parse, on the same
// bodies (every SDP body of the real and RFC corpora that both accept), each parsing
// every body once per pass; then parse + print for both; then what a call costs
// Lanline: receive_offer (parse, negotiate, write the answer).
//
//   sdp_bench SECONDS CORPORA_DIR
//
// Runs alternate lanline, sofia, lanline, sofia; the best of each counts.
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "../sdp/sdp_bodies.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/printer.hpp"

namespace {

namespace fs = std::filesystem;
namespace sdp = lanline::sdp;
using Clock = std::chrono::steady_clock;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool sofia_accepts(const std::string& body, std::string& why) {
  auto* home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  sdp_parser_t* parser = sdp_parse(home, body.data(), static_cast<int>(body.size()), 0);
  bool ok = sdp_session(parser) != nullptr && sdp_parsing_error(parser) == nullptr;
  if (!ok && sdp_parsing_error(parser)) why = sdp_parsing_error(parser);
  sdp_parser_free(parser);
  su_home_unref(home);
  return ok;
}

// Passes over `bodies` for `seconds`; returns bodies per second.
double run(double seconds, const std::vector<std::string>& bodies,
           const std::function<std::size_t(const std::string&)>& once, std::size_t& sink) {
  auto start = Clock::now();
  std::size_t done = 0;
  double elapsed = 0;
  do {
    for (const auto& body : bodies)
      sink += once(body);
    done += bodies.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(done) / elapsed;
}

std::size_t lanline_parse(const std::string& body) {
  auto s = sdp::parse(body);
  return s.ok() ? s->media.size() : 0;
}

std::size_t lanline_parse_print(const std::string& body) {
  auto s = sdp::parse(body);
  return s.ok() ? sdp::print(*s).size() : 0;
}

std::size_t sofia_parse(const std::string& body, bool print) {
  auto* home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  sdp_parser_t* parser = sdp_parse(home, body.data(), static_cast<int>(body.size()), 0);
  std::size_t n = 0;
  if (sdp_session_t* s = sdp_session(parser)) {
    n = s->sdp_media ? 1 : 0;
    if (print) {
      sdp_printer_t* printer = sdp_print(home, s, nullptr, 0, 0);
      if (const char* text = sdp_message(printer)) n = std::char_traits<char>::length(text);
      sdp_printer_free(printer);
    }
  }
  sdp_parser_free(parser);
  su_home_unref(home);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SECONDS CORPORA_DIR\n", argv[0]);
    return 2;
  }
  double seconds = std::atof(argv[1]);
  fs::path corpora = argv[2];
  std::vector<std::string> bodies;
  std::size_t candidates = 0, lanline_rejects = 0, sofia_rejects = 0, bytes = 0;
  for (const char* dir : {"rfc4475", "rfc5118", "real"}) {
    if (!fs::exists(corpora / dir)) {
      std::fprintf(stderr, "no corpus at %s\n", (corpora / dir).c_str());
      return 2;
    }
    for (const auto& entry : fs::recursive_directory_iterator(corpora / dir)) {
      if (!entry.is_regular_file()) continue;
      for (auto& body : sdp::test_support::sdp_bodies(read(entry.path()))) {
        ++candidates;
        auto parsed = sdp::parse(body);
        bool lanline = parsed.ok();
        std::string why;
        bool sofia = sofia_accepts(body, why);
        std::string name = fs::relative(entry.path(), corpora).string();
        if (!lanline)
          std::printf("  Lanline rejects %s: %s\n", name.c_str(), parsed.error().reason.c_str());
        if (!sofia) std::printf("  sofia rejects %s: %s\n", name.c_str(), why.c_str());
        lanline_rejects += lanline ? 0 : 1;
        sofia_rejects += sofia ? 0 : 1;
        if (lanline && sofia) {
          bytes += body.size();
          bodies.push_back(std::move(body));
        }
      }
    }
  }
  std::printf("%zu SDP bodies, %zu bytes (of %zu candidates; Lanline rejects %zu, sofia %zu)\n",
              bodies.size(), bytes, candidates, lanline_rejects, sofia_rejects);
  if (bodies.empty()) return 1;
  std::size_t sink = 0;
  auto sofia_only = [](const std::string& b) { return sofia_parse(b, false); };
  auto sofia_print = [](const std::string& b) { return sofia_parse(b, true); };
  double best[4] = {0, 0, 0, 0};
  for (int round = 0; round < 2; ++round) {
    best[0] = std::max(best[0], run(seconds, bodies, lanline_parse, sink));
    best[1] = std::max(best[1], run(seconds, bodies, sofia_only, sink));
    best[2] = std::max(best[2], run(seconds, bodies, lanline_parse_print, sink));
    best[3] = std::max(best[3], run(seconds, bodies, sofia_print, sink));
  }
  double mean = static_cast<double>(bytes) / static_cast<double>(bodies.size());
  auto row = [mean](const char* what, double rate, double reference) {
    std::printf("%-34s %10.0f bodies/s %7.1f MB/s %6.2fx\n", what, rate, rate * mean / 1e6,
                rate / reference);
  };
  row("parse: sofia-sip sdp_parse", best[1], best[1]);
  row("parse: Lanline sdp::parse", best[0], best[1]);
  row("parse+print: sofia-sip", best[3], best[3]);
  row("parse+print: Lanline", best[2], best[3]);

  // What answering costs per call: the offers among the bodies that Lanline can answer.
  std::vector<std::string> offers;
  for (const auto& body : bodies) {
    sdp::Negotiator n(sdp::Capabilities::defaults(), 1);
    if (!n.check_offer(body)) offers.push_back(body);
  }
  auto answer_once = [](const std::string& body) -> std::size_t {
    sdp::Negotiator n(sdp::Capabilities::defaults(), 1);
    n.set_local({"192.0.2.1", 4000, 4001});
    auto result = n.receive_offer(body, false);
    const auto* answer = std::get_if<sdp::Answer>(&result);
    return answer ? answer->sdp.size() : 0;
  };
  double answers = run(seconds, offers, answer_once, sink);
  std::printf("offer -> answer: Lanline receive_offer %10.0f offers/s (%zu offers), %.1f us each\n",
              answers, offers.size(), 1e6 / answers);
  std::printf("(checksum %zu)\n", sink);
  return 0;
}
