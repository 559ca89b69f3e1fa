// Row-wise and element-wise kernels (RMSNorm, RoPE, SwiGLU, cross-entropy, embedding, AdamW), each
// in three flavours: AVX-512, AVX2 and scalar. Functions here work on one row or one contiguous
// range and never touch the thread pool; ops.cpp validates arguments, splits the work and
// dispatches on seal::active_isa(). Only ops.cpp includes this header.
#pragma once
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu.h"
#include "napi_util.h"
#include "vecmath.h"

namespace seal {
namespace ops {

// ---------------------------------------------------------------- helpers

SEAL_AVX512 inline __mmask16 tail16(long n) { return static_cast<__mmask16>((1u << n) - 1u); }

SEAL_AVX512 inline __m512 bf16_mask_to_f32(const uint16_t* p, __mmask16 k) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, p)), 16));
}

// sigmoid(g) = 1/(1+exp(-g)): exp(-g) overflows to +inf for g < -88.7, giving exactly 0 (never NaN).
SEAL_AVX512 inline __m512 sigmoid512(__m512 g) {
  __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), g));
  return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}
SEAL_AVX2 inline __m256 sigmoid256(__m256 g) {
  __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), g));
  return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}
inline float sigmoid1(float g) { return 1.0f / (1.0f + std::exp(-g)); }

// ---------------------------------------------------------------- RMSNorm
// Sum of squares of a row.

SEAL_AVX512 inline float sumsq_512(long C, const float* x) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  long j = 0;
  for (; j + 64 <= C; j += 64) {
    __m512 v0 = _mm512_loadu_ps(x + j), v1 = _mm512_loadu_ps(x + j + 16);
    __m512 v2 = _mm512_loadu_ps(x + j + 32), v3 = _mm512_loadu_ps(x + j + 48);
    a0 = _mm512_fmadd_ps(v0, v0, a0);
    a1 = _mm512_fmadd_ps(v1, v1, a1);
    a2 = _mm512_fmadd_ps(v2, v2, a2);
    a3 = _mm512_fmadd_ps(v3, v3, a3);
  }
  for (; j + 16 <= C; j += 16) {
    __m512 v = _mm512_loadu_ps(x + j);
    a0 = _mm512_fmadd_ps(v, v, a0);
  }
  if (j < C) {
    __m512 v = _mm512_maskz_loadu_ps(tail16(C - j), x + j);
    a1 = _mm512_fmadd_ps(v, v, a1);
  }
  return hsum512(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
SEAL_AVX2 inline float sumsq_256(long C, const float* x) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  long j = 0;
  for (; j + 32 <= C; j += 32) {
    __m256 v0 = _mm256_loadu_ps(x + j), v1 = _mm256_loadu_ps(x + j + 8);
    __m256 v2 = _mm256_loadu_ps(x + j + 16), v3 = _mm256_loadu_ps(x + j + 24);
    a0 = _mm256_fmadd_ps(v0, v0, a0);
    a1 = _mm256_fmadd_ps(v1, v1, a1);
    a2 = _mm256_fmadd_ps(v2, v2, a2);
    a3 = _mm256_fmadd_ps(v3, v3, a3);
  }
  for (; j + 8 <= C; j += 8) {
    __m256 v = _mm256_loadu_ps(x + j);
    a0 = _mm256_fmadd_ps(v, v, a0);
  }
  float s = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; j < C; ++j) s += x[j] * x[j];
  return s;
}
inline float sumsq_1(long C, const float* x) {
  float a[4] = {0, 0, 0, 0};
  long j = 0;
  for (; j + 4 <= C; j += 4)
    for (int l = 0; l < 4; ++l) a[l] += x[j + l] * x[j + l];
  for (; j < C; ++j) a[0] += x[j] * x[j];
  return (a[0] + a[1]) + (a[2] + a[3]);
}

