// GELU in place (ops.h): the variant our kernels run, threads over chunks.
// Why it exists: oneDNN 2.6's sgemm-based matmul (gemm:jit, what it runs on
// AVX2 machines) applies an eltwise_gelu_erf post-op at ~10 ns an element
// (Zen3): 9 of the 21 ms of XLM-R base's FFN up projection at M = 275.
// This pass costs well under 1 ms there.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace detail {
void gelu_avx2(float* x, int64_t n);
void gelu_avx512(float* x, int64_t n);
}  // namespace detail

void gelu_inplace(float* x, int64_t n) {
  const char* v = kernel_variant();
  const auto run = std::strcmp(v, "avx512") == 0 ? detail::gelu_avx512
                   : std::strcmp(v, "avx2") == 0 ? detail::gelu_avx2
                                                 : nullptr;
  constexpr int64_t kChunk = 16384;  // floats per work item (64 KB)
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    float* p = x + c * kChunk;
    const int64_t len = std::min<int64_t>(kChunk, n - c * kChunk);
    if (run) {
      run(p, len);
    } else {
      for (int64_t i = 0; i < len; ++i) p[i] = 0.5f * p[i] * (1.f + std::erf(p[i] * 0.70710678118654752f));
    }
  }
}

}  // namespace bte::cpu
