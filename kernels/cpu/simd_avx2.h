// SIMD traits for AVX2 + FMA: 8 floats a register. Shared by the AVX2
// variants of our kernels (attention tiles, skinny GEMM). Include it only
// after switching the target ISA on (GCC target pragma / clang attribute);
// everything here has internal linkage, so each variant file gets its own.
#pragma once
// (<immintrin.h> is included by the variant file before its target pragma:
// clang would otherwise apply the pushed target attribute to the intrinsics.)

namespace bte::cpu::detail {
namespace {

struct Avx2 {
  using R = __m256;
  static constexpr int W = 8;
  static constexpr int kMaxNV = 2;
  // accumulators + B registers + one broadcast <= 16
  static constexpr int mr_for(int nv) { return nv >= 2 ? 6 : 12; }
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R x) { _mm256_storeu_ps(p, x); }
  static R bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R div(R a, R b) { return _mm256_div_ps(a, b); }
  static R abs(R a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
  // The horizontal sums of a, b, c, d into out[0..3].
  static void hsum4(R a, R b, R c, R d, float* out) {
    const R t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
  }
  // |mag| with the sign of sgn
  static R copysign(R mag, R sgn) {
    const R sign_bit = _mm256_set1_ps(-0.f);
    return _mm256_or_ps(_mm256_andnot_ps(sign_bit, mag), _mm256_and_ps(sign_bit, sgn));
  }
  // Same method as the AVX-512 traits (simd_avx512.h).
  static R exp_softmax(R x) {
    const R lo = _mm256_set1_ps(-87.33654f);
    const R keep = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
    x = _mm256_max_ps(x, lo);
    const R n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    R r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    R p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
    const __m256i e = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(keep, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
  }
};

}  // namespace
}  // namespace bte::cpu::detail
