#include "base/dtype.h"

#include <cfloat>
#include <cmath>
#include <cstring>

#include "base/check.h"

namespace bte {

bool int8_scale_ok(float s) { return s >= 0.f && s * 127.f <= FLT_MAX; }

size_t dtype_size(DType t) { return t == DType::F32 ? 4 : t == DType::I8 ? 1 : 2; }

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "fp32";
    case DType::BF16: return "bf16";
    case DType::F16: return "fp16";
    case DType::I8: return "int8";
  }
  return "?";
}

DType parse_dtype(std::string_view n) {
  if (n == "fp32" || n == "f32" || n == "float32") return DType::F32;
  if (n == "bf16" || n == "bfloat16") return DType::BF16;
  if (n == "fp16" || n == "f16" || n == "float16") return DType::F16;
  if (n == "int8" || n == "i8") return DType::I8;
  BTE_FAIL(ErrorKind::BadInput, "unknown dtype '", n, "' (expected fp32, bf16, fp16 or int8)");
}

uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f)) return uint16_t((u >> 16) | 0x40);  // keep it a (quiet) NaN
  u += 0x7FFF + ((u >> 16) & 1);                         // round to nearest even
  return uint16_t(u >> 16);
}

float bf16_to_float(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t float_to_fp16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000;
  const uint32_t absu = u & 0x7FFFFFFF;
  if (absu >= 0x7F800000) return uint16_t(sign | 0x7C00 | (absu > 0x7F800000 ? 0x200 : 0));
  if (absu >= 0x477FF000) return uint16_t(sign | 0x7C00);  // rounds past 65504: infinity
  if (absu < 0x38800000) {                                 // below 2^-14: subnormal or zero
    if (absu < 0x33000000) return uint16_t(sign);          // below half the smallest subnormal
    const uint32_t mant = (absu & 0x7FFFFF) | 0x800000;
    const int shift = 126 - int(absu >> 23);  // 14 + (127 - exp) - 1 ... aligns to 2^-24 units
    const uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    return uint16_t(sign | (q + (rem > half || (rem == half && (q & 1)))));
  }
  const uint32_t r = absu + 0xFFF + ((absu >> 13) & 1) - 0x38000000;  // rebias 127 -> 15, round
  return uint16_t(sign | (r >> 13));
}

float fp16_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  float f;
  if (exp == 0) {
    f = std::ldexp(float(mant), -24);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u |= sign;
    std::memcpy(&f, &u, 4);
    return f;
  }
  const uint32_t u = sign | (exp == 31 ? 0x7F800000 | (mant << 13) : ((exp + 112) << 23) | (mant << 13));
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace bte
