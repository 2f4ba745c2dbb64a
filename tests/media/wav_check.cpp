// wav_check FILE [--expect-hz HZ] [--tolerance HZ] [--max-gap-ms MS] [--level-band DB]
//                [--level-band-share S] [--expect-level-db DB] [--level-tolerance DB]
//                [--expect-silence] [--skip-ms MS] [--skip-end-ms MS] [--from S] [--to S]
// Prints the figures of a recording and exits 1 when it is not what was expected:
// dominant frequency (FFT) off by more than the tolerance, a level that wanders, a gap
// (near-silent run) longer than the limit, a WAV header that does not match the file.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "wav_analysis.hpp"

int main(int argc, char** argv) {
  using namespace lanline::test;
  WavOptions options;
  WavExpectations expect;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> double {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "wav_check: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return std::atof(argv[++i]);
    };
    if (arg == "--expect-hz")
      expect.expect_hz = value();
    else if (arg == "--tolerance")
      expect.hz_tolerance = value();
    else if (arg == "--max-gap-ms")
      expect.max_gap_ms = value();
    else if (arg == "--level-band")
      expect.level_band_db = value();
    else if (arg == "--level-band-share")
      expect.level_band_share = value();
    else if (arg == "--expect-level-db")
      expect.expect_level_db = value();
    else if (arg == "--level-tolerance")
      expect.level_tolerance_db = value();
    else if (arg == "--expect-silence")
      expect.expect_silence = true;
    else if (arg == "--skip-ms")
      options.skip_ms = value();
    else if (arg == "--skip-end-ms")
      options.skip_end_ms = value();
    else if (arg == "--from")
      options.from_s = value();
    else if (arg == "--to")
      options.to_s = value();
    else if (!arg.empty() && arg[0] != '-' && path.empty())
      path = arg;
    else {
      std::fprintf(stderr, "wav_check: unknown argument '%s'\n", arg.c_str());
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: wav_check FILE [--expect-hz HZ] [--expect-silence] ...\n");
    return 2;
  }
  WavReport report = analyse_wav(path, options);
  std::printf("%s: %s\n", path.c_str(), describe(report).c_str());
  auto failures = check_wav(report, expect);
  for (const auto& failure : failures)
    std::printf("%s: FAIL: %s\n", path.c_str(), failure.c_str());
  if (failures.empty()) std::printf("%s: ok\n", path.c_str());
  return failures.empty() ? 0 : 1;
}
