// Mouth-to-ear latency probe on PulseAudio null sinks (tests/bench/latency_bench.sh).
//
//   latency_probe MOUTH_SINK EAR_SOURCE [CLICKS] [INTERVAL_MS]
//
// MOUTH_SINK is the sender's "microphone": a null sink whose monitor the sender records
// from. EAR_SOURCE is the monitor of the receiver's "speaker", a null sink the receiver
// plays into. The probe writes silence with a 10 ms 1 kHz tone burst (a "click") every
// INTERVAL_MS into MOUTH_SINK, and records two streams at once:
//   - MOUTH_SINK's monitor: when each click is in the sender's microphone, i.e. what the
//     sender's own source stream reads;
//   - EAR_SOURCE: when each click has left the receiver's sink.
// Each recorder dates every onset on CLOCK_MONOTONIC from PulseAudio's latency figure
// for its stream: read time - stream latency - the samples after the onset in the
// chunk read. The figure per click is ear time - mouth time. Both ends are record
// streams of one kind on the same server, so the estimate's errors largely cancel; the
// bench script measures what is left by a direct loop (EAR_SOURCE = MOUTH_SINK.monitor,
// no call in between) and reports it.
//
// Prints one line per click and a summary line:
//   summary clicks=N heard=H median_ms=M min_ms=A max_ms=B p90_ms=P
// Exit 0 when at least half the clicks were heard, 1 otherwise, 2 on usage or
// connection errors.
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <pulse/error.h>
#include <pulse/simple.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RATE = 48000, CHUNK = RATE / 200 /* 5 ms */, MAX_ONSETS = 2000 };
static const int kBurstSamples = RATE / 100;  // 10 ms
static const double kBurstHz = 1000.0;
static const double kBurstAmplitude = 0.5;
// A sample louder than this (of full scale) after kQuietMs of quiet is a click's onset.
static const double kThreshold = 0.08;
static const int kQuietMs = 100;

static int g_clicks = 25;
static int g_interval_ms = 400;
static atomic_int g_stop;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Small buffers: the probe adds little of its own, and the rest is measured by the
// direct loop.
static pa_simple* open_stream(pa_stream_direction_t dir, const char* device, const char* name) {
  pa_sample_spec spec = {.format = PA_SAMPLE_S16LE, .rate = RATE, .channels = 1};
  pa_buffer_attr attr;
  memset(&attr, 0xff, sizeof attr);  // (uint32_t)-1: the server's default
  if (dir == PA_STREAM_PLAYBACK) {
    attr.tlength = 4 * CHUNK * 2;  // 20 ms: no underruns on a busy machine
    attr.minreq = CHUNK * 2;
    attr.prebuf = CHUNK * 2;
  } else {
    attr.fragsize = CHUNK * 2;
  }
  int err = 0;
  pa_simple* s =
      pa_simple_new(NULL, "lanline-latency-probe", dir, device, name, &spec, NULL, &attr, &err);
  if (!s) fprintf(stderr, "latency_probe: cannot open %s: %s\n", device, pa_strerror(err));
  return s;
}

static void* mouth_thread(void* arg) {
  pa_simple* s = arg;
  int16_t buf[CHUNK];
  const long interval = (long)g_interval_ms * RATE / 1000;
  // A second of silence first: the sender's pipeline is running and the streams' timing
  // figures have settled (the first ones after connecting can be 100 ms off).
  const long first = RATE;
  const long total = first + (long)g_clicks * interval;
  for (long pos = 0; pos < total; pos += CHUNK) {
    for (int i = 0; i < CHUNK; i++) {
      long p = pos + i - first;
      double v = 0;
      if (p >= 0 && p % interval < kBurstSamples)
        v = kBurstAmplitude * sin(2 * M_PI * kBurstHz * (double)(p % interval) / RATE);
      buf[i] = (int16_t)lrint(v * 32767);
    }
    int err = 0;
    if (pa_simple_write(s, buf, sizeof buf, &err) < 0) {
      fprintf(stderr, "latency_probe: write: %s\n", pa_strerror(err));
      break;
    }
  }
  int err = 0;
  pa_simple_drain(s, &err);
  return NULL;
}

struct Recorder {
  pa_simple* stream;
  double onsets[MAX_ONSETS];  // monotonic seconds
  int count;
};

