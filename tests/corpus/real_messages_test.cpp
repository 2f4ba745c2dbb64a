// Messages real user agents sent (../shared/corpora/real, see SOURCES.md):
//   pcap/<capture>/*.sip         UDP payloads from public Wireshark/nDPI captures
//   sipsorcery-unit-tests/*.sip  messages pasted into sipsorcery's unit tests
//   baresip/invite.sip           baresip's test INVITE
//   lioneagle-sipparser/sip_msg.txt  26 VoLTE messages in one file, split here
// Each is one datagram (Framing::kDatagram). Each must parse and survive print + reparse,
// except the messages whose Content-Length is larger than the octets that follow the
// header section: over UDP that is a framing error (RFC 3261 18.3), so they must be
// rejected with kBadContentLength. A Content-Length smaller than what follows is fine: the
// body is cut to Content-Length (RFC 3261 18.3) and the rest ignored.
// Then, per source, the printed messages go through a StreamFramer in random chunks, with
// keep-alive CRLFs between some of them, and must come out one by one, equal.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "corpus_support.hpp"
#include "sip/message.hpp"
#include "sip/parser.hpp"
#include "sip/printer.hpp"

namespace lanline::corpus {
namespace {

namespace fs = std::filesystem;
using sip::Framing;
using sip::Message;
using sip::ParseErrorCode;
using sip::Result;

// Content-Length larger than the body. The sipsorcery entries are every INDEX-sipsorcery.tsv
// note "Content-Length N, body M octets" with N > M (the upstream author anonymised or cut
// the bodies); RealIndex.OversizedListMatchesIndex checks the list against the index.
// baresip/invite.sip is in no index: its lines end in bare LF (that is how baresip stores
// it), it says Content-Length 766, and 721 octets follow the empty line (756 even if every
// LF were CRLF), so it is in the same case.
struct Oversized {
  const char* file;  // relative to real/
  std::size_t content_length;
  std::size_t body;
};
constexpr Oversized kOversized[] = {
    {"sipsorcery-unit-tests/SIPRequest_L235.sip", 386, 384},
    {"sipsorcery-unit-tests/SIPRequest_L552.sip", 318, 315},
    {"sipsorcery-unit-tests/SIPRequest_L577.sip", 162, 160},
    {"sipsorcery-unit-tests/SIPRequest_L625.sip", 232, 0},
    {"sipsorcery-unit-tests/SIPResponse_L153.sip", 182, 180},
    {"sipsorcery-unit-tests/SIPResponse_L225.sip", 298, 296},
    {"sipsorcery-unit-tests/SIPResponse_L382.sip", 250, 249},
    {"sipsorcery-unit-tests/SIPTransaction_L37.sip", 370, 337},
    {"baresip/invite.sip", 766, 721},
};
// For the record: SIPResponse_L115.sip says Content-Length 247 with 249 octets after the
// header section; it is accepted with a 247-octet body.

// Three sipsorcery literals that are broken beyond Content-Length, cut from header unit
// tests upstream. Each lacks what a UA needs to answer or match the message, so the parser
// rejects it, with a reason that names the problem:
// - SIPHeader_L321: a 407 with no Via at all (no transaction can match it);
// - SIPResponse_L132: a 200 with no CSeq (no transaction can match it);
// - SIPRequest_L222: a REGISTER whose only Via says "83.70.206.42:5060port" (no place to
//   send the response) and whose Contact lacks its closing '>'.
struct Broken {
  const char* file;
  ParseErrorCode code;
  const char* reason_has;
};
constexpr Broken kBroken[] = {
    {"sipsorcery-unit-tests/SIPHeader_L321.sip", ParseErrorCode::kMissingHeader, "Via"},
    {"sipsorcery-unit-tests/SIPResponse_L132.sip", ParseErrorCode::kMissingHeader, "CSeq"},
    {"sipsorcery-unit-tests/SIPRequest_L222.sip", ParseErrorCode::kMalformed, "Via"},
};

const Oversized* find_oversized(std::string_view label) {
  for (const Oversized& o : kOversized) {
    if (label == o.file) return &o;
  }
  return nullptr;
}

struct RealCase {
  std::string source;  // "pcap/aaa", "sipsorcery", "baresip", "lioneagle"
  std::string label;   // path under real/, or "lioneagle-sipparser/sip_msg.txt#<name>"
  std::string name;    // GoogleTest name
  std::string bytes;
};

void PrintTo(const RealCase& c, std::ostream* os) {
  *os << c.label;
}

// sip_msg.txt: sections each start with a line of '=' characters, then `name = "..."`, an
// empty line, and the message. One CRLF separates the message from the next '=' line; it is
// not part of the message (with it, every Content-Length would be 2 short of the body).
std::vector<std::pair<std::string, std::string>> split_lioneagle(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  // Offsets of the separator lines and of the text after them.
  std::vector<std::pair<std::size_t, std::size_t>> seps;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.find_first_not_of('=') == std::string_view::npos) {
      seps.emplace_back(pos, eol == std::string_view::npos ? text.size() : eol + 1);
    }
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
  }
  for (std::size_t i = 0; i < seps.size(); ++i) {
    std::size_t start = seps[i].second;
    std::size_t stop = i + 1 < seps.size() ? seps[i + 1].first : text.size();
    std::string_view section = text.substr(start, stop - start);
    constexpr std::string_view kPrefix = "name = \"";
    if (section.substr(0, kPrefix.size()) != kPrefix) continue;  // the closing '=' line
    std::size_t quote = section.find('"', kPrefix.size());
    std::size_t blank = section.find("\r\n\r\n", quote);
    if (quote == std::string_view::npos || blank == std::string_view::npos) continue;
    std::string name(section.substr(kPrefix.size(), quote - kPrefix.size()));
    std::string_view message = section.substr(blank + 4);
    if (message.size() >= 2 && message.substr(message.size() - 2) == "\r\n") {
      message.remove_suffix(2);
    }
    out.emplace_back(std::move(name), std::string(message));
  }
  return out;
}