// y = (x·r)·w over a row.
SEAL_AVX512 inline void scale_row_512(long C, const float* x, float r, const float* w, float* y) {
  __m512 rv = _mm512_set1_ps(r);
  long j = 0;
  for (; j + 16 <= C; j += 16)
    _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + j), rv), _mm512_loadu_ps(w + j)));
  if (j < C) {
    __mmask16 k = tail16(C - j);
    _mm512_mask_storeu_ps(y + j, k,
                          _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + j), rv), _mm512_maskz_loadu_ps(k, w + j)));
  }
}
SEAL_AVX2 inline void scale_row_256(long C, const float* x, float r, const float* w, float* y) {
  __m256 rv = _mm256_set1_ps(r);
  long j = 0;
  for (; j + 8 <= C; j += 8)
    _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j), rv), _mm256_loadu_ps(w + j)));
  for (; j < C; ++j) y[j] = (x[j] * r) * w[j];
}
inline void scale_row_1(long C, const float* x, float r, const float* w, float* y) {
  for (long j = 0; j < C; ++j) y[j] = (x[j] * r) * w[j];
}

// Backward of one row: dot = Σ dy·w·x; dx = r·w·dy − (r³·dot/C)·x.
SEAL_AVX512 inline void rms_bwd_row_512(long C, const float* x, const float* w, float r, const float* dy, float* dx) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  long j = 0;
  for (; j + 32 <= C; j += 32) {
    a0 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_loadu_ps(dy + j), _mm512_loadu_ps(w + j)), _mm512_loadu_ps(x + j), a0);
    a1 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_loadu_ps(dy + j + 16), _mm512_loadu_ps(w + j + 16)),
                         _mm512_loadu_ps(x + j + 16), a1);
  }
  for (; j < C; j += 16) {
    __mmask16 k = C - j >= 16 ? (__mmask16)0xFFFF : tail16(C - j);
    a0 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + j), _mm512_maskz_loadu_ps(k, w + j)),
                         _mm512_maskz_loadu_ps(k, x + j), a0);
  }
  float dot = hsum512(_mm512_add_ps(a0, a1));
  __m512 kv = _mm512_set1_ps(r * r * r * dot / static_cast<float>(C));
  __m512 rv = _mm512_set1_ps(r);
  for (j = 0; j < C; j += 16) {
    __mmask16 k = C - j >= 16 ? (__mmask16)0xFFFF : tail16(C - j);
    __m512 t = _mm512_mul_ps(_mm512_mul_ps(rv, _mm512_maskz_loadu_ps(k, w + j)), _mm512_maskz_loadu_ps(k, dy + j));
    _mm512_mask_storeu_ps(dx + j, k, _mm512_fnmadd_ps(kv, _mm512_maskz_loadu_ps(k, x + j), t));
  }
}
SEAL_AVX2 inline void rms_bwd_row_256(long C, const float* x, const float* w, float r, const float* dy, float* dx) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  long j = 0;
  for (; j + 16 <= C; j += 16) {
    a0 = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(dy + j), _mm256_loadu_ps(w + j)), _mm256_loadu_ps(x + j), a0);
    a1 = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(dy + j + 8), _mm256_loadu_ps(w + j + 8)),
                         _mm256_loadu_ps(x + j + 8), a1);
  }
  for (; j + 8 <= C; j += 8)
    a0 = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(dy + j), _mm256_loadu_ps(w + j)), _mm256_loadu_ps(x + j), a0);
  float dot = hsum256(_mm256_add_ps(a0, a1));
  for (; j < C; ++j) dot += dy[j] * w[j] * x[j];
  float kf = r * r * r * dot / static_cast<float>(C);
  __m256 kv = _mm256_set1_ps(kf), rv = _mm256_set1_ps(r);
  for (j = 0; j + 8 <= C; j += 8) {
    __m256 t = _mm256_mul_ps(_mm256_mul_ps(rv, _mm256_loadu_ps(w + j)), _mm256_loadu_ps(dy + j));
    _mm256_storeu_ps(dx + j, _mm256_fnmadd_ps(kv, _mm256_loadu_ps(x + j), t));
  }
  for (; j < C; ++j) dx[j] = r * w[j] * dy[j] - kf * x[j];
}
inline void rms_bwd_row_1(long C, const float* x, const float* w, float r, const float* dy, float* dx) {
  float a[4] = {0, 0, 0, 0};
  long j = 0;
  for (; j + 4 <= C; j += 4)
    for (int l = 0; l < 4; ++l) a[l] += dy[j + l] * w[j + l] * x[j + l];
  for (; j < C; ++j) a[0] += dy[j] * w[j] * x[j];
  float dot = (a[0] + a[1]) + (a[2] + a[3]);
  float kf = r * r * r * dot / static_cast<float>(C);
  for (j = 0; j < C; ++j) dx[j] = r * w[j] * dy[j] - kf * x[j];
}

