/*
 * Reference parse benchmark: sofia-sip's msg_make() over the same files that
 * `lanline parse --bench` parses. Used by tests/bench/parse_bench.sh only;
 * nothing in the product links sofia-sip.
 *
 *   sofia_parse_bench SECONDS FILE...   parse the files over and over for SECONDS,
 *                                       print "N msgs/s, M MB/s"
 *   sofia_parse_bench --check FILE...   print "FILE: ok ..." or "FILE: rejected: why"
 *                                       for each file, then a summary on stderr
 *
 * msg_make(sip_default_mclass(), 0, data, len) copies the bytes into a new msg_t
 * and runs msg_extract() on them as one complete datagram (eos set). With the
 * default SIP class every header sofia knows (RFC 3261 and the extensions in
 * its default table) is decoded eagerly into its typed structure (sip_via_t,
 * sip_from_t with url_t, sip_cseq_t, ...); headers it does not know become
 * sip_unknown_t (name and value). Flag 0 means no MSG_FLG_EXTRACT_COPY:
 * headers are parsed in place in the message's own copy of the bytes, sofia's
 * normal receive path.
 *
 * A file is used only when sofia accepts it fully: msg_make returned a
 * message, MSG_FLG_ERROR is clear, the message is complete, it has a start
 * line, Via, From, To, Call-ID and CSeq, and no header fell back to
 * sip_error_t (a known header whose value sofia could not decode). Rejected
 * files are counted, named on stderr and left out of the timed set.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_hclasses.h>

struct input {
  const char *name;
  char *data;
  size_t len;
};

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_file(const char *path, struct input *out) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    if (n == 0) break;
    len += n;
  }
  int err = ferror(f);
  fclose(f);
  if (err || !buf) {
    fprintf(stderr, "%s: read error\n", path);
    free(buf);
    return -1;
  }
  out->name = path;
  out->data = buf;
  out->len = len;
  return 0;
}

/* Counts of header fields by what sofia made of them (for --check). */
struct field_counts {
  unsigned typed, unknown, error;
};

/* NULL when sofia accepted the message fully; else why not (static buffer). */
static const char *verdict(msg_t *m, struct field_counts *counts) {
  static char why[256];
  if (m == NULL) return "msg_make returned NULL";
  if (msg_has_error(m)) {
    snprintf(why, sizeof why, "MSG_FLG_ERROR (extract errors 0x%x)", msg_extract_errors(m));
    return why;
  }
  if (!msg_is_complete(m)) return "incomplete message";
  sip_t const *sip = sip_object(m);
  if (sip == NULL) return "no sip_t";
  if (!sip->sip_request && !sip->sip_status) return "no start line";
  if (sip->sip_error) {
    /* sip_error holds the headers sofia could not decode (class sip_error_class,
     * er_name says which), and also extra copies of single-valued headers such as
     * a second To, kept with their own class. */
    msg_header_t const *e = (msg_header_t const *)sip->sip_error;
    if (e->sh_class == sip_error_class)
      snprintf(why, sizeof why, "header not decoded: %s",
               sip->sip_error->er_name ? sip->sip_error->er_name : "(unnamed)");
    else
      snprintf(why, sizeof why, "repeated single-valued header: %s",
               e->sh_class && e->sh_class->hc_name ? e->sh_class->hc_name : "(unnamed)");
    return why;
  }
  if (!sip->sip_via) return "no Via";
  if (!sip->sip_from) return "no From";
  if (!sip->sip_to) return "no To";
  if (!sip->sip_call_id) return "no Call-ID";
  if (!sip->sip_cseq) return "no CSeq";
  if (counts) {
    msg_header_t **head = msg_chain_head(m);
    for (msg_header_t *h = head ? *head : NULL; h; h = h->sh_succ) {
      msg_hclass_t const *hc = h->sh_class;
      if (hc == sip_request_class || hc == sip_status_class || hc == sip_separator_class ||
          hc == sip_payload_class)
        continue;
      if (hc == sip_unknown_class)
        counts->unknown++;
      else if (hc == sip_error_class)
        counts->error++;
      else
        counts->typed++;
    }
  }
  return NULL;
}

