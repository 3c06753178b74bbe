// Internal to kernels/cpu: one LayerNorm row, in three variants (scalar,
// AVX2, AVX-512) that ops.cpp picks from at run time.
//
//   out[0..d) = LN(a + b + c) * gamma + beta     (b, c may be null)
//
// a may equal out (in-place LayerNorm). When b or c is given the sum is
// first written to out, so out must not alias b or c. Statistics: two
// passes in fp32 (mean m, then squared deviations with the rounding error of
// m folded back in: var = (Σ(x-m)² - (Σ(x-m))²/d) / d, and the output uses
// (x - m) - Σ(x-m)/d). Measured ≤ 1e-6 from the double reference up to
// d = 4096, also when |mean| = 1000 · std.
#pragma once

namespace bte::cpu::detail {

using LayerNormRowFn = void (*)(const float* a, const float* b, const float* c, const float* gamma,
                                const float* beta, int d, float eps, float* out);

void layernorm_row_scalar(const float* a, const float* b, const float* c, const float* gamma,
                          const float* beta, int d, float eps, float* out);
void layernorm_row_avx2(const float* a, const float* b, const float* c, const float* gamma,
                        const float* beta, int d, float eps, float* out);
void layernorm_row_avx512(const float* a, const float* b, const float* c, const float* gamma,
                          const float* beta, int d, float eps, float* out);

}  // namespace bte::cpu::detail
