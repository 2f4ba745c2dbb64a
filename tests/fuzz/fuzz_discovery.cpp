// libFuzzer target: what any host on the LAN can put in DNS-SD records reaches
// parse_txt and PeerDirectory. The input is a script of record additions and removals
// (instance name, host, address, port, TXT strings all from the bytes); after each step
// the directory must keep its promises: this node never listed, every peer has a key,
// and removing every record leaves no peer.
// Violations abort(), so libFuzzer keeps the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/peer_directory.hpp"
#include "discovery/txt_record.hpp"

namespace {

using namespace lanline;

constexpr const char* kOwn = "11111111-1111-4111-8111-111111111111";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_discovery: %s\n", what);
  std::abort();
}

// Reads length-prefixed pieces from the input.
struct Reader {
  std::string_view rest;
  std::uint8_t byte() {
    if (rest.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest.front());
    rest.remove_prefix(1);
    return b;
  }
  std::string piece() {
    std::size_t n = std::min<std::size_t>(byte() % 64, rest.size());
    std::string out(rest.substr(0, n));
    rest.remove_prefix(n);
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{std::string_view(reinterpret_cast<const char*>(data), size)};
  core::PeerDirectory directory(kOwn);
  std::vector<discovery::RecordKey> keys;
  while (!in.rest.empty()) {
    std::uint8_t op = in.byte();
    if (op % 4 == 3 && !keys.empty()) {
      directory.remove(keys[in.byte() % keys.size()]);
    } else {
      discovery::ServiceRecord record;
      record.key.type = static_cast<discovery::ServiceType>(op % 3);
      record.key.instance_name = in.piece();
      record.key.interface = in.byte() % 3;
      record.key.protocol = in.byte() % 2 ? 6 : 4;
      record.host_name = in.piece();
      record.address = in.piece();
      record.port = static_cast<std::uint16_t>(in.byte() << 8 | in.byte());
      record.own = (op & 0x80) != 0;
      std::vector<std::string> txt;
      for (int n = in.byte() % 6; n > 0; --n)
        txt.push_back(in.piece());
      if (op & 0x40) txt.push_back(std::string("instance_id=") + kOwn);
      record.txt = discovery::parse_txt(txt);
      for (const auto& [key, value] : record.txt)
        if (key.empty()) fail("parse_txt kept an empty key");
      keys.push_back(record.key);
      directory.upsert(record);
    }
    for (const auto& [key, peer] : directory.peers()) {
      if (peer.instance_id == kOwn) fail("this node is listed");
      if (peer.key != key) fail("a peer's key differs from its index");
    }
    directory.match(in.piece());
  }
  for (const auto& key : keys)
    directory.remove(key);
  if (!directory.peers().empty()) fail("peers left after every record was removed");
  return 0;
}