// acc[j] += dy[j]·x[j]·r over a column range of one row (dw accumulation).
SEAL_AVX512 inline void dw_row_512(long n, const float* x, const float* dy, float r, float* acc) {
  __m512 rv = _mm512_set1_ps(r);
  for (long j = 0; j < n; j += 16) {
    __mmask16 k = n - j >= 16 ? (__mmask16)0xFFFF : tail16(n - j);
    __m512 t = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + j), rv);
    _mm512_mask_storeu_ps(acc + j, k, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, dy + j), t, _mm512_maskz_loadu_ps(k, acc + j)));
  }
}
SEAL_AVX2 inline void dw_row_256(long n, const float* x, const float* dy, float r, float* acc) {
  __m256 rv = _mm256_set1_ps(r);
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 t = _mm256_mul_ps(_mm256_loadu_ps(x + j), rv);
    _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(_mm256_loadu_ps(dy + j), t, _mm256_loadu_ps(acc + j)));
  }
  for (; j < n; ++j) acc[j] += dy[j] * (x[j] * r);
}
inline void dw_row_1(long n, const float* x, const float* dy, float r, float* acc) {
  for (long j = 0; j < n; ++j) acc[j] += dy[j] * (x[j] * r);
}

// ---------------------------------------------------------------- RoPE
// One head: x[i], x[i+half] rotated by (c, s) = (cos[i], sign·sin[i]).

SEAL_AVX512 inline void rope_head_512(long half, float* x, const float* cs, const float* sn, bool inverse) {
  __m512 sign = _mm512_set1_ps(inverse ? -1.0f : 1.0f);
  for (long i = 0; i < half; i += 16) {
    __mmask16 k = half - i >= 16 ? (__mmask16)0xFFFF : tail16(half - i);
    __m512 c = _mm512_maskz_loadu_ps(k, cs + i);
    __m512 s = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, sn + i), sign);
    __m512 x1 = _mm512_maskz_loadu_ps(k, x + i), x2 = _mm512_maskz_loadu_ps(k, x + i + half);
    _mm512_mask_storeu_ps(x + i, k, _mm512_sub_ps(_mm512_mul_ps(x1, c), _mm512_mul_ps(x2, s)));
    _mm512_mask_storeu_ps(x + i + half, k, _mm512_add_ps(_mm512_mul_ps(x2, c), _mm512_mul_ps(x1, s)));
  }
}
SEAL_AVX2 inline void rope_head_256(long half, float* x, const float* cs, const float* sn, bool inverse) {
  __m256 sign = _mm256_set1_ps(inverse ? -1.0f : 1.0f);
  long i = 0;
  for (; i + 8 <= half; i += 8) {
    __m256 c = _mm256_loadu_ps(cs + i);
    __m256 s = _mm256_mul_ps(_mm256_loadu_ps(sn + i), sign);
    __m256 x1 = _mm256_loadu_ps(x + i), x2 = _mm256_loadu_ps(x + i + half);
    _mm256_storeu_ps(x + i, _mm256_sub_ps(_mm256_mul_ps(x1, c), _mm256_mul_ps(x2, s)));
    _mm256_storeu_ps(x + i + half, _mm256_add_ps(_mm256_mul_ps(x2, c), _mm256_mul_ps(x1, s)));
  }
  float sg = inverse ? -1.0f : 1.0f;
  for (; i < half; ++i) {
    float c = cs[i], s = sn[i] * sg, x1 = x[i], x2 = x[i + half];
    x[i] = x1 * c - x2 * s;
    x[i + half] = x2 * c + x1 * s;
  }
}
inline void rope_head_1(long half, float* x, const float* cs, const float* sn, bool inverse) {
  float sg = inverse ? -1.0f : 1.0f;
  for (long i = 0; i < half; ++i) {
    float c = cs[i], s = sn[i] * sg, x1 = x[i], x2 = x[i + half];
    x[i] = x1 * c - x2 * s;
    x[i + half] = x2 * c + x1 * s;
  }
}

