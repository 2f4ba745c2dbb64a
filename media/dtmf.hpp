// RFC 4733 telephone events: digits sent into an rtpdtmfsrc one by one, and the digits
// of the events rtpdtmfdepay reports on the bus.
#pragma once

#include <gst/gst.h>

#include <deque>
#include <optional>
#include <string>

#include "glib_support/handles.hpp"

namespace lanline::media {

// RFC 4733 3.2: "0-9*#A-D" as event numbers 0-15; -1 for anything else.
int dtmf_event_number(char digit);
char dtmf_digit(int number);
// The digit of rtpdtmfdepay's "dtmf-event" message; nullopt for any other structure.
std::optional<char> received_dtmf_digit(const GstStructure* message);

// Plays queued digits into an rtpdtmfsrc: 100 ms tones 70 ms apart (RFC 4733 2.5), timed
// on the engine's context.
class DtmfSender {
 public:
  // `source` is an rtpdtmfsrc that outlives this; `name` is for logs.
  DtmfSender(GMainContext* context, GstElement* source, std::string name);
  DtmfSender(const DtmfSender&) = delete;
  DtmfSender& operator=(const DtmfSender&) = delete;

  // Queues "0-9*#A-D"; false (nothing queued) when a character is not a DTMF digit.
  bool send(const std::string& digits);
  // Forgets what is queued; no tone starts after this.
  void stop();

 private:
  static gboolean on_timer(gpointer data);
  gboolean step();
  void send_event(int number, bool start);

  GMainContext* context_;
  GstElement* source_;
  std::string name_;
  std::deque<int> queue_;  // digits waiting
  bool tone_on_ = false;
  glib::SourceHandle timer_;  // plays them one by one
};

}  // namespace lanline::media
