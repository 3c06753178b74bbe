#include <cstring>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {

void to_bf16(const float* x, uint16_t* y, int64_t n) {
  detail::apply_num_threads();
  // Large chunks: the conversion is memory bound, a thread per chunk suffices.
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &x[i], 4);
    const bool nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
    const uint32_t rounded = u + 0x7FFFu + ((u >> 16) & 1u);
    y[i] = uint16_t(nan ? (u >> 16) | 0x40u : rounded >> 16);
  }
}

bool has_native_bf16() {
  const auto& f = cpu_features();
  return f.avx512_bf16 || f.amx_bf16;
}

}  // namespace bte::cpu
