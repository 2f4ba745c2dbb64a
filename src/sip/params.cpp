#include "params.hpp"

#include "charset.hpp"
#include "scanner.hpp"

namespace lanline::sip {
namespace {

// Reads one "name[=value]" starting at `pos` (at a separator or the first name).
// Returns the position after it (at the next separator or the end).
std::size_t read_param(std::string_view raw, char separator, std::size_t pos, Param& out) {
  Scanner s(raw, pos);
  s.skip_lws();
  if (s.peek() == separator) {
    s.set_pos(s.pos() + 1);
    s.skip_lws();
  }
  std::size_t name_start = s.pos();
  while (!s.eof()) {
    char c = s.peek();
    if (c == '=' || c == separator || charset::is_wsp(c) || c == '\r' || c == '\n') break;
    s.set_pos(s.pos() + 1);
  }
  out = Param{s.slice(name_start), {}, false};
  std::size_t after_name = s.pos();
  s.skip_lws();
  if (s.consume('=')) {
    s.skip_lws();
    std::size_t value_start = s.pos();
    std::string_view quoted;
    if (s.peek() == '"' && s.quoted_string(quoted)) {
      out.value = quoted;
    } else {
      while (!s.eof()) {
        char c = s.peek();
        if (c == separator || charset::is_wsp(c) || c == '\r' || c == '\n') break;
        s.set_pos(s.pos() + 1);
      }
      out.value = s.slice(value_start);
    }
    out.has_value = true;
  } else {
    s.set_pos(after_name);
  }
  // Skip trailing LWS up to the next separator.
  std::size_t before = s.pos();
  s.skip_lws();
  if (!s.eof() && s.peek() != separator) s.set_pos(before);
  return s.pos();
}

}  // namespace

bool ParamList::empty() const {
  return begin() == end();
}

std::size_t ParamList::size() const {
  std::size_t n = 0;
  for (auto it = begin(); it != end(); ++it)
    ++n;
  return n;
}

std::optional<Param> ParamList::find(std::string_view name) const {
  for (const Param& p : *this) {
    if (charset::iequals(p.name, name)) return p;
  }
  return std::nullopt;
}

ParamList::iterator::iterator(const ParamList* list, std::size_t pos) : list_(list), pos_(pos) {
  if (pos_ != std::string_view::npos) read();
}

void ParamList::iterator::read() {
  std::string_view raw = list_->raw_;
  // Skip white space; at the end of the text there is no further param.
  std::size_t p = pos_;
  while (p < raw.size() && (charset::is_wsp(raw[p]) || raw[p] == '\r' || raw[p] == '\n'))
    ++p;
  if (p >= raw.size()) {
    pos_ = std::string_view::npos;
    return;
  }
  next_ = read_param(raw, list_->separator_, pos_, current_);
}

ParamList::iterator& ParamList::iterator::operator++() {
  pos_ = next_;
  read();
  return *this;
}

}  // namespace lanline::sip
