#include "corpus_support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>

#include "sip/framer.hpp"
#include "sip/printer.hpp"

#ifndef LANLINE_CORPORA_DEFAULT
#define LANLINE_CORPORA_DEFAULT ""
#endif

namespace lanline::corpus {

namespace fs = std::filesystem;
using sip::Framing;
using sip::Message;
using sip::ParseError;
using sip::ParseErrorCode;

fs::path corpora_root() {
  if (const char* env = std::getenv("LANLINE_CORPORA"); env != nullptr && *env != '\0') {
    return fs::path(env);
  }
  return fs::path(LANLINE_CORPORA_DEFAULT);
}

std::optional<std::string> read_file(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  std::string bytes;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
    bytes.append(buffer, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return std::nullopt;
  return bytes;
}

std::vector<TsvRow> read_tsv(const fs::path& path) {
  std::vector<TsvRow> rows;
  std::optional<std::string> text = read_file(path);
  if (!text) return rows;
  auto split = [](std::string_view line) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    while (true) {
      std::size_t tab = line.find('\t', start);
      cells.emplace_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    return cells;
  };
  std::vector<std::string> columns;
  std::string_view rest = *text;
  bool header = true;
  while (!rest.empty()) {
    std::size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string> cells = split(line);
    if (header) {
      columns = std::move(cells);
      header = false;
      continue;
    }
    TsvRow row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      row[columns[i]] = i < cells.size() ? cells[i] : std::string();
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string test_name(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out.push_back(ok ? c : '_');
  }
  return out;
}

std::string_view code_name(ParseErrorCode code) {
  switch (code) {
    case ParseErrorCode::kMalformed:
      return "kMalformed";
    case ParseErrorCode::kUnsupportedVersion:
      return "kUnsupportedVersion";
    case ParseErrorCode::kMissingHeader:
      return "kMissingHeader";
    case ParseErrorCode::kDuplicateHeader:
      return "kDuplicateHeader";
    case ParseErrorCode::kMethodMismatch:
      return "kMethodMismatch";
    case ParseErrorCode::kBadContentLength:
      return "kBadContentLength";
    case ParseErrorCode::kTooLarge:
      return "kTooLarge";
    case ParseErrorCode::kIncomplete:
      return "kIncomplete";
  }
  return "(unknown code)";
}

std::string describe(const ParseError& error) {
  std::ostringstream out;
  out << code_name(error.code) << " (" << error.status_code() << "): "
      << (error.reason.empty() ? std::string("<EMPTY REASON>") : printable(error.reason, 300));
  return out.str();
}

std::string printable(std::string_view bytes, std::size_t max) {
  std::string out;
  static const char* const kHex = "0123456789abcdef";
  std::size_t n = std::min(bytes.size(), max);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (n < bytes.size()) out += "...(" + std::to_string(bytes.size() - n) + " more octets)";
  return out;
}

std::string explain_difference(const Message& a, const Message& b) {
  std::ostringstream out;
  if (a.is_request() != b.is_request()) out << "  request/response differs\n";
  if (a.method_text() != b.method_text()) {
    out << "  method: [" << printable(a.method_text(), 200) << "] vs ["
        << printable(b.method_text(), 200) << "]\n";
  }
  if (a.request_uri().text != b.request_uri().text) {
    out << "  request-URI: [" << printable(a.request_uri().text, 300) << "] vs ["
        << printable(b.request_uri().text, 300) << "]\n";
  }
  if (a.status_code() != b.status_code())
    out << "  status: " << a.status_code() << " vs " << b.status_code() << "\n";
  if (a.reason() != b.reason()) {
    out << "  reason: [" << printable(a.reason(), 200) << "] vs [" << printable(b.reason(), 200)
        << "]\n";
  }
  if (a.version() != b.version())
    out << "  version: [" << a.version() << "] vs [" << b.version() << "]\n";
  const auto& ha = a.headers();
  const auto& hb = b.headers();
  if (ha.size() != hb.size()) out << "  header count: " << ha.size() << " vs " << hb.size() << "\n";
  std::size_t shown = 0;
  for (std::size_t i = 0; i < std::max(ha.size(), hb.size()) && shown < 5; ++i) {
    std::string left =
        i < ha.size() ? std::string(ha[i].name) + ": " + std::string(ha[i].value) : "(none)";
    std::string right =
        i < hb.size() ? std::string(hb[i].name) + ": " + std::string(hb[i].value) : "(none)";
    if (left != right) {
      out << "  header " << i << ": [" << printable(left, 300) << "] vs [" << printable(right, 300)
          << "]\n";
      ++shown;
    }
  }
  if (a.body() != b.body()) {
    out << "  body: " << a.body().size() << " octets vs " << b.body().size() << " octets\n";
  }
  std::string text = out.str();
  if (text.empty()) text = "  (no visible difference in start line, header text or body)\n";
  return text;
}

FramerRun run_framer(std::string_view stream, std::uint64_t seed, std::size_t max_chunk,
                     const sip::ParserLimits& limits) {
  FramerRun run;
  sip::StreamFramer framer(limits);
  std::mt19937_64 rng(seed);
  if (max_chunk == 0) max_chunk = 1;
  // A stream of n octets cannot hold more than n messages.
  const std::size_t max_messages = stream.size() + 1;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::size_t chunk = (rng() % 4 == 0) ? 1 : 1 + static_cast<std::size_t>(rng() % max_chunk);
    chunk = std::min(chunk, stream.size() - pos);
    framer.feed(stream.substr(pos, chunk));
    pos += chunk;
    ++run.feeds;
    while (true) {
      sip::Result<std::optional<std::string>> next = framer.next();
      if (!next.ok()) {
        run.error = next.error();
        run.left_over = framer.buffered();
        return run;
      }
      if (!next.value().has_value()) break;
      run.messages.push_back(std::move(*next.value()));
      if (run.messages.size() > max_messages) {
        run.runaway = true;
        run.left_over = framer.buffered();
        return run;
      }
    }
  }
  run.left_over = framer.buffered();
  return run;
}

::testing::AssertionResult RoundTrips(const Message& message, Framing framing) {
  std::string printed = sip::print_message(message);
  sip::Result<Message> again = sip::parse_message(printed, framing);
  if (!again.ok()) {
    return ::testing::AssertionFailure()
           << "the printed message does not parse: " << describe(again.error()) << "\nprinted:\n"
           << printable(printed);
  }
  if (!(*again == message)) {
    return ::testing::AssertionFailure() << "the reparsed message is not equal to the original:\n"
                                         << explain_difference(message, *again) << "printed:\n"
                                         << printable(printed);
  }
  std::string printed_again = sip::print_message(*again);
  if (printed_again != printed) {
    return ::testing::AssertionFailure() << "printing is not stable: first print\n"
                                         << printable(printed) << "\nsecond print\n"
                                         << printable(printed_again);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lanline::corpus
