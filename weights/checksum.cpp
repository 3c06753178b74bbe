#include "weights/checksum.h"

#include <cstring>

#include "weights/bte_format.h"  // the little-endian assertion

namespace bte {

namespace {
constexpr uint64_t K1 = 0x9E3779B185EBCA87ull, K2 = 0xC2B2AE3D27D4EB4Full,
                   K3 = 0x165667B19E3779F9ull, K4 = 0x85EBCA77C2B2AE63ull;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t load64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);  // the format is little-endian; so are all our targets
  return w;
}

// Stripes of 32 bytes into the lanes; returns how many bytes it consumed.
inline size_t stripes(uint64_t* v, const unsigned char* p, size_t n) {
  uint64_t a = v[0], b = v[1], c = v[2], d = v[3];
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = rotl(a + load64(p + i) * K2, 31) * K1;
    b = rotl(b + load64(p + i + 8) * K2, 31) * K1;
    c = rotl(c + load64(p + i + 16) * K2, 31) * K1;
    d = rotl(d + load64(p + i + 24) * K2, 31) * K1;
  }
  v[0] = a, v[1] = b, v[2] = c, v[3] = d;
  return i;
}
}  // namespace

void Checksum64::update(const void* data, size_t n) {
  auto p = static_cast<const unsigned char*>(data);
  total_ += n;
  if (buffered_ > 0) {
    const size_t take = n < 32 - buffered_ ? n : 32 - buffered_;
    std::memcpy(buf_ + buffered_, p, take);
    buffered_ += take, p += take, n -= take;
    if (buffered_ < 32) return;
    stripes(v_, buf_, 32);
    buffered_ = 0;
  }
  const size_t done = stripes(v_, p, n);
  std::memcpy(buf_, p + done, n - done);
  buffered_ = n - done;
}

uint64_t Checksum64::digest() const {
  uint64_t h = rotl(v_[0], 1) + rotl(v_[1], 7) + rotl(v_[2], 12) + rotl(v_[3], 18);
  size_t i = 0;
  for (; i + 8 <= buffered_; i += 8) h = rotl(h ^ (load64(buf_ + i) * K2), 27) * K1 + K4;
  if (i < buffered_) {
    unsigned char last[8] = {0};
    std::memcpy(last, buf_ + i, buffered_ - i);
    h = rotl(h ^ (load64(last) * K2), 27) * K1 + K4;
  }
  h ^= total_;
  h ^= h >> 33, h *= K2;
  h ^= h >> 29, h *= K3;
  h ^= h >> 32;
  return h;
}

uint64_t checksum64(const void* data, size_t n) {
  Checksum64 c;
  c.update(data, n);
  return c.digest();
}

std::string checksum_hex(uint64_t c) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, c >>= 4) s[i] = digits[c & 15];
  return s;
}

bool parse_checksum_hex(const std::string& s, uint64_t* out) {
  if (s.size() != 16) return false;
  uint64_t v = 0;
  for (char ch : s) {
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else return false;
    v = (v << 4) | uint64_t(d);
  }
  *out = v;
  return true;
}

}  // namespace bte
