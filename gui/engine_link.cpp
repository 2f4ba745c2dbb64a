#include "engine_link.hpp"

#include <spdlog/spdlog.h>

namespace lanline::gui {
namespace {

struct Request {
  EngineLink* link;
  nlohmann::json request;
  EngineLink::Reply on_reply;
};

}  // namespace

EngineLink::EngineLink(GMainContext* engine_context, std::uint32_t wake_event)
    : context_(g_main_context_ref(engine_context)), wake_event_(wake_event) {}

EngineLink::~EngineLink() {
  g_main_context_unref(context_);
}

void EngineLink::attach(engine::CommandHandler& handler) {
  handler_ = &handler;
  token_ = handler.subscribe([this](const nlohmann::json& event) {
    Arrival arrival;
    arrival.value = event;
    arrival.is_event = true;
    deliver(std::move(arrival));
  });
  attached_ = true;
}

void EngineLink::detach() {
  attached_ = false;
  if (auto frames = video_frames()) frames->on_frame({});
  if (handler_) handler_->unsubscribe(token_);
  handler_ = nullptr;
}

void EngineLink::deliver(Arrival arrival) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = arrived_.empty();
    arrived_.push_back(std::move(arrival));
  }
  // One wake-up per batch: the GUI takes the whole queue when it wakes.
  if (was_empty) {
    SDL_Event wake{};
    wake.type = wake_event_;
    SDL_PushEvent(&wake);
  }
}

void EngineLink::post(nlohmann::json request, Reply on_reply) {
  if (!attached_) {
    Arrival arrival;
    arrival.value = {{"ok", false}, {"error", "the engine has stopped"}};
    arrival.on_reply = std::move(on_reply);
    deliver(std::move(arrival));
    return;
  }
  auto* data = new Request{this, std::move(request), std::move(on_reply)};
  // The destroy notify frees the request also when the engine's loop stops before it
  // runs (the context then drops its pending sources).
  g_main_context_invoke_full(context_, G_PRIORITY_DEFAULT, &EngineLink::run_request, data,
                             &EngineLink::free_request);
}

gboolean EngineLink::run_request(gpointer data) {
  auto* request = static_cast<Request*>(data);
  EngineLink* link = request->link;
  // The reply may come later (a host name to look up); the handler never answers after
  // it is gone, and the link outlives it.
  auto reply = [link, on_reply = std::move(request->on_reply)](nlohmann::json value) mutable {
    Arrival arrival;
    arrival.value = std::move(value);
    arrival.on_reply = std::move(on_reply);
    link->deliver(std::move(arrival));
  };
  try {
    if (!link->handler_) {
      reply({{"ok", false}, {"error", "the engine has stopped"}});
    } else {
      link->handler_->execute_async(request->request, std::move(reply));
    }
  } catch (const std::exception& e) {
    spdlog::error("window command {}: {}", request->request.dump(), e.what());
    Arrival arrival;
    arrival.value = {{"ok", false}, {"error", e.what()}};
    link->deliver(std::move(arrival));
  }
  return G_SOURCE_REMOVE;
}

void EngineLink::free_request(gpointer data) {
  delete static_cast<Request*>(data);
}

void EngineLink::watch_video(std::shared_ptr<media::FrameBoard> frames) {
  frames->on_frame([this] {
    if (frame_wake_pending_.exchange(true)) return;
    SDL_Event wake{};
    wake.type = wake_event_;
    SDL_PushEvent(&wake);
  });
  std::lock_guard lock(mutex_);
  frames_ = std::move(frames);
}

std::shared_ptr<media::FrameBoard> EngineLink::video_frames() {
  std::lock_guard lock(mutex_);
  return frames_;
}

std::vector<EngineLink::Arrival> EngineLink::take() {
  frame_wake_pending_ = false;  // the frame drawn next is the newest
  std::deque<Arrival> taken;
  {
    std::lock_guard lock(mutex_);
    taken.swap(arrived_);
  }
  return {std::make_move_iterator(taken.begin()), std::make_move_iterator(taken.end())};
}

}  // namespace lanline::gui
