// LayerNorm row, scalar fallback (CPUs without AVX2 + FMA). Statistics and
// the normalisation in double: this path is for correctness, not speed.
// See layernorm_rows.h.
#include <cmath>

#include "kernels/cpu/layernorm_rows.h"

namespace bte::cpu::detail {

void layernorm_row_scalar(const float* a, const float* b, const float* c, const float* gamma,
                          const float* beta, int d, float eps, float* out) {
  const float* x = a;
  if (b || c) {
    for (int j = 0; j < d; ++j) out[j] = a[j] + (b ? b[j] : 0.f) + (c ? c[j] : 0.f);
    x = out;
  }
  double sum = 0;
  for (int j = 0; j < d; ++j) sum += x[j];
  const double mean = sum / d;
  double sq = 0;
  for (int j = 0; j < d; ++j) sq += (x[j] - mean) * (x[j] - mean);
  const double rstd = 1.0 / std::sqrt(sq / d + double(eps));
  for (int j = 0; j < d; ++j) out[j] = float((x[j] - mean) * rstd * gamma[j] + beta[j]);
}

}  // namespace bte::cpu::detail
