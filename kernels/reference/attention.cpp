// ref::attention — the explicit slow path (reference/ops.h): for each
// sequence and head, the full score matrix over all rows of the sequence in
// the layout, an explicit -inf mask on keys j >= L_i, a separate softmax
// pass, then × V. Double accumulation; no threads, no SIMD.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/check.h"
#include "base/dtype.h"
#include "kernels/reference/ops.h"

namespace bte::ref {

void attention(const float* q, const float* k, const float* v, int64_t ld_qkv,
               const VarlenLayout& layout, int H, int dh, float* out, int64_t ld_out) {
  BTE_CHECK(H > 0 && dh > 0, "H=", H, " dh=", dh);
  BTE_CHECK(ld_qkv >= int64_t(H) * dh && ld_out >= int64_t(H) * dh, "ld_qkv=", ld_qkv,
            " ld_out=", ld_out);
  const double scale = 1.0 / std::sqrt(double(dh));
  const double neg_inf = -std::numeric_limits<double>::infinity();
  std::vector<double> scores;  // [R, R] for one (sequence, head)
  for (int i = 0; i < layout.n_seqs; ++i) {
    const int L = layout.seq_len(i);
    const int R = layout.rows(i);  // padded: max_len rows, all of them keys before the mask
    const int64_t r0 = layout.row_begin(i);
    BTE_CHECK(L >= 0 && L <= R, "sequence ", i, ": length ", L, ", rows ", R);
    scores.assign(size_t(R) * R, 0.0);
    for (int h = 0; h < H; ++h) {
      const int64_t col = int64_t(h) * dh;
      // scores = Q Kᵀ / sqrt(dh), masked
      for (int a = 0; a < R; ++a) {
        const float* qa = q + (r0 + a) * ld_qkv + col;
        for (int b = 0; b < R; ++b) {
          double s = neg_inf;
          if (b < L) {
            const float* kb = k + (r0 + b) * ld_qkv + col;
            double dot = 0;
            for (int c = 0; c < dh; ++c) dot += double(qa[c]) * double(kb[c]);
            s = dot * scale;
          }
          scores[size_t(a) * R + b] = s;
        }
      }
      // softmax over each row; a row with every key masked becomes zeros
      for (int a = 0; a < R; ++a) {
        double* row = &scores[size_t(a) * R];
        double m = neg_inf;
        for (int b = 0; b < R; ++b) m = std::max(m, row[b]);
        if (m == neg_inf) {
          for (int b = 0; b < R; ++b) row[b] = 0;
          continue;
        }
        double sum = 0;
        for (int b = 0; b < R; ++b) sum += (row[b] = std::exp(row[b] - m));
        for (int b = 0; b < R; ++b) row[b] /= sum;
      }
      // out = P V
      for (int a = 0; a < R; ++a) {
        const double* p = &scores[size_t(a) * R];
        float* o = out + (r0 + a) * ld_out + col;
        for (int c = 0; c < dh; ++c) {
          double acc = 0;
          for (int b = 0; b < R; ++b)
            if (p[b] != 0) acc += p[b] * double(v[(r0 + b) * ld_qkv + col + c]);
          o[c] = float(acc);
        }
      }
    }
  }
}

namespace {
double bf(float x) { return bf16_to_float(float_to_bf16(x)); }
}  // namespace

void attention_bf16(const float* q, const float* k, const float* v, int64_t ld_qkv,
                    const VarlenLayout& layout, int H, int dh, float* out, int64_t ld_out) {
  BTE_CHECK(H > 0 && dh > 0, "H=", H, " dh=", dh);
  const double scale = 1.0 / std::sqrt(double(dh));
  std::vector<double> p;
  for (int i = 0; i < layout.n_seqs; ++i) {
    const int L = layout.seq_len(i), R = layout.rows(i);
    const int64_t r0 = layout.row_begin(i);
    for (int h = 0; h < H; ++h) {
      const int64_t col = int64_t(h) * dh;
      for (int a = 0; a < R; ++a) {
        float* o = out + (r0 + a) * ld_out + col;
        if (L == 0) {
          for (int c = 0; c < dh; ++c) o[c] = 0;
          continue;
        }
        p.assign(L, 0.0);
        double m = -std::numeric_limits<double>::infinity();
        for (int b = 0; b < L; ++b) {
          double dot = 0;
          for (int c = 0; c < dh; ++c)
            dot += bf(q[(r0 + a) * ld_qkv + col + c]) * bf(k[(r0 + b) * ld_qkv + col + c]);
          p[b] = dot * scale;
          m = std::max(m, p[b]);
        }
        double sum = 0;
        for (int b = 0; b < L; ++b) sum += (p[b] = std::exp(p[b] - m));
        for (int c = 0; c < dh; ++c) {
          double acc = 0;
          for (int b = 0; b < L; ++b) acc += bf(float(p[b])) * bf(v[(r0 + b) * ld_qkv + col + c]);
          o[c] = float(acc / sum);
        }
      }
    }
  }
}

}  // namespace bte::ref
