#include "wav_analysis.hpp"

#include <fftw3.h>
#include <fmt/core.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace lanline::test {
namespace {

std::uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// The RIFF header must match the file: a writer that was not finished (no EOS) leaves
// sizes of 0 or of some earlier moment, which players cut short or refuse.
bool check_header(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = "cannot open";
    return false;
  }
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (bytes.size() < 44 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    problem = "not a RIFF/WAVE file";
    return false;
  }
  if (le32(bytes.data() + 4) != bytes.size() - 8) {
    problem = fmt::format("RIFF size {} but the file has {} bytes after it", le32(bytes.data() + 4),
                          bytes.size() - 8);
    return false;
  }
  std::size_t at = 12;
  while (at + 8 <= bytes.size()) {
    std::uint32_t size = le32(bytes.data() + at + 4);
    if (std::memcmp(bytes.data() + at, "data", 4) == 0) {
      if (at + 8 + size != bytes.size()) {
        problem =
            fmt::format("data chunk says {} bytes, the file holds {}", size, bytes.size() - at - 8);
        return false;
      }
      return true;
    }
    at += 8 + size + (size & 1);
  }
  problem = "no data chunk";
  return false;
}

double db(double rms) {
  return rms > 0 ? 20 * std::log10(rms) : -200;
}

double rms(const std::vector<double>& x, std::size_t from, std::size_t count) {
  double sum = 0;
  for (std::size_t i = from; i < from + count; ++i)
    sum += x[i] * x[i];
  return std::sqrt(sum / static_cast<double>(count));
}

}  // namespace

WavReport analyse_wav(const std::string& path, const WavOptions& options) {
  WavReport report;
  report.header_ok = check_header(path, report.problem);
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (!file) {
    if (report.problem.empty()) report.problem = sf_strerror(nullptr);
    report.header_ok = false;
    return report;
  }
  report.rate = info.samplerate;
  report.channels = info.channels;
  std::vector<double> interleaved(static_cast<std::size_t>(info.frames * info.channels));
  sf_count_t frames = sf_readf_double(file, interleaved.data(), info.frames);
  sf_close(file);
  // The first channel is enough: every source here is mono or the same in both.
  std::vector<double> x(static_cast<std::size_t>(std::max<sf_count_t>(frames, 0)));
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = interleaved[i * static_cast<std::size_t>(info.channels)];
  report.seconds = static_cast<double>(x.size()) / report.rate;

  auto sample = [&](double seconds) {
    return static_cast<std::size_t>(
        std::clamp(seconds * report.rate, 0.0, static_cast<double>(x.size())));
  };
  // The skip counts from the first sound, not the file's start: a recording begins when
  // its pipeline does, the peer's first packet may come a little later (its own start,
  // a loaded host), and that wait is not a gap in the call. A window with an explicit
  // start (--from) is taken as given.
  std::size_t onset = 0;
  if (options.from_s < 0) {
    const auto step = static_cast<std::size_t>(report.rate / 200);  // 5 ms
    while (onset + step <= x.size() && db(rms(x, onset, step)) < -50)
      onset += step;
    if (onset + step > x.size()) onset = 0;  // all silent: analyse it as it is
  }
  std::size_t begin = onset + sample(options.skip_ms / 1000);
  std::size_t end = x.size() - std::min(x.size(), sample(options.skip_end_ms / 1000));
  if (options.from_s >= 0) begin = std::max(begin, sample(options.from_s));
  if (options.to_s >= 0) end = std::min(end, sample(options.to_s));
  if (end <= begin + static_cast<std::size_t>(report.rate / 10)) {
    if (report.problem.empty()) report.problem = "less than 100 ms of audio to analyse";
    return report;
  }
  report.analysed_seconds = static_cast<double>(end - begin) / report.rate;

  // Dominant frequency: Hann-windowed FFT of the whole part, peak bin refined by a parabola
  // through its neighbours (log magnitudes): well under 1 Hz for a second or more of tone.
  const int n = static_cast<int>(end - begin);
  std::vector<double> in(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    in[static_cast<std::size_t>(i)] =
        x[begin + static_cast<std::size_t>(i)] * (0.5 - 0.5 * std::cos(2 * M_PI * i / (n - 1)));
  auto* out = static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1)));
  fftw_plan plan = fftw_plan_dft_r2c_1d(n, in.data(), out, FFTW_ESTIMATE);
  fftw_execute(plan);
  auto magnitude = [&](int k) { return std::hypot(out[k][0], out[k][1]); };
  int peak = 1;
  for (int k = 1; k < n / 2; ++k) {
    if (magnitude(k) > magnitude(peak)) peak = k;
  }
  double offset = 0;
  if (peak > 1 && peak < n / 2 - 1) {
    double a = std::log(magnitude(peak - 1) + 1e-12), b = std::log(magnitude(peak) + 1e-12),
           c = std::log(magnitude(peak + 1) + 1e-12);
    double denominator = a - 2 * b + c;
    if (denominator != 0) offset = 0.5 * (a - c) / denominator;
  }
  report.dominant_hz = (peak + offset) * report.rate / n;
  fftw_destroy_plan(plan);
  fftw_free(out);

  // Level: RMS per window.
  const auto level_window = static_cast<std::size_t>(report.rate * options.level_window_ms / 1000);
  std::vector<double> levels;
  for (std::size_t at = begin; at + level_window <= end; at += level_window)
    levels.push_back(db(rms(x, at, level_window)));
  if (!levels.empty()) {
    std::vector<double> sorted = levels;
    std::sort(sorted.begin(), sorted.end());
    report.level_median_db = sorted[sorted.size() / 2];
    report.level_min_db = sorted.front();
    report.level_max_db = sorted.back();
  }
  // Gaps: runs of short windows far below the median (or below -60 dBFS).
  const double threshold = std::max(report.level_median_db - options.gap_below_db, -60.0);
  const auto gap_window = static_cast<std::size_t>(report.rate * options.gap_window_ms / 1000);
  std::size_t run = 0;
  std::size_t longest = 0;
  std::vector<std::size_t> gap_starts;  // sample offsets of the silent short windows
  for (std::size_t at = begin; at + gap_window <= end; at += gap_window) {
    const bool silent = db(rms(x, at, gap_window)) < threshold;
    run = silent ? run + 1 : 0;
    if (silent) {
      report.silent_ms += options.gap_window_ms;
      gap_starts.push_back(at);
    }
    if (run > longest) {
      longest = run;
      report.max_gap_at_s = static_cast<double>(at + gap_window) / report.rate -
                            longest * options.gap_window_ms / 1000;
    }
  }
  // Steadiness is judged on the level windows with sound throughout; those that hold any
  // of a gap are the gap check's (else a 40 ms dropout, within the gap limit, would fail
  // as a level change).
  if (report.level_median_db > -60) {
    report.level_min_db = report.level_max_db;
    std::size_t next_gap = 0;
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const std::size_t from = begin + i * level_window;
      while (next_gap < gap_starts.size() && gap_starts[next_gap] + gap_window <= from)
        ++next_gap;
      const bool touches_gap =
          next_gap < gap_starts.size() && gap_starts[next_gap] < from + level_window;
      if (!touches_gap) {
        report.level_min_db = std::min(report.level_min_db, levels[i]);
        report.steady_levels_db.push_back(levels[i]);
      }
    }
  }
  report.max_gap_ms = static_cast<double>(longest) * options.gap_window_ms;
  return report;
}