// ---------------------------------------------------------------- SwiGLU (ranges)

SEAL_AVX512 inline void swiglu_fwd_512(long n, const float* g, const float* u, float* h) {
  for (long i = 0; i < n; i += 16) {
    __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : tail16(n - i);
    __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
    __m512 silu = _mm512_mul_ps(gv, sigmoid512(gv));
    _mm512_mask_storeu_ps(h + i, k, _mm512_mul_ps(silu, _mm512_maskz_loadu_ps(k, u + i)));
  }
}
SEAL_AVX2 inline void swiglu_fwd_256(long n, const float* g, const float* u, float* h) {
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 gv = _mm256_loadu_ps(g + i);
    __m256 silu = _mm256_mul_ps(gv, sigmoid256(gv));
    _mm256_storeu_ps(h + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) h[i] = (g[i] * sigmoid1(g[i])) * u[i];
}
inline void swiglu_fwd_1(long n, const float* g, const float* u, float* h) {
  for (long i = 0; i < n; ++i) h[i] = (g[i] * sigmoid1(g[i])) * u[i];
}

// dg = dh·u·s·(1 + g·(1 − s)), du = dh·g·s, s = sigmoid(g).
SEAL_AVX512 inline void swiglu_bwd_512(long n, const float* g, const float* u, const float* dh, float* dg, float* du) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (long i = 0; i < n; i += 16) {
    __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : tail16(n - i);
    __m512 gv = _mm512_maskz_loadu_ps(k, g + i), uv = _mm512_maskz_loadu_ps(k, u + i);
    __m512 d = _mm512_maskz_loadu_ps(k, dh + i);
    __m512 s = sigmoid512(gv);
    __m512 ds = _mm512_mul_ps(s, _mm512_fmadd_ps(gv, _mm512_sub_ps(one, s), one));
    _mm512_mask_storeu_ps(dg + i, k, _mm512_mul_ps(_mm512_mul_ps(d, uv), ds));
    _mm512_mask_storeu_ps(du + i, k, _mm512_mul_ps(d, _mm512_mul_ps(gv, s)));
  }
}
SEAL_AVX2 inline void swiglu_bwd_256(long n, const float* g, const float* u, const float* dh, float* dg, float* du) {
  const __m256 one = _mm256_set1_ps(1.0f);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 gv = _mm256_loadu_ps(g + i), uv = _mm256_loadu_ps(u + i), d = _mm256_loadu_ps(dh + i);
    __m256 s = sigmoid256(gv);
    __m256 ds = _mm256_mul_ps(s, _mm256_fmadd_ps(gv, _mm256_sub_ps(one, s), one));
    _mm256_storeu_ps(dg + i, _mm256_mul_ps(_mm256_mul_ps(d, uv), ds));
    _mm256_storeu_ps(du + i, _mm256_mul_ps(d, _mm256_mul_ps(gv, s)));
  }
  for (; i < n; ++i) {
    float gi = g[i], s = sigmoid1(gi), d = dh[i];
    float gu = d * u[i];
    dg[i] = gu * (s * (1.0f + gi * (1.0f - s)));
    du[i] = d * (gi * s);
  }
}
inline void swiglu_bwd_1(long n, const float* g, const float* u, const float* dh, float* dg, float* du) {
  for (long i = 0; i < n; ++i) {
    float gi = g[i], s = sigmoid1(gi), d = dh[i];
    float gu = d * u[i];
    dg[i] = gu * (s * (1.0f + gi * (1.0f - s)));
    du[i] = d * (gi * s);
  }
}