std::vector<RealCase> load_cases() {
  std::vector<RealCase> cases;
  const fs::path real = corpora_root() / "real";
  auto add_dir = [&](const fs::path& dir, const std::string& source, const std::string& prefix) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".sip") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      RealCase c;
      c.source = source;
      c.label = fs::relative(f, real).generic_string();
      c.name = test_name(prefix + f.stem().string());
      c.bytes = read_file(f).value_or(std::string());
      cases.push_back(std::move(c));
    }
  };
  std::vector<fs::path> captures;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(real / "pcap", ec)) {
    if (entry.is_directory()) captures.push_back(entry.path());
  }
  std::sort(captures.begin(), captures.end());
  for (const fs::path& capture : captures) {
    add_dir(capture, "pcap/" + capture.filename().string(), "pcap_");
  }
  add_dir(real / "sipsorcery-unit-tests", "sipsorcery", "sipsorcery_");
  add_dir(real / "baresip", "baresip", "baresip_");
  std::optional<std::string> lioneagle = read_file(real / "lioneagle-sipparser" / "sip_msg.txt");
  if (lioneagle) {
    for (auto& [name, message] : split_lioneagle(*lioneagle)) {
      RealCase c;
      c.source = "lioneagle";
      c.label = "lioneagle-sipparser/sip_msg.txt#" + name;
      c.name = test_name("lioneagle_" + name);
      c.bytes = std::move(message);
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

const std::vector<RealCase>& all_cases() {
  static const std::vector<RealCase> cases = load_cases();
  return cases;
}

// ---------------------------------------------------------------------------------------

TEST(RealIndex, EveryMessageIsThere) {
  std::map<std::string, std::size_t> per_source;
  std::set<std::string> names;
  for (const RealCase& c : all_cases()) {
    if (c.source.rfind("pcap/", 0) == 0) {
      per_source["pcap"]++;
    } else {
      per_source[c.source]++;
    }
    EXPECT_FALSE(c.bytes.empty()) << c.label;
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate test name " << c.name;
  }
  EXPECT_EQ(per_source["pcap"], 266u) << "corpora root: " << corpora_root();
  EXPECT_EQ(per_source["sipsorcery"], 41u);
  EXPECT_EQ(per_source["baresip"], 1u);
  EXPECT_EQ(per_source["lioneagle"], 26u);

  // The pcap index lists exactly these files with these sizes.
  std::size_t listed = 0;
  for (const TsvRow& row : read_tsv(corpora_root() / "real" / "INDEX-pcap.tsv")) {
    ++listed;
    std::optional<std::string> bytes = read_file(corpora_root() / "real" / row.at("file"));
    ASSERT_TRUE(bytes.has_value()) << row.at("file");
    EXPECT_EQ(std::to_string(bytes->size()), row.at("bytes")) << row.at("file");
  }
  EXPECT_EQ(listed, 266u);
}

// The list above is what INDEX-sipsorcery.tsv says, and what the files say.
TEST(RealIndex, OversizedListMatchesIndex) {
  // Notes read "Content-Length N, body M octets".
  auto oversized_note = [](std::string_view notes) {
    constexpr std::string_view kCl = "Content-Length ";
    constexpr std::string_view kBody = ", body ";
    std::size_t at = notes.find(kCl);
    if (at == std::string_view::npos) return false;
    std::size_t cl_end = notes.find(kBody, at);
    if (cl_end == std::string_view::npos) return false;
    std::string cl(notes.substr(at + kCl.size(), cl_end - at - kCl.size()));
    std::string body(notes.substr(cl_end + kBody.size()));
    return std::stoul(cl) > std::stoul(body);  // stoul stops at " octets"
  };
  std::set<std::string> from_index;
  for (const TsvRow& row : read_tsv(corpora_root() / "real" / "INDEX-sipsorcery.tsv")) {
    if (oversized_note(row.at("notes"))) from_index.insert(row.at("file"));
  }
  std::set<std::string> listed;
  std::printf(
      "Content-Length larger than the body, expected to be rejected (kBadContentLength):\n");
  for (const Oversized& o : kOversized) {
    std::printf("  %-45s Content-Length %zu, %zu octets follow\n", o.file, o.content_length,
                o.body);
    if (std::string_view(o.file).rfind("sipsorcery-unit-tests/", 0) == 0) listed.insert(o.file);
    // And the file agrees: the declared value, and what follows the header section.
    std::optional<std::string> bytes = read_file(corpora_root() / "real" / o.file);
    ASSERT_TRUE(bytes.has_value()) << o.file;
    std::size_t crlf = bytes->find("\r\n\r\n");
    std::size_t lf = bytes->find("\n\n");
    std::size_t body_start = crlf != std::string::npos && (lf == std::string::npos || crlf < lf)
                                 ? crlf + 4
                                 : (lf == std::string::npos ? bytes->size() : lf + 2);
    EXPECT_EQ(bytes->size() - body_start, o.body) << o.file;
    EXPECT_NE(bytes->find("Content-Length: " + std::to_string(o.content_length)), std::string::npos)
        << o.file;
  }
  EXPECT_EQ(listed, from_index);
}

class RealMessage : public ::testing::TestWithParam<RealCase> {};

TEST_P(RealMessage, Parses) {
  const RealCase& c = GetParam();
  ASSERT_FALSE(c.bytes.empty()) << c.label;
  Result<Message> parsed = sip::parse_message(c.bytes, Framing::kDatagram);
  if (const Oversized* o = find_oversized(c.label)) {
    ASSERT_FALSE(parsed.ok()) << c.label << ": accepted although Content-Length "
                              << o->content_length << " exceeds the " << o->body
                              << " octets that follow";
    EXPECT_EQ(code_name(parsed.error().code), code_name(ParseErrorCode::kBadContentLength))
        << c.label << ": " << describe(parsed.error());
    EXPECT_FALSE(parsed.error().reason.empty());
    std::printf("[ rejected ] %s: %s\n", c.label.c_str(), describe(parsed.error()).c_str());
    return;
  }
  for (const Broken& b : kBroken) {
    if (c.label != b.file) continue;
    ASSERT_FALSE(parsed.ok()) << c.label << " was accepted";
    EXPECT_EQ(code_name(parsed.error().code), code_name(b.code)) << describe(parsed.error());
    EXPECT_NE(parsed.error().reason.find(b.reason_has), std::string::npos)
        << describe(parsed.error());
    std::printf("[ rejected ] %s: %s\n", c.label.c_str(), describe(parsed.error()).c_str());
    return;
  }
  ASSERT_TRUE(parsed.ok()) << c.label << " was rejected: " << describe(parsed.error()) << "\n"
                           << printable(c.bytes, 1500);
  for (const sip::HeaderError& e : parsed->header_errors()) {  // kept verbatim, for the UA core
    EXPECT_FALSE(e.reason.empty()) << c.label << ": " << e.name;
    std::printf("[ tolerated ] %s: %.*s: %s\n", c.label.c_str(), static_cast<int>(e.name.size()),
                e.name.data(), e.reason.c_str());
  }
  EXPECT_TRUE(RoundTrips(*parsed)) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealMessage, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<RealCase>& p) { return p.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RealMessage);

// ---------------------------------------------------------------------------------------
// Per source: print every accepted message, join them as a TCP stream would carry them
// (a CRLFCRLF keep-alive before every third one), cut the stream at random and frame it.

std::vector<std::string> all_sources() {
  std::vector<std::string> sources;
  for (const RealCase& c : all_cases()) {
    if (std::find(sources.begin(), sources.end(), c.source) == sources.end())
      sources.push_back(c.source);
  }
  return sources;
}

class RealStream : public ::testing::TestWithParam<std::string> {};

TEST_P(RealStream, FramesPrintedMessages) {
  const std::string& source = GetParam();
  std::vector<const RealCase*> accepted;
  std::vector<std::string> printed;
  std::string stream;
  for (const RealCase& c : all_cases()) {
    if (c.source != source) continue;
    Result<Message> parsed = sip::parse_message(c.bytes, Framing::kDatagram);
    if (!parsed.ok()) continue;  // RealMessage reports it
    if (printed.size() % 3 == 2) stream += "\r\n\r\n";
    printed.push_back(sip::print_message(*parsed));
    stream += printed.back();
    accepted.push_back(&c);
  }
  if (accepted.empty()) GTEST_SKIP() << "nothing of " << source << " parsed";
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    FramerRun run = run_framer(stream, seed * 7919 + accepted.size(), 700);
    ASSERT_FALSE(run.error.has_value())
        << source << " seed " << seed << ": framer error after " << run.messages.size()
        << " messages: " << describe(*run.error);
    ASSERT_FALSE(run.runaway) << source;
    ASSERT_EQ(run.messages.size(), accepted.size()) << source << " seed " << seed;
    EXPECT_EQ(run.left_over, 0u) << source;
    for (std::size_t i = 0; i < accepted.size(); ++i) {
      EXPECT_EQ(run.messages[i], printed[i]) << accepted[i]->label << ": framed bytes differ";
      Result<Message> framed = sip::parse_message(run.messages[i], Framing::kStream);
      ASSERT_TRUE(framed.ok()) << accepted[i]->label << ": " << describe(framed.error());
      Result<Message> original = sip::parse_message(accepted[i]->bytes, Framing::kDatagram);
      ASSERT_TRUE(original.ok());
      EXPECT_TRUE(*framed == *original) << accepted[i]->label << ":\n"
                                        << explain_difference(*original, *framed);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealStream, ::testing::ValuesIn(all_sources()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return test_name(p.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RealStream);

}  // namespace
}  // namespace lanline::corpus