std::vector<std::string> check_wav(const WavReport& report, const WavExpectations& expect) {
  std::vector<std::string> failures;
  if (!report.header_ok) failures.push_back("bad WAV header: " + report.problem);
  if (report.analysed_seconds <= 0) {
    failures.push_back("nothing to analyse: " + report.problem);
    return failures;
  }
  if (expect.expect_silence) {
    if (report.level_max_db > expect.silence_below_db) {
      failures.push_back(fmt::format("not silent: loudest 20 ms at {:.1f} dBFS (limit {:.0f})",
                                     report.level_max_db, expect.silence_below_db));
    }
    return failures;
  }
  if (report.level_median_db < -50) {
    failures.push_back(fmt::format("no signal: median level {:.1f} dBFS", report.level_median_db));
    return failures;
  }
  if (expect.expect_hz > 0 &&
      std::abs(report.dominant_hz - expect.expect_hz) > expect.hz_tolerance) {
    failures.push_back(fmt::format("dominant frequency {:.2f} Hz, expected {:.0f} ± {:.0f}",
                                   report.dominant_hz, expect.expect_hz, expect.hz_tolerance));
  }
  if (expect.level_band_share >= 1.0) {
    if (report.level_min_db < report.level_median_db - expect.level_band_db ||
        report.level_max_db > report.level_median_db + expect.level_band_db) {
      failures.push_back(fmt::format(
          "level not steady: 20 ms RMS from {:.1f} to {:.1f} dBFS, "
          "median {:.1f} (band ± {:.0f} dB)",
          report.level_min_db, report.level_max_db, report.level_median_db, expect.level_band_db));
    }
  } else if (!report.steady_levels_db.empty()) {
    std::size_t inside = 0;
    for (double level : report.steady_levels_db) {
      if (std::abs(level - report.level_median_db) <= expect.level_band_db) ++inside;
    }
    const double share = static_cast<double>(inside) / report.steady_levels_db.size();
    if (share < expect.level_band_share) {
      failures.push_back(fmt::format(
          "level not steady: {:.0f} % of 20 ms windows within median {:.1f} ± {:.0f} dB (want "
          "{:.0f} %)",
          share * 100, report.level_median_db, expect.level_band_db,
          expect.level_band_share * 100));
    }
  }
  if (expect.expect_level_db < 0 &&
      std::abs(report.level_median_db - expect.expect_level_db) > expect.level_tolerance_db) {
    failures.push_back(fmt::format("level median {:.1f} dBFS, expected {:.1f} ± {:.0f}",
                                   report.level_median_db, expect.expect_level_db,
                                   expect.level_tolerance_db));
  }
  if (report.max_gap_ms > expect.max_gap_ms) {
    failures.push_back(
        fmt::format("gap of {:.0f} ms (limit {:.0f})", report.max_gap_ms, expect.max_gap_ms));
  }
  return failures;
}

std::string describe(const WavReport& report) {
  return fmt::format(
      "{} Hz x{}, {:.2f} s (analysed {:.2f} s), dominant {:.2f} Hz, level median {:.1f} dBFS "
      "(min {:.1f}, max {:.1f}), max gap {:.0f} ms at {:.2f} s, silent {:.0f} ms in all, header {}",
      report.rate, report.channels, report.seconds, report.analysed_seconds, report.dominant_hz,
      report.level_median_db, report.level_min_db, report.level_max_db, report.max_gap_ms,
      report.max_gap_at_s, report.silent_ms,
      report.header_ok ? "ok" : "BAD (" + report.problem + ")");
}

}  // namespace lanline::test
