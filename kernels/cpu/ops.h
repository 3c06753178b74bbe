// Fused CPU kernels (all but the GEMMs, which are in linear.h and
// attention.h). Each has a twin in kernels/reference/ that the tests compare
// it to. Threads: OpenMP, as many as cpu::set_num_threads() says. Hot loops
// have AVX2 and AVX-512 variants chosen at run time (cpu_features.h).
#pragma once

#include <cstdint>

#include "kernels/varlen.h"

namespace bte::cpu {

void set_num_threads(int n);  // n <= 0: OMP_NUM_THREADS when set, else all cores
int num_threads();
// Name of the variant our hand-written kernels run: "avx512", "avx2" or "scalar".
const char* kernel_variant();
// Force a variant (tests walk all that the CPU supports); throws when unsupported.
void force_kernel_variant(const char* name);

// Twin of ref::embed_layernorm (kernels/reference/embedding.h).
void embed_layernorm(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t T,
                     const float* word, const float* pos, const float* type_table,
                     const float* gamma, const float* beta, int d, float eps, float* out);
// x[M, d] = LN(x) * gamma + beta, in place (after a Linear with AddToOutput,
// this completes "residual + LayerNorm").
void layernorm_inplace(float* x, int64_t M, int d, const float* gamma, const float* beta, float eps);
// Twins of the pooling ops in reference/ops.h.
void pool_cls(const float* x, const VarlenLayout& layout, int d, float* out);
void pool_mean(const float* x, const VarlenLayout& layout, int d, float* out);
void pool_max(const float* x, const VarlenLayout& layout, int d, float* out);
void l2_normalize_rows(float* x, int64_t rows, int d);
void softmax_rows(float* x, int64_t rows, int n);
// x = x · Φ(x) (exact erf GELU), in place; twin of ref::gelu_inplace. The
// GELU epilogue of cpu::Linear where oneDNN's own is slow (gelu.cpp).
void gelu_inplace(float* x, int64_t n);

}  // namespace bte::cpu

namespace bte::cpu {

// y[i] = x[i] rounded to bf16 (nearest even; NaN stays NaN). The GEMM inputs
// of the bf16 path. Threads over chunks; the loop vectorises.
void to_bf16(const float* x, uint16_t* y, int64_t n);
// Whether this CPU runs bf16 GEMMs natively (AVX512_BF16 or AMX); without
// it oneDNN would emulate them slowly, so bte refuses bf16 instead.
bool has_native_bf16();

}  // namespace bte::cpu