static void* record_thread(void* arg) {
  struct Recorder* r = arg;
  int16_t buf[CHUNK];
  long quiet = 0;  // samples of quiet in a row
  const long quiet_needed = (long)kQuietMs * RATE / 1000;
  const int level = (int)(kThreshold * 32767);
  while (!atomic_load(&g_stop)) {
    int err = 0;
    if (pa_simple_read(r->stream, buf, sizeof buf, &err) < 0) {
      fprintf(stderr, "latency_probe: read: %s\n", pa_strerror(err));
      break;
    }
    double t_read = now_s();
    pa_usec_t lat = pa_simple_get_latency(r->stream, &err);
    for (int i = 0; i < CHUNK; i++) {
      if (abs(buf[i]) <= level) {
        quiet++;
        continue;
      }
      if (quiet >= quiet_needed && r->count < MAX_ONSETS)
        r->onsets[r->count++] = t_read - (double)lat / 1e6 - (double)(CHUNK - 1 - i) / RATE;
      quiet = 0;
    }
  }
  return NULL;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: latency_probe MOUTH_SINK EAR_SOURCE [CLICKS] [INTERVAL_MS]\n");
    return 2;
  }
  if (argc > 3) g_clicks = atoi(argv[3]);
  if (argc > 4) g_interval_ms = atoi(argv[4]);
  if (g_clicks < 1 || g_clicks > MAX_ONSETS / 2 || g_interval_ms < 200) {
    fprintf(stderr, "latency_probe: CLICKS 1..%d, INTERVAL_MS >= 200\n", MAX_ONSETS / 2);
    return 2;
  }
  char mouth_monitor[512];
  snprintf(mouth_monitor, sizeof mouth_monitor, "%s.monitor", argv[1]);
  static struct Recorder mouth, ear;
  mouth.stream = open_stream(PA_STREAM_RECORD, mouth_monitor, "mouth-monitor");
  ear.stream = open_stream(PA_STREAM_RECORD, argv[2], "ear");
  pa_simple* play = open_stream(PA_STREAM_PLAYBACK, argv[1], "mouth");
  if (!mouth.stream || !ear.stream || !play) return 2;

  pthread_t t_mouth, t_ear, t_play;
  pthread_create(&t_mouth, NULL, record_thread, &mouth);
  pthread_create(&t_ear, NULL, record_thread, &ear);
  pthread_create(&t_play, NULL, mouth_thread, play);
  pthread_join(t_play, NULL);
  // The last click's way through a call, with room to spare.
  struct timespec tail = {.tv_sec = 0, .tv_nsec = 600 * 1000 * 1000};
  nanosleep(&tail, NULL);
  atomic_store(&g_stop, 1);
  pthread_join(t_mouth, NULL);
  pthread_join(t_ear, NULL);
  pa_simple_free(play);
  pa_simple_free(mouth.stream);
  pa_simple_free(ear.stream);

  // Each click in the microphone, matched with the first onset at the ear after it
  // (up to 5 ms before it: the direct loop) and before the next click.
  double figures[MAX_ONSETS];
  int heard = 0, e = 0;
  const double window = g_interval_ms / 1000.0;
  for (int m = 0; m < mouth.count; m++) {
    double t = mouth.onsets[m];
    while (e < ear.count && ear.onsets[e] < t - 0.005)
      e++;
    if (e < ear.count && ear.onsets[e] < t + window - 0.005) {
      figures[heard] = (ear.onsets[e] - t) * 1000;
      printf("click %d: %.2f ms\n", m, figures[heard]);
      heard++;
      e++;
    } else {
      printf("click %d: not heard\n", m);
    }
  }
  if (mouth.count != g_clicks)
    printf("note: %d clicks written, %d seen in the microphone\n", g_clicks, mouth.count);
  if (heard == 0) {
    printf("summary clicks=%d heard=0\n", mouth.count);
    return 1;
  }
  qsort(figures, heard, sizeof figures[0], cmp_double);
  int p90 = (int)ceil(heard * 0.9) - 1;
  printf("summary clicks=%d heard=%d median_ms=%.2f min_ms=%.2f max_ms=%.2f p90_ms=%.2f\n",
         mouth.count, heard, figures[heard / 2], figures[0], figures[heard - 1], figures[p90]);
  return heard * 2 >= g_clicks ? 0 : 1;
}
