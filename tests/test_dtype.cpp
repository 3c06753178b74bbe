// bf16 / fp16 conversions against plain references: every 16-bit pattern
// round-trips, and rounding of random floats picks the nearest value (ties
// to even), found by brute-force comparison with the neighbours.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "base/dtype.h"

using namespace bte;

TEST_CASE("dtype: every bf16 and fp16 bit pattern round-trips through float", "[weights][dtype]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float b = bf16_to_float(uint16_t(h));
    if (!std::isnan(b)) REQUIRE(float_to_bf16(b) == h);
    const float f = fp16_to_float(uint16_t(h));
    if (!std::isnan(f)) REQUIRE(float_to_fp16(f) == h);
    else REQUIRE(std::isnan(fp16_to_float(float_to_fp16(f))));
  }
  CHECK(fp16_to_float(0x3C00) == 1.0f);
  CHECK(fp16_to_float(0x7BFF) == 65504.0f);
  CHECK(fp16_to_float(0x0001) == std::ldexp(1.0f, -24));
}

namespace {
// The nearest of two candidates, ties to the even pattern.
template <typename ToF>
bool is_nearest(float x, uint16_t got, ToF to_float) {
  const double g = to_float(got);
  for (int delta : {-1, 1}) {
    const uint16_t other = uint16_t(got + delta);
    const double o = to_float(other);
    if (std::isnan(o) || std::isinf(o) != std::isinf(g)) continue;
    const double eg = std::fabs(g - x), eo = std::fabs(o - x);
    if (eo < eg) return false;
    if (eo == eg && (got & 1)) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("dtype: float to bf16/fp16 rounds to nearest even", "[weights][dtype]") {
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = rng();
    float x;
    std::memcpy(&x, &u, 4);
    if (!std::isfinite(x)) continue;
    if (std::fabs(x) < 3e38f) REQUIRE(is_nearest(x, float_to_bf16(x), bf16_to_float));
    const float y = std::ldexp(float(rng() % 2048) / 2048.f + 0.5f, int(rng() % 44) - 28) *
                    (rng() % 2 ? 1 : -1);
    if (std::fabs(y) < 65504.f) REQUIRE(is_nearest(y, float_to_fp16(y), fp16_to_float));
  }
  CHECK(std::isinf(fp16_to_float(float_to_fp16(1e6f))));
  CHECK(parse_dtype("bf16") == DType::BF16);
  CHECK(parse_dtype("int8") == DType::I8);
  CHECK(dtype_size(DType::I8) == 1);
  CHECK(std::string(dtype_name(DType::I8)) == "int8");
  CHECK_THROWS_WITH(parse_dtype("int9"), Catch::Contains("unknown dtype 'int9'"));
}
