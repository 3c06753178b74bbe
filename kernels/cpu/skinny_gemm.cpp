// Dispatch and threading of the skinny GEMM (skinny_gemm.h): the variant
// our other kernels run (kernel_variant()); each thread takes one contiguous
// range of weight rows (a multiple of 12, whole tiles of every variant's 3
// or 4 rows), so it streams its own share of the weights once.
#include "kernels/cpu/skinny_gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace {

using Rows = void (*)(const detail::SkinnyArgs&, int, int);

Rows variant_rows() {
  const char* v = kernel_variant();
  if (std::strcmp(v, "avx512") == 0) return detail::skinny_rows_avx512;
  if (std::strcmp(v, "avx2") == 0) return detail::skinny_rows_avx2;
  return nullptr;
}

}  // namespace

bool skinny_gemm_available() { return variant_rows() != nullptr; }

void skinny_gemm_nt(const float* x, int64_t M, int K, const float* W, int N, const float* bias,
                    bool accumulate, float* y) {
  const Rows run = variant_rows();
  BTE_CHECK(run, "skinny_gemm_nt needs the avx2 or avx512 kernel variant (this one: ", kernel_variant(), ")");
  if (M <= 0 || N <= 0) return;
  constexpr int kGroup = 12;
  const int groups = (N + kGroup - 1) / kGroup;
  const int threads = std::min(detail::apply_num_threads(), groups);
  const detail::SkinnyArgs a{x, M, K, W, N, bias, accumulate, y};
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    const int g0 = int(int64_t(groups) * t / n), g1 = int(int64_t(groups) * (t + 1) / n);
    run(a, kGroup * g0, std::min(N, kGroup * g1));
  }
}

}  // namespace bte::cpu
