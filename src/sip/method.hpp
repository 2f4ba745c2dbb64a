// SIP request methods: the ones the stack knows by name, any other kept as its token.
#pragma once

#include <cstdint>
#include <string_view>

namespace lanline::sip {

enum class Method : std::uint8_t {
  kUnknown,  // an extension method; Message keeps its text
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kMessage,
  kInfo,
  kPrack,
  kUpdate,
  kSubscribe,
  kNotify,
  kRefer,
  kPublish,
};

// Methods are case-sensitive (RFC 3261 7.1): "invite" is an unknown method.
Method method_from_token(std::string_view token);
std::string_view method_name(Method method);  // "" for kUnknown

}  // namespace lanline::sip
