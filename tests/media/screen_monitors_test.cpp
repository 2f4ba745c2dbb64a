// Which part of the screen a share sends (media/screen_monitors.hpp), without a display.
#include "media/screen_monitors.hpp"

#include <gtest/gtest.h>

using lanline::media::choose_monitor;
using lanline::media::ScreenArea;

namespace {

const ScreenArea kWhole{"all", 0, 0, 3200, 1080, false};
const std::vector<ScreenArea> kTwo{{"DP-1", 0, 0, 1920, 1080, false},
                                   {"HDMI-A-0", 1920, 0, 1280, 1024, true}};

TEST(ChooseMonitor, NoneSaidIsThePrimaryElseTheWholeScreen) {
  std::string error;
  EXPECT_EQ(choose_monitor(kTwo, kWhole, "", error), kTwo[1]);
  std::vector<ScreenArea> no_primary = kTwo;
  no_primary[1].primary = false;
  EXPECT_EQ(choose_monitor(no_primary, kWhole, "", error), kWhole);
}

TEST(ChooseMonitor, ByNameNumberOrAllOfIt) {
  std::string error;
  EXPECT_EQ(choose_monitor(kTwo, kWhole, "DP-1", error), kTwo[0]);
  EXPECT_EQ(choose_monitor(kTwo, kWhole, "2", error), kTwo[1]);
  EXPECT_EQ(choose_monitor(kTwo, kWhole, "all", error), kWhole);
}

TEST(ChooseMonitor, AnUnknownOneNamesThoseThereAre) {
  for (const char* which : {"DP-9", "0", "3", "1x", "-1"}) {
    std::string error;
    EXPECT_FALSE(choose_monitor(kTwo, kWhole, which, error)) << which;
    EXPECT_NE(error.find("1 DP-1, 2 HDMI-A-0, or all"), std::string::npos) << error;
  }
}

}  // namespace