// ---------------------------------------------------------------- cross-entropy rows
// log Σ exp(x) over a row.

// One pass over memory: the row is taken in L1-sized blocks; each block's max is found first and,
// when it raises the running max, the running sums are rescaled; then the block's exp-sum is taken
// while it is still in L1.
constexpr long kLseBlock = 2048;

SEAL_AVX512 inline float row_lse_512(long V, const float* x) {
  float mx = -INFINITY;
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (long b = 0; b < V; b += kLseBlock) {
    const long n = V - b < kLseBlock ? V - b : kLseBlock;
    const float* xb = x + b;
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    long j = 0;
    for (; j + 64 <= n; j += 64) {
      m0 = _mm512_max_ps(m0, _mm512_loadu_ps(xb + j));
      m1 = _mm512_max_ps(m1, _mm512_loadu_ps(xb + j + 16));
      m2 = _mm512_max_ps(m2, _mm512_loadu_ps(xb + j + 32));
      m3 = _mm512_max_ps(m3, _mm512_loadu_ps(xb + j + 48));
    }
    for (; j < n; j += 16) {
      __mmask16 k = n - j >= 16 ? (__mmask16)0xFFFF : tail16(n - j);
      m0 = _mm512_mask_max_ps(m0, k, m0, _mm512_maskz_loadu_ps(k, xb + j));
    }
    float bm = hmax512(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
    if (bm > mx) {
      if (mx > -INFINITY) {
        __m512 f = _mm512_set1_ps(std::exp(mx - bm));
        s0 = _mm512_mul_ps(s0, f);
        s1 = _mm512_mul_ps(s1, f);
        s2 = _mm512_mul_ps(s2, f);
        s3 = _mm512_mul_ps(s3, f);
      }
      mx = bm;
    }
    if (!(mx > -INFINITY)) continue;  // nothing but −inf so far: no mass yet
    if (mx == INFINITY) return mx;
    __m512 mv = _mm512_set1_ps(mx);
    // While the exp-sum (compute-bound) runs on this block from L1, pull the next block in, so
    // memory and arithmetic overlap (the max scan above would otherwise wait on DRAM alone).
    const float* next = xb + n;
    const long next_n = V - b - n < kLseBlock ? V - b - n : kLseBlock;
    for (j = 0; j + 64 <= n; j += 64) {
      if (j < next_n) {
        _mm_prefetch(reinterpret_cast<const char*>(next + j), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(next + j + 16), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(next + j + 32), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(next + j + 48), _MM_HINT_T0);
      }
      s0 = _mm512_add_ps(s0, exp512(_mm512_sub_ps(_mm512_loadu_ps(xb + j), mv)));
      s1 = _mm512_add_ps(s1, exp512(_mm512_sub_ps(_mm512_loadu_ps(xb + j + 16), mv)));
      s2 = _mm512_add_ps(s2, exp512(_mm512_sub_ps(_mm512_loadu_ps(xb + j + 32), mv)));
      s3 = _mm512_add_ps(s3, exp512(_mm512_sub_ps(_mm512_loadu_ps(xb + j + 48), mv)));
    }
    for (; j < n; j += 16) {
      __mmask16 k = n - j >= 16 ? (__mmask16)0xFFFF : tail16(n - j);
      __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, xb + j), mv));
      s0 = _mm512_add_ps(s0, _mm512_maskz_mov_ps(k, e));
    }
  }
  if (!(mx > -INFINITY)) return mx;  // all −inf (or NaN): the row has no mass
  float sum = hsum512(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  return mx + std::log(sum);
}
SEAL_AVX2 inline float row_lse_256(long V, const float* x) {
  float mx = -INFINITY;
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  float tail = 0.0f;  // scalar remainder of the last block, already scaled to mx
  for (long b = 0; b < V; b += kLseBlock) {
    const long n = V - b < kLseBlock ? V - b : kLseBlock;
    const float* xb = x + b;
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    long j = 0;
    for (; j + 32 <= n; j += 32) {
      m0 = _mm256_max_ps(m0, _mm256_loadu_ps(xb + j));
      m1 = _mm256_max_ps(m1, _mm256_loadu_ps(xb + j + 8));
      m2 = _mm256_max_ps(m2, _mm256_loadu_ps(xb + j + 16));
      m3 = _mm256_max_ps(m3, _mm256_loadu_ps(xb + j + 24));
    }
    for (; j + 8 <= n; j += 8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(xb + j));
    float bm = hmax256(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    for (long t = j; t < n; ++t) bm = xb[t] > bm ? xb[t] : bm;
    if (bm > mx) {
      if (mx > -INFINITY) {
        float fs = std::exp(mx - bm);
        __m256 f = _mm256_set1_ps(fs);
        s0 = _mm256_mul_ps(s0, f);
        s1 = _mm256_mul_ps(s1, f);
        s2 = _mm256_mul_ps(s2, f);
        s3 = _mm256_mul_ps(s3, f);
        tail *= fs;
      }
      mx = bm;
    }
    if (!(mx > -INFINITY)) continue;
    if (mx == INFINITY) return mx;
    __m256 mv = _mm256_set1_ps(mx);
    const float* next = xb + n;
    const long next_n = V - b - n < kLseBlock ? V - b - n : kLseBlock;
    for (j = 0; j + 32 <= n; j += 32) {
      if (j < next_n) {
        _mm_prefetch(reinterpret_cast<const char*>(next + j), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(next + j + 16), _MM_HINT_T0);
      }
      s0 = _mm256_add_ps(s0, exp256(_mm256_sub_ps(_mm256_loadu_ps(xb + j), mv)));
      s1 = _mm256_add_ps(s1, exp256(_mm256_sub_ps(_mm256_loadu_ps(xb + j + 8), mv)));
      s2 = _mm256_add_ps(s2, exp256(_mm256_sub_ps(_mm256_loadu_ps(xb + j + 16), mv)));
      s3 = _mm256_add_ps(s3, exp256(_mm256_sub_ps(_mm256_loadu_ps(xb + j + 24), mv)));
    }
    for (; j + 8 <= n; j += 8) s0 = _mm256_add_ps(s0, exp256(_mm256_sub_ps(_mm256_loadu_ps(xb + j), mv)));
    for (; j < n; ++j) tail += std::exp(xb[j] - mx);
  }
  if (!(mx > -INFINITY)) return mx;
  float sum = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))) + tail;
  return mx + std::log(sum);
}
inline float row_lse_1(long V, const float* x) {
  float mx = -INFINITY;
  for (long j = 0; j < V; ++j) mx = x[j] > mx ? x[j] : mx;
  if (!(mx > -INFINITY) || mx == INFINITY) return mx;
  float a[4] = {0, 0, 0, 0};
  long j = 0;
  for (; j + 4 <= V; j += 4)
    for (int l = 0; l < 4; ++l) a[l] += std::exp(x[j + l] - mx);
  for (; j < V; ++j) a[0] += std::exp(x[j] - mx);
  return mx + std::log((a[0] + a[1]) + (a[2] + a[3]));
}

