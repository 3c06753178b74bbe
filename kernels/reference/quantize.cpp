#include "kernels/reference/quantize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace bte::ref {

void quantize_rows_s8(const float* x, int64_t M, int K, int qmax, int8_t* q, float* scale) {
  for (int64_t m = 0; m < M; ++m) {
    const float* r = x + m * K;
    int8_t* out = q + m * K;
    float amax = 0;
    bool finite = true;
    for (int k = 0; k < K; ++k) {
      if (!std::isfinite(r[k])) finite = false;
      else amax = std::max(amax, std::fabs(r[k]));
    }
    if (!finite) {
      scale[m] = NAN;
      for (int k = 0; k < K; ++k) out[k] = 0;
      continue;
    }
    scale[m] = amax / float(qmax);
    // A max so small that qmax / max overflows (< ~3.7e-37) gives zeros, not 0 · inf.
    const float ratio = amax > 0 ? float(qmax) / amax : 0.f;
    const float inv = ratio <= FLT_MAX ? ratio : 0.f;
    for (int k = 0; k < K; ++k) {
      float v = std::nearbyint(r[k] * inv);  // round half to even (the default rounding mode)
      v = std::min(std::max(v, -float(qmax)), float(qmax));
      out[k] = int8_t(v);
    }
  }
}

void matmul_s8_nt(const int8_t* xq, int64_t M, int K, const int8_t* wq, int N, int32_t* acc) {
  for (int64_t m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      int64_t s = 0;
      for (int k = 0; k < K; ++k) s += int32_t(xq[m * K + k]) * int32_t(wq[int64_t(n) * K + k]);
      acc[m * N + n] = int32_t(s);
    }
}

void dequantize_rows(const int32_t* acc, int64_t M, int N, const float* xs, const float* ws,
                     const float* bias, bool accumulate, float* y) {
  for (int64_t m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      const float v = std::fma(float(acc[m * N + n]), xs[m] * ws[n], bias ? bias[n] : 0.f);
      y[m * N + n] = accumulate ? y[m * N + n] + v : v;
    }
}

}  // namespace bte::ref
