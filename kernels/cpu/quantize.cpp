// quantize.h: the dispatch over rows (OpenMP) and variants, and the scalar
// row kernels (the reference twin's arithmetic, for CPUs without AVX2).
#include "kernels/cpu/quantize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "base/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/quantize_rows.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace detail {
void gelu_avx2(float* x, int64_t n);
void gelu_avx512(float* x, int64_t n);

float quantize_row_scalar(const float* x, int K, int qmax, int8_t* q) {
  float amax = 0;
  bool finite = true;
  for (int k = 0; k < K; ++k) {
    if (!std::isfinite(x[k])) finite = false;
    else amax = std::max(amax, std::fabs(x[k]));
  }
  if (!finite) {
    std::memset(q, 0, size_t(K));
    return NAN;
  }
  // A max so small that qmax / max overflows (< ~3.7e-37) gives zeros, not 0 · inf.
  const float ratio = amax > 0 ? float(qmax) / amax : 0.f;
  const float inv = ratio <= FLT_MAX ? ratio : 0.f;
  for (int k = 0; k < K; ++k)
    q[k] = int8_t(std::min(std::max(std::nearbyint(x[k] * inv), -float(qmax)), float(qmax)));
  return amax / float(qmax);
}

void dequantize_row_scalar(const int32_t* acc, int N, float xs, const float* ws, const float* b,
                           bool accumulate, float* y) {
  for (int n = 0; n < N; ++n) {
    const float v = std::fma(float(acc[n]), xs * ws[n], b ? b[n] : 0.f);
    y[n] = accumulate ? y[n] + v : v;
  }
}
}  // namespace detail

namespace {

// Below this many elements a parallel region costs more than it saves.
constexpr int64_t kParallelMin = 1 << 14;

struct RowFns {
  detail::QuantizeRowFn quantize;
  detail::DequantizeRowFn dequantize;
  void (*gelu)(float*, int64_t);  // null: the scalar loop
};

RowFns row_fns() {
  const char* v = kernel_variant();
  if (std::strcmp(v, "avx512") == 0)
    return {detail::quantize_row_avx512, detail::dequantize_row_avx512, detail::gelu_avx512};
  if (std::strcmp(v, "avx2") == 0)
    return {detail::quantize_row_avx2, detail::dequantize_row_avx2, detail::gelu_avx2};
  return {detail::quantize_row_scalar, detail::dequantize_row_scalar, nullptr};
}

void gelu_row(const RowFns& f, float* y, int N) {
  if (f.gelu) return f.gelu(y, N);
  for (int n = 0; n < N; ++n) y[n] = 0.5f * y[n] * (1.f + std::erf(y[n] * 0.70710678118654752f));
}

}  // namespace

void quantize_rows_s8(const float* x, int64_t M, int K, int qmax, int8_t* q, float* scale) {
  BTE_CHECK(K > 0 && qmax > 0 && qmax <= 127, "K=", K, " qmax=", qmax);
  const RowFns f = row_fns();
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (M * K >= kParallelMin)
  for (int64_t m = 0; m < M; ++m) scale[m] = f.quantize(x + m * K, K, qmax, q + m * K);
}

void dequantize_rows(const int32_t* acc, int64_t M, int N, const float* xs, const float* ws,
                     const float* bias, Epilogue epilogue, float* y) {
  BTE_CHECK(epilogue == Epilogue::None || epilogue == Epilogue::Gelu ||
                epilogue == Epilogue::AddToOutput,
            "the int8 epilogue takes None, Gelu or AddToOutput");
  const RowFns f = row_fns();
  const bool accumulate = epilogue == Epilogue::AddToOutput;
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (M * N >= kParallelMin)
  for (int64_t m = 0; m < M; ++m) {
    float* row = y + m * N;
    f.dequantize(acc + m * N, N, xs[m], ws, bias, accumulate, row);
    if (epilogue == Epilogue::Gelu) gelu_row(f, row, N);
  }
}

void dequantize_gelu_quantize_rows(int32_t* acc, int64_t M, int N, const float* xs,
                                   const float* ws, const float* bias, int qmax, int8_t* yq,
                                   float* ys) {
  const RowFns f = row_fns();
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (M * N >= kParallelMin)
  for (int64_t m = 0; m < M; ++m) {
    float* row = reinterpret_cast<float*>(acc + m * N);  // the row's int32 sums become its floats
    f.dequantize(acc + m * N, N, xs[m], ws, bias, false, row);
    gelu_row(f, row, N);
    ys[m] = f.quantize(row, N, qmax, yq + m * N);
  }
}

}  // namespace bte::cpu
