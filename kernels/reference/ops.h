// Reference twins: plain loops, no threads, no SIMD, written to be obviously
// right. They run the "reference" mode (the tutorial's slow path: padded,
// separate Q/K/V products, explicit mask, separate softmax/bias/GELU/LN) and
// are the yardstick in every kernel test.
//
// Conventions: row-major; a Linear weight is [N, K] (out, in) as in PyTorch,
// so y = x · Wᵀ.
#pragma once

#include <cstdint>

#include "kernels/varlen.h"

namespace bte::ref {

// y[M, N] = x[M, K] · W[N, K]ᵀ   (no bias)
void matmul_nt(const float* x, int64_t M, int K, const float* W, int N, float* y);
// y[M, N] += b[N]
void add_bias(float* y, int64_t M, int N, const float* b);
// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);
// exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in place
void gelu_inplace(float* x, int64_t n);
void tanh_inplace(float* x, int64_t n);
void relu_inplace(float* x, int64_t n);
// out[M, d] = LN(x) * gamma + beta (out may equal x)
void layernorm(const float* x, int64_t M, int d, const float* gamma, const float* beta,
               float eps, float* out);
// Numerically safe softmax of each row of x[rows, n], in place. A row that is
// all -inf becomes all zeros.
void softmax_rows(float* x, int64_t rows, int n);

// Multi-head attention, the explicit way: scores[i, h] = Q_h K_hᵀ / sqrt(dh)
// with keys j >= L_i masked to -inf, softmax, times V_h.
// q, k, v: rows of `layout`, each row's heads at [h*dh, (h+1)*dh), row stride ld_qkv
// out: [layout.total_rows(), H*dh], row stride ld_out
// Rows of padding (padded layout) get computed too (they attend to the real keys).
void attention(const float* q, const float* k, const float* v, int64_t ld_qkv,
               const VarlenLayout& layout, int H, int dh, float* out, int64_t ld_out);

// The bf16 attention's twin (cpu::attention with DType::BF16): as attention()
// on q, k, v rounded to bf16 (nearest even), with the unnormalised
// probabilities p_j = exp(s_j - max) rounded to bf16 for P·V and their sum
// taken before rounding: out = Σ_j bf16(p_j) v_j / Σ_j p_j.
void attention_bf16(const float* q, const float* k, const float* v, int64_t ld_qkv,
                    const VarlenLayout& layout, int H, int dh, float* out, int64_t ld_out);

// Pooling over each sequence's real rows of x (rows of `layout`, row length d).
// out: [n_seqs, d]
void pool_cls(const float* x, const VarlenLayout& layout, int d, float* out);
void pool_mean(const float* x, const VarlenLayout& layout, int d, float* out);
// Per column, the largest value among the sequence's real rows (sentence-
// transformers' max pooling: padding never wins). A sequence of no rows gives zeros.
void pool_max(const float* x, const VarlenLayout& layout, int d, float* out);
// Each row of x[rows, d] scaled to unit L2 norm (a zero row stays zero).
void l2_normalize_rows(float* x, int64_t rows, int d);

}  // namespace bte::ref