// out[j] = d·exp(x[j] − lse); out may be x.
SEAL_AVX512 inline void ce_grad_row_512(long V, const float* x, float lse, float d, float* out) {
  __m512 lv = _mm512_set1_ps(lse), dv = _mm512_set1_ps(d);
  long j = 0;
  for (; j + 32 <= V; j += 32) {
    __m512 e0 = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), lv));
    __m512 e1 = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), lv));
    _mm512_storeu_ps(out + j, _mm512_mul_ps(dv, e0));
    _mm512_storeu_ps(out + j + 16, _mm512_mul_ps(dv, e1));
  }
  for (; j < V; j += 16) {
    __mmask16 k = V - j >= 16 ? (__mmask16)0xFFFF : tail16(V - j);
    __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), lv));
    _mm512_mask_storeu_ps(out + j, k, _mm512_mul_ps(dv, e));
  }
}
SEAL_AVX2 inline void ce_grad_row_256(long V, const float* x, float lse, float d, float* out) {
  __m256 lv = _mm256_set1_ps(lse), dv = _mm256_set1_ps(d);
  long j = 0;
  for (; j + 16 <= V; j += 16) {
    __m256 e0 = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), lv));
    __m256 e1 = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), lv));
    _mm256_storeu_ps(out + j, _mm256_mul_ps(dv, e0));
    _mm256_storeu_ps(out + j + 8, _mm256_mul_ps(dv, e1));
  }
  for (; j + 8 <= V; j += 8)
    _mm256_storeu_ps(out + j, _mm256_mul_ps(dv, exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), lv))));
  for (; j < V; ++j) out[j] = d * std::exp(x[j] - lse);
}
inline void ce_grad_row_1(long V, const float* x, float lse, float d, float* out) {
  for (long j = 0; j < V; ++j) out[j] = d * std::exp(x[j] - lse);
}

