// Every SDP body in the shared corpora of real and RFC messages parses, prints and parses
// back to the same description; the few that do not are listed with the reason they are
// refused. PROTOS's mutated messages and pjproject's SDP fuzz seeds only have to be
// answered without a crash (or a sanitizer report).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sdp/parser.hpp"
#include "sdp/printer.hpp"
#include "sdp_bodies.hpp"

namespace lanline::sdp {
namespace {

namespace fs = std::filesystem;
using test_support::sdp_bodies;

fs::path corpora() {
  const char* env = std::getenv("LANLINE_CORPORA");
  return env ? fs::path(env) : fs::path(LANLINE_CORPORA_DEFAULT);
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Bodies refused on purpose, each with the reason (file name -> what the parser says).
const std::map<std::string, std::string>& refused() {
  static const std::map<std::string, std::string> kRefused{
#include "corpus_refused.inc"
  };
  return kRefused;
}

TEST(SdpCorpus, EveryRealAndRfcBodyParsesAndRoundTrips) {
  std::size_t bodies = 0;
  std::size_t files = 0;
  std::map<std::string, std::string> failures;
  for (const char* dir : {"rfc4475", "rfc5118", "real", "fuzz/pjproject-oss-fuzz-seeds"}) {
    fs::path root = corpora() / dir;
    if (!fs::exists(root)) GTEST_SKIP() << "no corpus at " << root;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      std::string text = read(entry.path());
      std::string name = fs::relative(entry.path(), corpora()).string();
      std::vector<std::string> found;
      if (entry.path().extension() == ".sdp") {
        found.push_back(text);
      } else {
        found = sdp_bodies(text);
      }
      if (found.empty()) continue;
      ++files;
      for (std::size_t i = 0; i < found.size(); ++i) {
        ++bodies;
        std::string key = name + (found.size() > 1 ? "#" + std::to_string(i + 1) : "");
        auto parsed = parse(found[i]);
        if (!parsed) {
          failures[key] = parsed.error().reason;
          continue;
        }
        auto again = parse(print(*parsed));
        ASSERT_TRUE(again.ok()) << key << ": " << again.error().reason;
        EXPECT_EQ(*again, *parsed) << key << " does not round-trip";
        EXPECT_EQ(print(*again), print(*parsed)) << key;
      }
    }
  }
  for (const auto& [key, reason] : failures) {
    auto it = refused().find(key);
    EXPECT_TRUE(it != refused().end()) << key << " is refused: " << reason;
    if (it != refused().end()) {
      EXPECT_EQ(reason, it->second) << key;
    }
  }
  for (const auto& [key, reason] : refused()) {
    EXPECT_EQ(failures.count(key), 1u) << key << " is listed as refused but parses";
  }
  std::cout << bodies << " SDP bodies in " << files << " files, " << failures.size()
            << " refused\n";
  EXPECT_GT(bodies, 90u);
}

// PROTOS c07-sip: each case is an INVITE PDU then a teardown PDU (INDEX.tsv gives the
// INVITE's length). Its SDP holds the suite's placeholders (<From-IP>), which its sender
// fills in: they are filled in here the same way.
TEST(SdpCorpus, ProtosBodiesParseOrAreRefusedWithAReason) {
  fs::path root = corpora() / "fuzz" / "protos-c07-sip";
  if (!fs::exists(root / "INDEX.tsv")) GTEST_SKIP() << "no corpus at " << root;
  std::ifstream index(root / "INDEX.tsv");
  std::string row;
  std::getline(index, row);  // header: filename group index bytes invite_pdu_bytes ...
  std::size_t parsed = 0;
  std::size_t refused_count = 0;
  while (std::getline(index, row)) {
    std::vector<std::string> cells;
    std::stringstream split(row);
    for (std::string cell; std::getline(split, cell, '\t');)
      cells.push_back(cell);
    ASSERT_GE(cells.size(), 5u) << row;
    std::string text = read(root / cells[0]).substr(0, std::stoul(cells[4]));
    for (auto [from, to] : {std::pair<std::string, std::string>{"<From-IP>", "192.0.2.1"},
                            {"<From-Address>", "192.0.2.1"}}) {
      for (std::size_t at; (at = text.find(from)) != std::string::npos;)
        text.replace(at, from.size(), to);
    }
    for (const auto& body : sdp_bodies(text)) {
      auto result = parse(body);
      if (!result) {
        ++refused_count;
        EXPECT_FALSE(result.error().reason.empty());
        // Only the groups that mutate the SDP itself (sdp-media-port, sdp-connection-ip...).
        EXPECT_EQ(cells[1].rfind("sdp-", 0), 0u)
            << cells[0] << " (" << cells[1] << "): " << result.error().reason;
        continue;
      }
      ++parsed;
      auto again = parse(print(*result));
      ASSERT_TRUE(again.ok()) << cells[0] << ": " << again.error().reason;
      EXPECT_EQ(*again, *result) << cells[0];
    }
  }
  std::cout << parsed << " PROTOS bodies parsed, " << refused_count << " refused\n";
  EXPECT_GT(parsed, 3000u);
  EXPECT_GT(refused_count, 500u);  // NUL bytes, 128 KB fields, bad ports, addresses, types
}

}  // namespace
}  // namespace lanline::sdp
