// The 4527 cases of the OUSPG PROTOS c07-sip test suite (../shared/corpora/fuzz/
// protos-c07-sip, see SOURCES.md). Each case file is
//   <decimal length> <INVITE PDU><decimal length> <teardown PDU>
// and the PDUs are templates. The placeholders are filled the way rtckit/php-sip's
// ProtosTest.php does (one pass, then Content-Length = the octets after the first CRLFCRLF),
// with fixed values instead of random ones:
//   <To> lanline@198.18.0.2   <From> protos@198.18.0.1   <From-Address>, <From-IP> 198.18.0.1
//   <Local-Port> 5060   <Branch-ID>, <Call-ID> the case number   <CSeq> 1
//   <Teardown-Method> CANCEL
// Both PDUs are parsed as datagrams: each must be accepted or rejected with a reason, never
// crash or hang; an accepted one must survive print + reparse. Then both PDUs, joined, go
// through a StreamFramer in random chunks and every message it yields is parsed too.
// The only case with a verdict of its own is 0000000 (group "valid"): both PDUs parse.
// A summary per group (INDEX.tsv's protos_test_group) is printed, and written to the file
// named by $LANLINE_PROTOS_REPORT if set.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
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

struct ProtosCase {
  std::string file;  // "cases/0000000"
  std::string group;
  int number = 0;
  std::size_t bytes = 0;
  std::size_t invite_bytes = 0;
  std::size_t teardown_bytes = 0;
};

std::vector<ProtosCase> load_index() {
  std::vector<ProtosCase> cases;
  for (const TsvRow& row : read_tsv(corpora_root() / "fuzz" / "protos-c07-sip" / "INDEX.tsv")) {
    ProtosCase c;
    c.file = row.at("filename");
    c.group = row.at("protos_test_group");
    c.number = std::stoi(c.file.substr(c.file.rfind('/') + 1));
    c.bytes = std::stoul(row.at("bytes"));
    c.invite_bytes = std::stoul(row.at("invite_pdu_bytes"));
    c.teardown_bytes = std::stoul(row.at("teardown_pdu_bytes"));
    cases.push_back(std::move(c));
  }
  return cases;
}

// Splits "<len> <pdu><len> <pdu>"; false if the file is not in that form.
bool split_pdus(std::string_view file, std::string_view& invite, std::string_view& teardown) {
  auto take = [&file](std::string_view& pdu) {
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < file.size() && file[i] >= '0' && file[i] <= '9' && i < 9) {
      n = n * 10 + static_cast<std::size_t>(file[i] - '0');
      ++i;
    }
    if (i == 0 || i >= file.size() || file[i] != ' ' || file.size() - i - 1 < n) return false;
    pdu = file.substr(i + 1, n);
    file.remove_prefix(i + 1 + n);
    return true;
  };
  return take(invite) && take(teardown) && file.empty();
}