// ---------------------------------------------------------------- embedding (ranges)

SEAL_AVX512 inline void widen_512(long n, const uint16_t* src, float* dst) {
  long j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(dst + j, bf16x16_to_f32(src + j));
  if (j < n) {
    __mmask16 k = tail16(n - j);
    _mm512_mask_storeu_ps(dst + j, k, bf16_mask_to_f32(src + j, k));
  }
}
SEAL_AVX2 inline void widen_256(long n, const uint16_t* src, float* dst) {
  long j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(dst + j, bf16x8_to_f32(src + j));
  for (; j < n; ++j) dst[j] = bf16_to_f32(src[j]);
}

// out = a + b (out may alias a or b).
SEAL_AVX512 inline void add_512(long n, const float* a, const float* b, float* out) {
  for (long j = 0; j < n; j += 16) {
    __mmask16 k = n - j >= 16 ? (__mmask16)0xFFFF : tail16(n - j);
    _mm512_mask_storeu_ps(out + j, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, a + j), _mm512_maskz_loadu_ps(k, b + j)));
  }
}
SEAL_AVX2 inline void add_256(long n, const float* a, const float* b, float* out) {
  long j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, _mm256_add_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j)));
  for (; j < n; ++j) out[j] = a[j] + b[j];
}
inline void add_1(long n, const float* a, const float* b, float* out) {
  for (long j = 0; j < n; ++j) out[j] = a[j] + b[j];
}

// out = x · s (out may alias x).
SEAL_AVX512 inline void scale_512(long n, const float* x, float s, float* out) {
  const __m512 vs = _mm512_set1_ps(s);
  for (long j = 0; j < n; j += 16) {
    __mmask16 k = n - j >= 16 ? (__mmask16)0xFFFF : tail16(n - j);
    _mm512_mask_storeu_ps(out + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + j), vs));
  }
}
SEAL_AVX2 inline void scale_256(long n, const float* x, float s, float* out) {
  const __m256 vs = _mm256_set1_ps(s);
  long j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), vs));
  for (; j < n; ++j) out[j] = x[j] * s;
}
inline void scale_1(long n, const float* x, float s, float* out) {
  for (long j = 0; j < n; ++j) out[j] = x[j] * s;
}

