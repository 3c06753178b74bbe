// Reference twins of kernels/reference/ops.h (all but attention, which lives
// in attention.cpp). Plain loops, double accumulation: slow and obviously
// right, the yardstick of every kernel test.
#include "kernels/reference/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace bte::ref {

void matmul_nt(const float* x, int64_t M, int K, const float* W, int N, float* y) {
  for (int64_t i = 0; i < M; ++i) {
    const float* xi = x + i * K;
    for (int n = 0; n < N; ++n) {
      const float* wn = W + int64_t(n) * K;
      double acc = 0;
      for (int k = 0; k < K; ++k) acc += double(xi[k]) * double(wn[k]);
      y[i * N + n] = float(acc);
    }
  }
}

void add_bias(float* y, int64_t M, int N, const float* b) {
  for (int64_t i = 0; i < M; ++i)
    for (int n = 0; n < N; ++n) y[i * N + n] += b[n];
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void gelu_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    x[i] = float(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  }
}

void tanh_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = float(std::tanh(double(x[i])));
}

void relu_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
}

void layernorm(const float* x, int64_t M, int d, const float* gamma, const float* beta,
               float eps, float* out) {
  std::vector<double> row(d);
  for (int64_t i = 0; i < M; ++i) {
    // Copy first: out may equal x.
    for (int j = 0; j < d; ++j) row[j] = x[i * d + j];
    double mean = 0;
    for (int j = 0; j < d; ++j) mean += row[j];
    mean /= d;
    double var = 0;
    for (int j = 0; j < d; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= d;
    const double rstd = 1.0 / std::sqrt(var + double(eps));
    for (int j = 0; j < d; ++j)
      out[i * d + j] = float((row[j] - mean) * rstd * double(gamma[j]) + double(beta[j]));
  }
}

void softmax_rows(float* x, int64_t rows, int n) {
  for (int64_t i = 0; i < rows; ++i) {
    float* r = x + i * n;
    float mx = -std::numeric_limits<float>::infinity();
    for (int j = 0; j < n; ++j) mx = std::max(mx, r[j]);
    if (mx == -std::numeric_limits<float>::infinity()) {  // fully masked row
      for (int j = 0; j < n; ++j) r[j] = 0.f;
      continue;
    }
    double sum = 0;
    std::vector<double> e(n);
    for (int j = 0; j < n; ++j) sum += e[j] = std::exp(double(r[j]) - double(mx));
    for (int j = 0; j < n; ++j) r[j] = float(e[j] / sum);
  }
}

void pool_cls(const float* x, const VarlenLayout& layout, int d, float* out) {
  for (int s = 0; s < layout.n_seqs; ++s) {
    const float* row = x + layout.row_begin(s) * d;
    const bool empty = layout.seq_len(s) == 0;  // no first token: zeros, as mean pooling gives
    for (int j = 0; j < d; ++j) out[int64_t(s) * d + j] = empty ? 0.f : row[j];
  }
}

void pool_mean(const float* x, const VarlenLayout& layout, int d, float* out) {
  std::vector<double> acc(d);
  for (int s = 0; s < layout.n_seqs; ++s) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const int L = layout.seq_len(s);  // real rows only (padded: the first L of max_len)
    const float* base = x + layout.row_begin(s) * d;
    for (int t = 0; t < L; ++t)
      for (int j = 0; j < d; ++j) acc[j] += base[int64_t(t) * d + j];
    for (int j = 0; j < d; ++j) out[int64_t(s) * d + j] = L > 0 ? float(acc[j] / L) : 0.f;
  }
}

void pool_max(const float* x, const VarlenLayout& layout, int d, float* out) {
  for (int s = 0; s < layout.n_seqs; ++s) {
    const int L = layout.seq_len(s);
    const float* base = x + layout.row_begin(s) * d;
    for (int j = 0; j < d; ++j) {
      float m = L > 0 ? base[j] : 0.f;
      for (int t = 1; t < L; ++t) m = std::max(m, base[int64_t(t) * d + j]);
      out[int64_t(s) * d + j] = m;
    }
  }
}

void l2_normalize_rows(float* x, int64_t rows, int d) {
  for (int64_t i = 0; i < rows; ++i) {
    float* r = x + i * d;
    double ss = 0;
    for (int j = 0; j < d; ++j) ss += double(r[j]) * double(r[j]);
    // As torch.nn.functional.normalize: divide by max(norm, 1e-12).
    const double inv = 1.0 / std::max(std::sqrt(ss), 1e-12);
    for (int j = 0; j < d; ++j) r[j] = float(r[j] * inv);
  }
}

}  // namespace bte::ref
