// frame_check FILE.png (--pattern NAME [--scaled-from WxH] | --against OTHER.png)
//             [--max-mean-error E] [--min-close S]
// Whether a picture a node wrote (`lanline ctl snapshot`, or another client's snapshot)
// shows another picture of the same size (--against), or videotestsrc's pattern
// NAME at the picture's size, as it looks once through I420 (pixels that change from
// frame to frame, SMPTE's noise, left out): the mean absolute error over R, G and B at most E
// (default 12 of 255) and at least a share S (default 0.95) of pixels within 40 on each channel.
// Prints the figures; exit 0 when it does, 1 when not, 2 on a usage error.
#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "frame_compare.hpp"

int main(int argc, char** argv) {
  gst_init(nullptr, nullptr);
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: frame_check FILE.png --pattern NAME [--max-mean-error E] "
                 "[--min-close S]\n");
    return 2;
  }
  std::string file = argv[1];
  std::string pattern = "smpte";
  std::string against;
  int drawn_width = 0;
  int drawn_height = 0;
  double max_mean = 12;
  double min_close = 0.95;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--pattern")
      pattern = argv[i + 1];
    else if (flag == "--against")
      against = argv[i + 1];
    else if (flag == "--scaled-from")
      std::sscanf(argv[i + 1], "%dx%d", &drawn_width, &drawn_height);
    else if (flag == "--max-mean-error")
      max_mean = std::atof(argv[i + 1]);
    else if (flag == "--min-close")
      min_close = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "frame_check: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  using namespace lanline::media::test;
  std::string error;
  auto picture = load_png(file, error);
  if (!picture) {
    std::printf("%s: cannot read: %s\n", file.c_str(), error.c_str());
    return 1;
  }
  std::optional<Reference> reference;
  if (!against.empty()) {
    if (auto other = load_png(against, error)) reference = Reference{*other, {}};
    pattern = against;
  } else {
    reference = pattern_reference(pattern, picture->width, picture->height, error, drawn_width,
                                  drawn_height);
  }
  if (!reference) {
    std::printf("%s: no reference: %s\n", file.c_str(), error.c_str());
    return 1;
  }
  auto difference = compare(*picture, *reference);
  if (!difference) {
    std::printf("%s: %dx%d, not comparable with %s (%dx%d)\n", file.c_str(), picture->width,
                picture->height, pattern.c_str(), reference->frame.width, reference->frame.height);
    return 1;
  }
  const bool ok = difference->mean_error <= max_mean && difference->share_close >= min_close;
  std::printf(
      "%s: %dx%d against %s: mean error %.2f (max %.1f), %.1f %% of pixels close "
      "(min %.1f %%): %s\n",
      file.c_str(), picture->width, picture->height, pattern.c_str(), difference->mean_error,
      max_mean, difference->share_close * 100, min_close * 100, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
