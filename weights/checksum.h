// bte-mix64: the 64-bit checksum of every tensor and blob in a .bte file.
//
//   Checksum64 h;  h.update(p, n1);  h.update(p + n1, n2);  uint64_t c = h.digest();
//   // == checksum64(p, n1 + n2)
//
// Four independent lanes consume 32-byte stripes (lane i takes the 8-byte
// little-endian word i of each stripe: v = rotl(v + w*K2, 31) * K1), then the
// lanes are merged, the < 32-byte tail is folded in, and the length and a final
// avalanche are applied (exact definition: docs/FORMAT.md). Every step is a
// bijection of the lane for a fixed word, so any single changed 8-byte word
// always changes the checksum. Runs at several GB/s per core: verifying
// XLM-R large (2.2 GB) costs a fraction of a second. It detects corruption; it
// is not a cryptographic hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bte {

class Checksum64 {
 public:
  void update(const void* data, size_t n);
  uint64_t digest() const;  // does not change the state; more updates may follow

 private:
  static constexpr uint64_t kK1 = 0x9E3779B185EBCA87ull;
  uint64_t v_[4] = {kK1 * 1, kK1 * 2, kK1 * 3, kK1 * 4};  // mod 2^64
  uint64_t total_ = 0;
  unsigned char buf_[32];
  size_t buffered_ = 0;
};

uint64_t checksum64(const void* data, size_t n);

// 16 lower-case hex digits, and back (nullopt-free: returns false on bad text).
std::string checksum_hex(uint64_t c);
bool parse_checksum_hex(const std::string& s, uint64_t* out);

}  // namespace bte