// ---------------------------------------------------------------- AdamW (ranges)
// Scalars arrive already rounded to fp32; the element-wise sequence mirrors torch's ops one by one
// (as the TypeScript twin). The compiler may fuse a multiply and an add on the SIMD paths, which
// moves a result by an ulp or so, as torch's own vectorised add_ does.

struct AdamScalars {
  float decay, b1, omb1, b2, omb2, step_size, bc2_sqrt, eps;
};

SEAL_AVX512 inline void adamw_512(long n, float* p, const float* g, float* m, float* v, const AdamScalars& s) {
  const __m512 decay = _mm512_set1_ps(s.decay), b1 = _mm512_set1_ps(s.b1), omb1 = _mm512_set1_ps(s.omb1);
  const __m512 b2 = _mm512_set1_ps(s.b2), omb2 = _mm512_set1_ps(s.omb2), ss = _mm512_set1_ps(s.step_size);
  const __m512 bc2 = _mm512_set1_ps(s.bc2_sqrt), eps = _mm512_set1_ps(s.eps);
  for (long i = 0; i < n; i += 16) {
    __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : tail16(n - i);
    __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
    __m512 pv = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), decay);
    __m512 mv = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, m + i), b1), _mm512_mul_ps(gv, omb1));
    __m512 vv = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, v + i), b2), _mm512_mul_ps(_mm512_mul_ps(gv, omb2), gv));
    __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vv), bc2), eps);
    // Masked-off lanes compute 0/eps: harmless, never stored.
    pv = _mm512_sub_ps(pv, _mm512_div_ps(_mm512_mul_ps(ss, mv), den));
    _mm512_mask_storeu_ps(m + i, k, mv);
    _mm512_mask_storeu_ps(v + i, k, vv);
    _mm512_mask_storeu_ps(p + i, k, pv);
  }
}
inline void adamw_1(long n, float* p, const float* g, float* m, float* v, const AdamScalars& s) {
  for (long i = 0; i < n; ++i) {
    float gi = g[i];
    float pv = p[i] * s.decay;
    float mv = m[i] * s.b1 + gi * s.omb1;
    float vv = v[i] * s.b2 + (gi * s.omb2) * gi;
    float den = std::sqrt(vv) / s.bc2_sqrt + s.eps;
    m[i] = mv;
    v[i] = vv;
    p[i] = pv - (s.step_size * mv) / den;
  }
}

SEAL_AVX2 inline void adamw_256(long n, float* p, const float* g, float* m, float* v, const AdamScalars& s) {
  const __m256 decay = _mm256_set1_ps(s.decay), b1 = _mm256_set1_ps(s.b1), omb1 = _mm256_set1_ps(s.omb1);
  const __m256 b2 = _mm256_set1_ps(s.b2), omb2 = _mm256_set1_ps(s.omb2), ss = _mm256_set1_ps(s.step_size);
  const __m256 bc2 = _mm256_set1_ps(s.bc2_sqrt), eps = _mm256_set1_ps(s.eps);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 gv = _mm256_loadu_ps(g + i);
    __m256 pv = _mm256_mul_ps(_mm256_loadu_ps(p + i), decay);
    __m256 mv = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1), _mm256_mul_ps(gv, omb1));
    __m256 vv = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2), _mm256_mul_ps(_mm256_mul_ps(gv, omb2), gv));
    __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), bc2), eps);
    pv = _mm256_sub_ps(pv, _mm256_div_ps(_mm256_mul_ps(ss, mv), den));
    _mm256_storeu_ps(m + i, mv);
    _mm256_storeu_ps(v + i, vv);
    _mm256_storeu_ps(p + i, pv);
  }
  adamw_1(n - i, p + i, g + i, m + i, v + i, s);
}

}  // namespace ops
}  // namespace seal
