// Shared helpers for the corpus tests: where the corpora are, reading files and TSV
// indexes, readable dumps of bytes and errors, and the print/parse round trip.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/parser.hpp"
#include "sip/result.hpp"

namespace lanline::corpus {

// $LANLINE_CORPORA (set by tests/meson.build), else the corpora_dir meson saw at configure
// time, so the test binaries also run by hand.
std::filesystem::path corpora_root();

// The whole file, byte for byte; nullopt if it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// A tab-separated index with a header row: one map per row, keyed by column name.
using TsvRow = std::map<std::string, std::string>;
std::vector<TsvRow> read_tsv(const std::filesystem::path& path);

// Turns a file name into a GoogleTest name: [A-Za-z0-9_] only.
std::string test_name(std::string_view text);

std::string_view code_name(sip::ParseErrorCode code);
// "kMalformed (400): reason".
std::string describe(const sip::ParseError& error);

// Bytes made readable: CR, LF, TAB and other control or non-ASCII octets escaped,
// a newline after each LF; cut after `max` octets.
std::string printable(std::string_view bytes, std::size_t max = 4000);

// What differs between two messages, start line, header fields, body (for failure output).
std::string explain_difference(const sip::Message& a, const sip::Message& b);

// Feeds `stream` to a StreamFramer in pseudo-random chunks (deterministic for a seed: some
// of one octet, the others up to `max_chunk`), draining next() after every feed.
struct FramerRun {
  std::vector<std::string> messages;     // what next() gave, in order
  std::optional<sip::ParseError> error;  // the error that ended the run, if any
  bool runaway = false;                  // next() kept giving messages past any sane count
  std::size_t feeds = 0;
  std::size_t left_over = 0;  // buffered() at the end
};
FramerRun run_framer(std::string_view stream, std::uint64_t seed, std::size_t max_chunk,
                     const sip::ParserLimits& limits = {});

// print_message, parse again (same framing), the result equals the original
// (Message::operator==), and printing the reparsed message gives the same bytes.
::testing::AssertionResult RoundTrips(const sip::Message& message,
                                      sip::Framing framing = sip::Framing::kDatagram);

}  // namespace lanline::corpus
