// Listening to a recording by analysis: is it a steady tone of the expected pitch with no
// gaps, or silence? Used by wav_check (the integration tests) and the media unit tests.
#pragma once

#include <string>
#include <vector>

namespace lanline::test {

struct WavOptions {
  double skip_ms = 200;      // the start: the peer's first packets, the jitter buffer filling
  double skip_end_ms = 100;  // the end: the peer may stop sending a moment before we stop
  double from_s = -1;        // analyse only [from_s, to_s) of the file (after the skips)
  double to_s = -1;
  double level_window_ms = 20;
  double gap_window_ms = 5;
  double gap_below_db = 20;  // a gap window is this far below the median level (or silent)
};

struct WavReport {
  bool header_ok = false;
  std::string problem;  // why the file could not be analysed, or the header is wrong
  int rate = 0;
  int channels = 0;
  double seconds = 0;             // the whole file
  double analysed_seconds = 0;    // the part looked at
  double dominant_hz = 0;         // FFT peak, parabolic interpolation
  double level_median_db = -200;  // per-window RMS, dBFS
  double level_min_db = -200;
  double level_max_db = -200;
  double max_gap_ms = 0;  // longest run of near-silent windows
  double max_gap_at_s = 0;
  double silent_ms = 0;                  // all near-silent windows together
  std::vector<double> steady_levels_db;  // the level windows that touch no gap
};

WavReport analyse_wav(const std::string& path, const WavOptions& options);

struct WavExpectations {
  double expect_hz = 0;  // 0: no pitch check
  double hz_tolerance = 2;
  double max_gap_ms = 60;
  double level_band_db = 6;       // level windows within median ± this: all of them,
  double level_band_share = 1.0;  // or at least this share (concealed loss fades some)
  double expect_level_db = 0;     // < 0: the median level must be within ± level_tolerance_db
  double level_tolerance_db = 3;
  bool expect_silence = false;
  double silence_below_db = -50;  // with expect_silence: the loudest window
};

// What is wrong; empty when the report meets the expectations.
std::vector<std::string> check_wav(const WavReport& report, const WavExpectations& expect);

std::string describe(const WavReport& report);

}  // namespace lanline::test
