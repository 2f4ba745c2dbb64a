// Linked into the test programs that run GStreamer pipelines: GStreamer is shut down
// (gst_deinit) after the last test, so that its leaks tracer, which tests/lib/lsan_run.sh
// turns on in the sanitizer build, lists every element still alive then: a pipeline
// that Lanline failed to free fails the test.
#include <gst/gst.h>
#include <gtest/gtest.h>

namespace {

struct GstreamerShutdown : ::testing::Environment {
  void TearDown() override { gst_deinit(); }
};

const auto* const gstreamer_shutdown = ::testing::AddGlobalTestEnvironment(new GstreamerShutdown);

}  // namespace
