#include "sdes.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include "text.hpp"

namespace lanline::sdp {
namespace {

struct SuiteEntry {
  SrtpSuite suite;
  std::string_view name;
  std::size_t key_and_salt;
};

constexpr std::array<SuiteEntry, 4> kSuites{{
    {SrtpSuite::kAes128Sha1_80, "AES_CM_128_HMAC_SHA1_80", 30},
    {SrtpSuite::kAes128Sha1_32, "AES_CM_128_HMAC_SHA1_32", 30},
    {SrtpSuite::kAes256Sha1_80, "AES_256_CM_HMAC_SHA1_80", 46},
    {SrtpSuite::kAes256Sha1_32, "AES_256_CM_HMAC_SHA1_32", 46},
}};

const SuiteEntry& entry(SrtpSuite suite) {
  for (const auto& e : kSuites) {
    if (e.suite == suite) return e;
  }
  return kSuites.front();
}

std::optional<CryptoLine> refuse(std::string* why, std::string reason) {
  if (why) *why = std::move(reason);
  return std::nullopt;
}

}  // namespace

std::string_view suite_name(SrtpSuite suite) {
  return entry(suite).name;
}

std::optional<SrtpSuite> suite_named(std::string_view name) {
  for (const auto& e : kSuites) {
    if (e.name == name) return e.suite;
  }
  return std::nullopt;
}

std::size_t key_and_salt_size(SrtpSuite suite) {
  return entry(suite).key_and_salt;
}

// RFC 4568 9.1: tag 1*9DIGIT, crypto-suite, key-params (";"-separated, each
// "inline:" key-info), then session parameters separated by spaces.
std::optional<CryptoLine> parse_crypto(std::string_view value, std::string* why) {
  const auto fields = text::words(value);
  if (fields.size() < 3) return refuse(why, "a=crypto needs a tag, a suite and a key");
  auto tag = text::to_uint(fields[0], 999999999);
  if (!tag || fields[0].size() > 9) return refuse(why, "a=crypto tag is not 1 to 9 digits");
  auto suite = suite_named(fields[1]);
  if (!suite)
    return refuse(why, "crypto suite " + std::string(fields[1]) + " is not one Lanline runs");
  if (fields.size() > 3) {
    return refuse(why, "session parameter " + std::string(fields[3]) + " is not one Lanline runs");
  }
  std::string_view params = fields[2];
  if (params.find(';') != std::string_view::npos) {
    return refuse(why, "several keys (MKIs) in one line are not used by Lanline");
  }
  constexpr std::string_view kInline = "inline:";
  if (params.substr(0, kInline.size()) != kInline) return refuse(why, "the key is not inline:");
  params.remove_prefix(kInline.size());
  const std::size_t bar = params.find('|');
  const std::string_view encoded = params.substr(0, bar);
  if (bar != std::string_view::npos) {
    // |lifetime and |MKI:length. A lifetime bounds how many packets the key may protect:
    // read past, as Lanline does not re-key (2^20 audio packets are 5.8 hours). An MKI
    // puts a key index in every packet: refused.
    std::string_view rest = params.substr(bar + 1);
    while (!rest.empty()) {
      const std::size_t next = rest.find('|');
      const std::string_view part = rest.substr(0, next);
      if (part.find(':') != std::string_view::npos) {
        return refuse(why, "a key with an MKI is not used by Lanline");
      }
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    }
  }
  auto key = base64_decode(encoded);
  if (!key) return refuse(why, "the key is not base64");
  if (key->size() != key_and_salt_size(*suite)) {
    return refuse(why, "the key of " + std::string(fields[1]) + " must be " +
                           std::to_string(key_and_salt_size(*suite)) + " bytes, not " +
                           std::to_string(key->size()));
  }
  return CryptoLine{static_cast<unsigned>(*tag), *suite, std::move(*key)};
}

std::string format_crypto(const CryptoLine& line) {
  return std::to_string(line.tag) + ' ' + std::string(suite_name(line.suite)) +
         " inline:" + base64_encode(line.key);
}

std::vector<std::uint8_t> random_key(SrtpSuite suite) {
  std::vector<std::uint8_t> key(key_and_salt_size(suite));
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return {};
  return key;
}

std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  // EVP_DecodeBlock wants whole groups of four and counts the padding as zero bytes.
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  const int written =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(written) - padding);
  return out;
}

}  // namespace lanline::sdp
