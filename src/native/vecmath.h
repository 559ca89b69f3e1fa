// Vectorised exp and reductions shared by the kernels. exp is Cody–Waite range reduction with a
// degree-6 polynomial: relative error ~2e-7 over the whole fp32 range; exp(x) = 0 for x < -87.3
// (so a -inf score contributes exactly nothing), +inf for x > 88.7.
#pragma once
#include <immintrin.h>

#include <cmath>

#include "cpu.h"

namespace seal {

namespace expc {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kMin = -87.3f;
constexpr float kMax = 88.7f;
constexpr float c2 = 0.5f, c3 = 1.6666667e-1f, c4 = 4.1666668e-2f, c5 = 8.3333338e-3f, c6 = 1.3888889e-3f;
}  // namespace expc

inline float exp_scalar(float x) { return std::exp(x); }

SEAL_AVX512 inline __m512 exp512(__m512 x) {
  using namespace expc;
  __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kMin), _CMP_LT_OQ);
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kMin)), _mm512_set1_ps(kMax));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(kLog2e)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), xc);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(c6);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c5));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  __m512 y = _mm512_scalef_ps(p, n);
  y = _mm512_mask_blend_ps(tiny, y, _mm512_setzero_ps());
  // x > kMax (and +inf) → +inf; NaN stays NaN.
  __mmask16 huge = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kMax), _CMP_GT_OQ);
  y = _mm512_mask_blend_ps(huge, y, _mm512_set1_ps(INFINITY));
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(nan, y, x);
}

SEAL_AVX2 inline __m256 exp256(__m256 x) {
  using namespace expc;
  __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(kMin), _CMP_LT_OQ);
  __m256 huge = _mm256_cmp_ps(x, _mm256_set1_ps(kMax), _CMP_GT_OQ);
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kMin)), _mm256_set1_ps(kMax));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(c6);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c5));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  // 2^n for n in [-126, 128]: split in two factors so n = 128 (x near kMax) does not overflow.
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i half = _mm256_srai_epi32(ni, 1);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
  __m256 s2 = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(), tiny);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), huge);
  return _mm256_blendv_ps(y, x, nan);
}

SEAL_AVX512 inline float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }
SEAL_AVX512 inline float hmax512(__m512 v) { return _mm512_reduce_max_ps(v); }

SEAL_AVX2 inline float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
SEAL_AVX2 inline float hmax256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_max_ps(lo, hi);
  lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_max_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// bf16 → fp32: widen and shift left 16 (exact), on any AVX2 CPU.
SEAL_AVX512 inline __m512 bf16x16_to_f32(const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16));
}
SEAL_AVX2 inline __m256 bf16x8_to_f32(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)), 16));
}

}  // namespace seal
