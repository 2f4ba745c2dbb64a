#include "method.hpp"

#include <array>

namespace lanline::sip {
namespace {

struct MethodName {
  Method method;
  std::string_view name;
};

constexpr std::array<MethodName, 14> kMethods{{
    {Method::kInvite, "INVITE"},
    {Method::kAck, "ACK"},
    {Method::kBye, "BYE"},
    {Method::kCancel, "CANCEL"},
    {Method::kOptions, "OPTIONS"},
    {Method::kRegister, "REGISTER"},
    {Method::kMessage, "MESSAGE"},
    {Method::kInfo, "INFO"},
    {Method::kPrack, "PRACK"},
    {Method::kUpdate, "UPDATE"},
    {Method::kSubscribe, "SUBSCRIBE"},
    {Method::kNotify, "NOTIFY"},
    {Method::kRefer, "REFER"},
    {Method::kPublish, "PUBLISH"},
}};

}  // namespace

Method method_from_token(std::string_view token) {
  for (const auto& m : kMethods) {
    if (m.name == token) return m.method;
  }
  return Method::kUnknown;
}

std::string_view method_name(Method method) {
  for (const auto& m : kMethods) {
    if (m.method == method) return m.name;
  }
  return {};
}

}  // namespace lanline::sip
