#include "printer.hpp"

#include "folding.hpp"

namespace lanline::sip {

std::string print_message(const Message& message) {
  std::string out;
  out.reserve(message.text().size() + 64);
  if (message.is_request()) {
    out += message.method_text();
    out += ' ';
    append_uri(out, message.request_uri());
    out += " SIP/2.0\r\n";
  } else {
    out += "SIP/2.0 ";
    out += std::to_string(message.status_code());
    out += ' ';
    out += message.reason();
    out += "\r\n";
  }
  for (const HeaderField& field : message.headers()) {
    if (field.id == HeaderId::kContentLength) continue;  // written once, below
    out += field.id == HeaderId::kOther ? field.name : canonical_header_name(field.id);
    out += ": ";
    append_unfolded(out, field.value);
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(message.body().size());
  out += "\r\n\r\n";
  out += message.body();
  return out;
}

}  // namespace lanline::sip