static int usage(void) {
  fprintf(stderr,
          "usage: sofia_parse_bench SECONDS FILE...\n"
          "       sofia_parse_bench --check FILE...\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  int check_only = strcmp(argv[1], "--check") == 0;
  double seconds = 0;
  if (!check_only) {
    char *end = NULL;
    seconds = strtod(argv[1], &end);
    if (end == argv[1] || *end != '\0' || !(seconds > 0)) return usage();
  }

  int nfiles = argc - 2;
  struct input *inputs = calloc((size_t)nfiles, sizeof *inputs);
  int loaded = 0, rejected = 0;
  size_t total_bytes = 0;
  msg_mclass_t const *mclass = sip_default_mclass();
  struct field_counts all = {0, 0, 0};

  /* Load and verify each file once; keep only what sofia accepts fully. */
  for (int i = 0; i < nfiles; i++) {
    struct input in;
    if (load_file(argv[i + 2], &in) < 0) return 1;
    if (in.len == 0) {
      if (check_only) printf("%s: rejected: empty file\n", in.name);
      else fprintf(stderr, "sofia rejects %s: empty file\n", in.name);
      rejected++;
      free(in.data);
      continue;
    }
    msg_t *m = msg_make(mclass, 0, in.data, (ssize_t)in.len);
    struct field_counts c = {0, 0, 0};
    const char *why = verdict(m, &c);
    if (why) {
      if (check_only) printf("%s: rejected: %s\n", in.name, why);
      else fprintf(stderr, "sofia rejects %s: %s\n", in.name, why);
      rejected++;
      free(in.data);
    } else {
      if (check_only)
        printf("%s: ok %zu bytes, %u typed header fields, %u unknown\n", in.name, in.len,
               c.typed, c.unknown);
      all.typed += c.typed;
      all.unknown += c.unknown;
      inputs[loaded++] = in;
      total_bytes += in.len;
    }
    msg_destroy(m);
  }

  fprintf(stderr, "sofia: %d of %d files accepted (%zu bytes), %d excluded\n", loaded, nfiles,
          total_bytes, rejected);
  if (check_only) {
    fprintf(stderr, "sofia: %u typed header fields, %u unknown (name/value only)\n", all.typed,
            all.unknown);
    return 0;
  }
  if (loaded == 0) {
    fprintf(stderr, "sofia: no file to parse\n");
    return 1;
  }

  /* Warm-up pass, not timed. */
  for (int i = 0; i < loaded; i++) msg_destroy(msg_make(mclass, 0, inputs[i].data, (ssize_t)inputs[i].len));

  uint64_t messages = 0, bytes = 0, sink = 0, failures = 0;
  double start = now_seconds(), elapsed = 0;
  do {
    for (int i = 0; i < loaded; i++) {
      msg_t *m = msg_make(mclass, 0, inputs[i].data, (ssize_t)inputs[i].len);
      sip_t const *sip = sip_object(m);
      if (m == NULL || msg_has_error(m) || sip == NULL || sip->sip_call_id == NULL)
        failures++;
      else
        sink += sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
      msg_destroy(m);
    }
    messages += (uint64_t)loaded;
    bytes += total_bytes;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);

  if (failures) {
    fprintf(stderr, "sofia: %llu parses failed during the timed loop\n",
            (unsigned long long)failures);
    return 1;
  }
  fprintf(stderr, "sofia: %llu messages, %llu bytes in %.3f s (checksum %llu)\n",
          (unsigned long long)messages, (unsigned long long)bytes, elapsed,
          (unsigned long long)sink);
  printf("%.0f msgs/s, %.1f MB/s\n", (double)messages / elapsed, (double)bytes / elapsed / 1e6);
  return 0;
}