// Fills the template placeholders (see the top of the file).
std::string fill(std::string_view pdu, int number) {
  const std::string num = std::to_string(number);
  const std::pair<std::string_view, std::string> table[] = {
      {"<To>", "lanline@198.18.0.2"},
      {"<From>", "protos@198.18.0.1"},
      {"<From-Address>", "198.18.0.1"},
      {"<From-IP>", "198.18.0.1"},
      {"<Local-Port>", "5060"},
      {"<Branch-ID>", num},
      {"<Call-ID>", num},
      {"<CSeq>", "1"},
      {"<Teardown-Method>", "CANCEL"},
  };
  // One pass, like PHP's strtr: replaced text is not scanned again.
  std::string out;
  out.reserve(pdu.size() + 64);
  for (std::size_t i = 0; i < pdu.size();) {
    bool replaced = false;
    if (pdu[i] == '<') {
      for (const auto& [key, value] : table) {
        if (pdu.substr(i, key.size()) == key) {
          out += value;
          i += key.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(pdu[i++]);
  }
  // Content-Length: the octets after the first CRLFCRLF (0 when there is none).
  std::size_t end = out.find("\r\n\r\n");
  std::string length = std::to_string(end == std::string::npos ? 0 : out.size() - end - 4);
  constexpr std::string_view kCl = "<Content-Length>";
  std::string result;
  result.reserve(out.size());
  for (std::size_t i = 0; i < out.size();) {
    if (std::string_view(out).substr(i, kCl.size()) == kCl) {
      result += length;
      i += kCl.size();
    } else {
      result.push_back(out[i++]);
    }
  }
  return result;
}

struct Verdict {
  bool ok = false;
  ParseErrorCode code = ParseErrorCode::kMalformed;
  std::string reason;
};

struct GroupStats {
  int first = -1;
  std::size_t cases = 0;
  std::size_t invite_ok = 0;
  std::size_t invite_tolerated = 0;  // INVITE accepted with header_errors()
  std::size_t invite_rejected = 0;
  std::size_t teardown_ok = 0;
  std::size_t teardown_rejected = 0;
  std::size_t framed = 0;         // messages the framer yielded
  std::size_t framed_ok = 0;      // ... that parsed
  std::size_t framer_errors = 0;  // cases whose stream the framer gave up on
  std::map<std::string, std::size_t> invite_codes;
  std::map<std::string, std::size_t> tolerated_headers;  // INVITE header_errors() by name
};

// A class of failures, with the first few cases that show it.
struct Failures {
  std::size_t count = 0;
  std::vector<std::string> examples;
  void add(std::string example) {
    if (examples.size() < 12) examples.push_back(std::move(example));
    ++count;
  }
};

Verdict judge(const Result<Message>& r) {
  Verdict v;
  v.ok = r.ok();
  if (!v.ok) {
    v.code = r.error().code;
    v.reason = r.error().reason;
  } else {
    for (const sip::HeaderError& e : r->header_errors()) {  // tolerated, kept verbatim
      v.reason += (v.reason.empty() ? "" : "; ") + std::string(e.name) + ": " + e.reason;
    }
  }
  return v;
}

std::string one_line(std::string_view text) {
  std::string out = printable(text, 200);
  for (char& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return out;
}

TEST(Protos, ValidCaseParses) {
  std::optional<std::string> raw =
      read_file(corpora_root() / "fuzz" / "protos-c07-sip" / "cases" / "0000000");
  ASSERT_TRUE(raw.has_value()) << "corpora root: " << corpora_root();
  std::string_view invite;
  std::string_view teardown;
  ASSERT_TRUE(split_pdus(*raw, invite, teardown));
  std::string filled_invite = fill(invite, 0);
  std::string filled_teardown = fill(teardown, 0);
  Result<Message> m = sip::parse_message(filled_invite, Framing::kDatagram);
  ASSERT_TRUE(m.ok()) << describe(m.error()) << "\n" << printable(filled_invite);
  EXPECT_EQ(m->method(), sip::Method::kInvite);
  EXPECT_EQ(m->request_uri().user, "lanline");
  EXPECT_EQ(m->request_uri().host, "198.18.0.2");
  EXPECT_EQ(m->call_id(), "0@198.18.0.1");
  EXPECT_EQ(m->cseq().number, 1u);
  ASSERT_EQ(m->via().size(), 1u);
  EXPECT_EQ(m->via()[0].branch, "z9hG4bK000000");
  EXPECT_EQ(m->via()[0].port, 5060);
  EXPECT_EQ(m->content_length(), m->body().size());
  EXPECT_EQ(m->body().substr(0, 5), "v=0\r\n");
  EXPECT_TRUE(RoundTrips(*m));
  Result<Message> t = sip::parse_message(filled_teardown, Framing::kDatagram);
  ASSERT_TRUE(t.ok()) << describe(t.error()) << "\n" << printable(filled_teardown);
  EXPECT_EQ(t->method(), sip::Method::kCancel);
  EXPECT_EQ(t->cseq().method, sip::Method::kCancel);
  EXPECT_TRUE(RoundTrips(*t));
}

TEST(Protos, AllCases) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<ProtosCase> cases = load_index();
  ASSERT_EQ(cases.size(), 4527u) << "corpora root: " << corpora_root();
  const fs::path dir = corpora_root() / "fuzz" / "protos-c07-sip";

  std::vector<std::string> group_order;
  std::map<std::string, GroupStats> groups;
  Failures unreadable;
  Failures empty_reason;
  Failures round_trip;
  Failures framer_runaway;
  Failures framer_empty_reason;
  Failures stream_vs_datagram;
  std::ostringstream per_case;
  per_case
      << "case\tgroup\tinvite\tinvite_code\tinvite_reason\tteardown\tteardown_code\tteardown_reason"
         "\tframed\tframed_ok\tframer_error\n";

  for (const ProtosCase& c : cases) {
    if (!groups.count(c.group)) group_order.push_back(c.group);
    GroupStats& g = groups[c.group];
    if (g.first < 0) g.first = c.number;
    ++g.cases;

    std::optional<std::string> raw = read_file(dir / c.file);
    std::string_view invite_t;
    std::string_view teardown_t;
    if (!raw || raw->size() != c.bytes || !split_pdus(*raw, invite_t, teardown_t) ||
        invite_t.size() != c.invite_bytes || teardown_t.size() != c.teardown_bytes) {
      unreadable.add(c.file);
      continue;
    }
    const std::string invite = fill(invite_t, c.number);
    const std::string teardown = fill(teardown_t, c.number);

    const std::string* pdus[2] = {&invite, &teardown};
    Result<Message> parsed[2] = {sip::parse_message(invite, Framing::kDatagram),
                                 sip::parse_message(teardown, Framing::kDatagram)};
    Verdict verdicts[2];
    for (int k = 0; k < 2; ++k) {
      const Result<Message>& r = parsed[k];
      verdicts[k] = judge(r);
      const char* which = k == 0 ? "INVITE" : "teardown";
      if (r.ok()) {
        (k == 0 ? g.invite_ok : g.teardown_ok)++;
        if (k == 0 && !r->header_errors().empty()) {
          ++g.invite_tolerated;
          for (const sip::HeaderError& e : r->header_errors())
            g.tolerated_headers[std::string(e.name)]++;
        }
        for (const sip::HeaderError& e : r->header_errors()) {
          if (e.reason.empty())
            empty_reason.add(c.file + " " + which + " header error in " + std::string(e.name));
        }
        ::testing::AssertionResult rt = RoundTrips(*r);
        if (!rt) round_trip.add(c.file + " " + which + ": " + one_line(rt.message()));
      } else {
        (k == 0 ? g.invite_rejected : g.teardown_rejected)++;
        if (k == 0) g.invite_codes[std::string(code_name(r.error().code))]++;
        if (r.error().reason.empty()) {
          empty_reason.add(c.file + " " + which + " (" + std::string(code_name(r.error().code)) +
                           ")");
        }
      }
    }

    // The two PDUs back to back on a stream.
    const std::string stream = invite + teardown;
    FramerRun run = run_framer(stream, static_cast<std::uint64_t>(c.number) + 1,
                               std::max<std::size_t>(64, stream.size() / 48));
    std::size_t framed_ok = 0;
    for (std::size_t i = 0; i < run.messages.size(); ++i) {
      Result<Message> m = sip::parse_message(run.messages[i], Framing::kStream);
      if (m.ok()) {
        ++framed_ok;
      } else if (m.error().reason.empty()) {
        empty_reason.add(c.file + " framed message " + std::to_string(i) + " (" +
                         std::string(code_name(m.error().code)) + ")");
      }
      // When the framer cut out a PDU exactly as written, its Content-Length matched its body,
      // and it must read the same on a stream as in a datagram. (Without a Content-Length a
      // stream parse may refuse what a datagram parse takes: RFC 3261 20.14.)
      if (i >= 2 || run.messages[i] != *pdus[i]) continue;
      const Result<Message>& d = parsed[i];
      const char* which = i == 0 ? "INVITE" : "teardown";
      if (d.ok() && m.ok() && !(*d == *m)) {
        stream_vs_datagram.add(c.file + " " + which + ": stream and datagram parses differ: " +
                               one_line(explain_difference(*d, *m)));
      } else if (d.ok() && !m.ok() && d->content_length().has_value()) {
        stream_vs_datagram.add(c.file + " " + which + ": datagram ok, stream " +
                               describe(m.error()));
      } else if (!d.ok() && m.ok()) {
        stream_vs_datagram.add(c.file + " " + which + ": stream ok, datagram " +
                               describe(d.error()));
      }
    }
    g.framed += run.messages.size();
    g.framed_ok += framed_ok;
    if (run.error) {
      ++g.framer_errors;
      if (run.error->reason.empty()) {
        framer_empty_reason.add(c.file + " (" + std::string(code_name(run.error->code)) + ")");
      }
    }
    if (run.runaway) framer_runaway.add(c.file);

    per_case << c.number << '\t' << c.group;
    for (const Verdict& v : verdicts) {
      per_case << '\t' << (v.ok ? "ok" : "invalid") << '\t'
               << (v.ok ? (v.reason.empty() ? "" : "header_errors") : code_name(v.code)) << '\t'
               << one_line(v.reason);
    }
    per_case << '\t' << run.messages.size() << '\t' << framed_ok << '\t'
             << (run.error ? describe(*run.error) : std::string()) << '\n';
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // The summary table.
  std::ostringstream table;
  char line[512];
  std::snprintf(line, sizeof line, "%-30s %5s %5s | %9s %9s %9s | %9s %9s | %6s %6s %6s | %s\n",
                "group", "first", "cases", "INVITE ok", "(hdr err)", "invalid", "CANCEL ok",
                "invalid", "framed", "ok", "f.err",
                "INVITE rejections by code; tolerated header errors by header");
  table << line;
  GroupStats total;
  for (const std::string& name : group_order) {
    const GroupStats& g = groups[name];
    std::string codes;
    for (const auto& [code, n] : g.invite_codes) {
      codes += (codes.empty() ? "" : ", ") + code + " " + std::to_string(n);
    }
    if (!g.tolerated_headers.empty()) {
      codes += codes.empty() ? "tolerated:" : "; tolerated:";
      for (const auto& [header, n] : g.tolerated_headers)
        codes += " " + header + " " + std::to_string(n);
    }
    std::snprintf(
        line, sizeof line, "%-30s %5d %5zu | %9zu %9zu %9zu | %9zu %9zu | %6zu %6zu %6zu | %s\n",
        name.c_str(), g.first, g.cases, g.invite_ok, g.invite_tolerated, g.invite_rejected,
        g.teardown_ok, g.teardown_rejected, g.framed, g.framed_ok, g.framer_errors, codes.c_str());
    table << line;
    total.cases += g.cases;
    total.invite_ok += g.invite_ok;
    total.invite_tolerated += g.invite_tolerated;
    total.invite_rejected += g.invite_rejected;
    total.teardown_ok += g.teardown_ok;
    total.teardown_rejected += g.teardown_rejected;
    total.framed += g.framed;
    total.framed_ok += g.framed_ok;
    total.framer_errors += g.framer_errors;
  }
  std::snprintf(line, sizeof line,
                "%-30s %5s %5zu | %9zu %9zu %9zu | %9zu %9zu | %6zu %6zu %6zu |\n", "TOTAL", "",
                total.cases, total.invite_ok, total.invite_tolerated, total.invite_rejected,
                total.teardown_ok, total.teardown_rejected, total.framed, total.framed_ok,
                total.framer_errors);
  table << line;
  table << "(hdr err: INVITEs accepted with header_errors(), counted in INVITE ok; framed: "
           "messages the "
           "StreamFramer yielded from INVITE+CANCEL in random chunks; ok: those that parsed; "
           "f.err: cases "
           "where the framer gave up)\n";
  std::snprintf(line, sizeof line, "%zu cases in %.2f s\n", cases.size(), seconds);
  table << line;

  struct Named {
    const char* what;
    const Failures* failures;
  };
  const Named all_failures[] = {
      {"case file not in the <len> <pdu><len> <pdu> form INDEX.tsv describes", &unreadable},
      {"rejected without a reason", &empty_reason},
      {"accepted but print + reparse fails or differs", &round_trip},
      {"StreamFramer yields messages without end", &framer_runaway},
      {"StreamFramer error without a reason", &framer_empty_reason},
      {"the same bytes parse differently on a stream and in a datagram", &stream_vs_datagram},
  };
  std::ostringstream problems;
  for (const Named& n : all_failures) {
    if (n.failures->count == 0) continue;
    problems << n.failures->count << " x " << n.what << ", e.g.:\n";
    for (const std::string& e : n.failures->examples)
      problems << "    " << e << "\n";
  }

  std::printf("PROTOS c07-sip summary\n%s%s", table.str().c_str(), problems.str().c_str());
  if (const char* report = std::getenv("LANLINE_PROTOS_REPORT");
      report != nullptr && *report != '\0') {
    std::ofstream out(report, std::ios::binary);
    out << "PROTOS c07-sip summary\n"
        << table.str() << problems.str() << "\nPer case:\n"
        << per_case.str();
    EXPECT_TRUE(out.good()) << "cannot write " << report;
    std::printf("report written to %s\n", report);
  }

  EXPECT_EQ(unreadable.count, 0u);
  EXPECT_EQ(empty_reason.count, 0u);
  EXPECT_EQ(round_trip.count, 0u);
  EXPECT_EQ(framer_runaway.count, 0u);
  EXPECT_EQ(framer_empty_reason.count, 0u);
  EXPECT_EQ(stream_vs_datagram.count, 0u);
  EXPECT_EQ(groups["valid"].invite_ok, 1u);
  EXPECT_EQ(groups["valid"].teardown_ok, 1u);
}

}  // namespace
}  // namespace lanline::corpus
