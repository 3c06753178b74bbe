// Attention tile, portable fallback: one float a "register", micro-tiles of
// 4 × 4, std::exp. The same algorithm as the SIMD variants (attention_tile.h),
// left to the compiler's baseline ISA.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/attention_tile.h"

namespace bte::cpu::detail {
namespace {

struct Scalar {
  using R = float;
  static constexpr int W = 1;
  static constexpr int kMaxNV = 4;
  static constexpr int mr_for(int) { return 4; }
  static R zero() { return 0.f; }
  static R load(const float* p) { return *p; }
  static void store(float* p, R x) { *p = x; }
  static R bcast(const float* p) { return *p; }
  static R set1(float x) { return x; }
  static R add(R a, R b) { return a + b; }
  static R mul(R a, R b) { return a * b; }
  static R max(R a, R b) { return a > b ? a : b; }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R exp_softmax(R x) { return std::exp(x); }
};

}  // namespace
}  // namespace bte::cpu::detail

#include "kernels/cpu/attention_tile_impl.h"

namespace bte::cpu::detail {
void attention_tile_scalar(const AttnTile& t) { attention_tile_impl<Scalar>(t); }
}  // namespace bte::cpu::detail
