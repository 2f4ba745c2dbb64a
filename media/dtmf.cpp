#include "media/dtmf.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "glib_support/callbacks.hpp"
#include "media/gst_handles.hpp"

namespace lanline::media {
namespace {

// DTMF timing (RFC 4733 2.5): tones of 100 ms, 70 ms apart.
constexpr guint kDtmfToneMs = 100;
constexpr guint kDtmfGapMs = 70;

}  // namespace

int dtmf_event_number(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit == '*') return 10;
  if (digit == '#') return 11;
  if (digit >= 'A' && digit <= 'D') return 12 + (digit - 'A');
  if (digit >= 'a' && digit <= 'd') return 12 + (digit - 'a');
  return -1;
}

char dtmf_digit(int number) {
  static constexpr char kDigits[] = "0123456789*#ABCD";
  return number >= 0 && number < 16 ? kDigits[number] : '?';
}

std::optional<char> received_dtmf_digit(const GstStructure* message) {
  int number = -1;
  if (message && gst_structure_has_name(message, "dtmf-event") &&
      gst_structure_get_int(message, "number", &number)) {
    return dtmf_digit(number);
  }
  return std::nullopt;
}

DtmfSender::DtmfSender(GMainContext* context, GstElement* source, std::string name)
    : context_(context), source_(source), name_(std::move(name)) {}

bool DtmfSender::send(const std::string& digits) {
  if (digits.empty()) return false;
  for (char c : digits) {
    if (dtmf_event_number(c) < 0) return false;
  }
  for (char c : digits)
    queue_.push_back(dtmf_event_number(c));
  if (!timer_) timer_ = glib::add_timeout(context_, 0, &DtmfSender::on_timer, this);
  return true;
}

void DtmfSender::stop() {
  queue_.clear();
  timer_ = glib::SourceHandle();
}

// One step of the queue per timer tick (tone on, tone off, next digit).
gboolean DtmfSender::on_timer(gpointer data) {
  auto* self = static_cast<DtmfSender*>(data);
  try {
    return self->step();
  } catch (const std::exception& e) {
    spdlog::error("{}: DTMF: {}", self->name_, e.what());
  }
  return G_SOURCE_REMOVE;
}

gboolean DtmfSender::step() {
  if (tone_on_) {
    send_event(-1, false);
    tone_on_ = false;
    if (queue_.empty()) {
      timer_ = glib::SourceHandle();
      return G_SOURCE_REMOVE;
    }
    timer_ = glib::add_timeout(context_, kDtmfGapMs, &DtmfSender::on_timer, this);
    return G_SOURCE_REMOVE;
  }
  if (queue_.empty()) {
    timer_ = glib::SourceHandle();
    return G_SOURCE_REMOVE;
  }
  int number = queue_.front();
  queue_.pop_front();
  send_event(number, true);
  tone_on_ = true;
  timer_ = glib::add_timeout(context_, kDtmfToneMs, &DtmfSender::on_timer, this);
  return G_SOURCE_REMOVE;
}

void DtmfSender::send_event(int number, bool start) {
  GstStructure* s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "start", G_TYPE_BOOLEAN,
                                      start ? TRUE : FALSE, nullptr);
  if (start) gst_structure_set(s, "number", G_TYPE_INT, number, "volume", G_TYPE_INT, 10, nullptr);
  // Into rtpdtmfsrc's source pad, as if from downstream: how the element takes requests.
  GstPtr<GstPad> pad(gst_element_get_static_pad(source_, "src"));
  gst_pad_send_event(pad.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
  if (start) spdlog::info("{}: DTMF '{}' sent", name_, dtmf_digit(number));
}

}  // namespace lanline::media
