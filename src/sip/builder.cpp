#include "builder.hpp"

#include <array>
#include <random>

#include "folding.hpp"
#include "parser.hpp"

namespace lanline::sip {
namespace {

void header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  append_unfolded(out, value);
  out += "\r\n";
}

// Every field of `id` in the message, in order, under its full name.
void copy_headers(std::string& out, const Message& message, HeaderId id) {
  for (const HeaderField& field : message.headers()) {
    if (field.id == id) header(out, canonical_header_name(id), field.value);
  }
}

void end_headers(std::string& out, std::string_view content_type, std::string_view body) {
  if (!body.empty() && !content_type.empty()) header(out, "Content-Type", content_type);
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
}

// The Message of the bytes a builder wrote. Stream framing: the Content-Length written
// is the body's exact size.
Result<Message> built_message(const std::string& bytes) {
  return parse_message(bytes, Framing::kStream);
}

std::mt19937_64& generator() {
  thread_local std::mt19937_64 engine(std::random_device{}());
  return engine;
}

}  // namespace

std::string_view reason_phrase(int code) {
  switch (code) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 603:
      return "Decline";
    default:
      return "";
  }
}

Result<Message> build_response(const Message& request, const ResponseSpec& spec) {
  std::string out;
  out.reserve(512 + spec.body.size());
  out += "SIP/2.0 ";
  out += std::to_string(spec.code);
  out += ' ';
  out += spec.reason.empty() ? reason_phrase(spec.code) : std::string_view(spec.reason);
  out += "\r\n";
  copy_headers(out, request, HeaderId::kVia);
  if ((spec.code > 100 && spec.code < 300)) copy_headers(out, request, HeaderId::kRecordRoute);
  header(out, "From", *request.header("From"));
  std::string to(*request.header("To"));
  if (request.to().tag.empty() && !spec.to_tag.empty() && spec.code != 100) {
    to += ";tag=";
    to += spec.to_tag;
  }
  header(out, "To", to);
  header(out, "Call-ID", request.call_id());
  header(out, "CSeq", *request.header("CSeq"));
  for (const auto& [name, value] : spec.headers)
    header(out, name, value);
  end_headers(out, spec.content_type, spec.body);
  return built_message(out);
}

Result<Message> build_ack_for_non2xx(const Message& invite, const Message& response) {
  std::string out;
  out.reserve(512);
  out += "ACK ";
  append_uri(out, invite.request_uri());
  out += " SIP/2.0\r\n";
  header(out, "Via", invite.via().front().text);
  header(out, "Max-Forwards", "70");
  header(out, "From", *invite.header("From"));
  header(out, "To", *response.header("To"));
  header(out, "Call-ID", invite.call_id());
  header(out, "CSeq", std::to_string(invite.cseq().number) + " ACK");
  copy_headers(out, invite, HeaderId::kRoute);
  end_headers(out, {}, {});
  return built_message(out);
}

Result<Message> build_cancel(const Message& invite) {
  std::string out;
  out.reserve(512);
  out += "CANCEL ";
  append_uri(out, invite.request_uri());
  out += " SIP/2.0\r\n";
  header(out, "Via", invite.via().front().text);
  header(out, "Max-Forwards", "70");
  header(out, "From", *invite.header("From"));
  header(out, "To", *invite.header("To"));
  header(out, "Call-ID", invite.call_id());
  header(out, "CSeq", std::to_string(invite.cseq().number) + " CANCEL");
  copy_headers(out, invite, HeaderId::kRoute);
  end_headers(out, {}, {});
  return built_message(out);
}

std::optional<std::string> build_error_response(std::string_view raw, const ParseError& error) {
  std::size_t start = raw.find_first_not_of("\r\n");
  if (start == std::string_view::npos || raw.substr(start, 4) == "SIP/") return std::nullopt;
  std::string out = "SIP/2.0 " + std::to_string(error.status_code()) + " ";
  // The reason phrase is the parser's one-line reason, kept to printable ASCII.
  std::string reason;
  for (char c : error.reason)
    reason += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (reason.size() > 200) reason.resize(200);
  out += reason.empty() ? std::string(reason_phrase(error.status_code())) : reason;
  out += "\r\n";
  // Copy the header lines the response needs, folded continuation lines included.
  bool found[5] = {};
  std::size_t pos = raw.find('\n', start);
  while (pos != std::string_view::npos && pos + 1 < raw.size()) {
    std::size_t line_start = pos + 1;
    std::size_t end = raw.find('\n', line_start);
    while (end != std::string_view::npos && end + 1 < raw.size() &&
           (raw[end + 1] == ' ' || raw[end + 1] == '\t')) {
      end = raw.find('\n', end + 1);
    }
    std::string_view line = raw.substr(
        line_start, end == std::string_view::npos ? std::string_view::npos : end - line_start);
    if (line.empty() || line == "\r") break;  // end of the header section
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = trim_lws(line.substr(0, colon));
      static constexpr HeaderId kWanted[5] = {HeaderId::kVia, HeaderId::kFrom, HeaderId::kTo,
                                              HeaderId::kCallId, HeaderId::kCSeq};
      HeaderId id = header_id(name);
      for (int i = 0; i < 5; ++i) {
        if (id == kWanted[i]) {
          found[i] = true;
          header(out, canonical_header_name(id), trim_lws(line.substr(colon + 1)));
        }
      }
    }
    pos = end;
  }
  for (bool f : found) {
    if (!f) return std::nullopt;
  }
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

std::string random_token(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; i += 8) {
    std::uint64_t value = generator()();
    for (std::size_t j = 0; j < 8 && i + j < bytes; ++j) {
      out += kHex[(value >> (j * 8 + 4)) & 0xf];
      out += kHex[(value >> (j * 8)) & 0xf];
    }
  }
  return out;
}

std::string new_branch() {
  return "z9hG4bK" + random_token(8);
}

}  // namespace lanline::sip
