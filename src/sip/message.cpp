#include "message.hpp"

#include "charset.hpp"
#include "folding.hpp"

namespace lanline::sip {
namespace {

bool same_name(const HeaderField& field, HeaderId id, std::string_view name) {
  return id == HeaderId::kOther ? field.id == HeaderId::kOther && charset::iequals(field.name, name)
                                : field.id == id;
}

}  // namespace

std::optional<std::string_view> Message::header(std::string_view name) const {
  HeaderId id = header_id(name);
  for (const HeaderField& field : headers_) {
    if (same_name(field, id, name)) return field.value;
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::header_values(std::string_view name) const {
  HeaderId id = header_id(name);
  std::vector<std::string_view> out;
  for (const HeaderField& field : headers_) {
    if (same_name(field, id, name)) out.push_back(field.value);
  }
  return out;
}

// Content-Length is framing, not content: the printer rewrites it to match the body, so
// equality leaves it out and compares the bodies instead.
bool Message::operator==(const Message& other) const {
  if (is_request_ != other.is_request_ || method_text_ != other.method_text_ ||
      request_uri_.text != other.request_uri_.text || status_code_ != other.status_code_ ||
      reason_ != other.reason_ || body_ != other.body_) {
    return false;
  }
  auto skip_length = [](const std::vector<HeaderField>& fields, std::size_t& i) {
    while (i < fields.size() && fields[i].id == HeaderId::kContentLength)
      ++i;
  };
  std::size_t i = 0;
  std::size_t j = 0;
  while (true) {
    skip_length(headers_, i);
    skip_length(other.headers_, j);
    if (i == headers_.size() || j == other.headers_.size()) break;
    const HeaderField& a = headers_[i++];
    const HeaderField& b = other.headers_[j++];
    if (a.id != b.id) return false;
    if (a.id == HeaderId::kOther && !charset::iequals(a.name, b.name)) return false;
    if (unfolded(a.value) != unfolded(b.value)) return false;
  }
  return i == headers_.size() && j == other.headers_.size();
}

}  // namespace lanline::sip
