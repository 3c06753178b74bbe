// SIMD traits for AVX-512 (F, BW, VL, DQ) + FMA: 16 floats a register.
// Shared by the AVX-512 variants of our kernels. Include it only after
// switching the target ISA on; everything here has internal linkage.
#pragma once
// (<immintrin.h> is included by the variant file before its target pragma:
// clang would otherwise apply the pushed target attribute to the intrinsics.)

namespace bte::cpu::detail {
namespace {

struct Avx512 {
  using R = __m512;
  static constexpr int W = 16;
  static constexpr int kMaxNV = 4;
  // accumulators + B registers + one broadcast <= 32
  static constexpr int mr_for(int nv) { return nv >= 4 ? 6 : nv == 3 ? 8 : nv == 2 ? 12 : 16; }
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R x) { _mm512_storeu_ps(p, x); }
  static R bcast(const float* p) { return _mm512_set1_ps(*p); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }
  static R abs(R a) { return _mm512_abs_ps(a); }
  // The horizontal sums of a, b, c, d into out[0..3].
  static __m256 fold(R v) { return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)); }
  static void hsum4(R a, R b, R c, R d, float* out) {
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(fold(a), fold(b)), _mm256_hadd_ps(fold(c), fold(d)));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
  }
  // |mag| with the sign of sgn
  static R copysign(R mag, R sgn) {
    const __m512i sign_bit = _mm512_set1_epi32(int(0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_andnot_si512(sign_bit, _mm512_castps_si512(mag)),
        _mm512_and_si512(sign_bit, _mm512_castps_si512(sgn))));
  }
  // exp(x) = 2^n · e^r, n = round(x / ln 2), r = x - n ln 2 (ln 2 in two
  // parts), e^r by Cephes' degree-6 polynomial: ~1 ulp on [-87.3, 0.1].
  static R exp_softmax(R x) {
    const R lo = _mm512_set1_ps(-87.33654f);
    const __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_GE_OQ);
    x = _mm512_max_ps(x, lo);
    const R n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    R r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    R p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
    const __m512i e = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps(keep, p, _mm512_castsi512_ps(e));
  }
};

}  // namespace
}  // namespace bte::cpu::detail
