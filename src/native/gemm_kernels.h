// SGEMM / SGEMV kernels (no Node-API here: bench harnesses include this header directly).
//
//   sgemm: C[m×n] = alpha·op(A)·op(B) + beta·C, row-major, B fp32 or bf16 (widened exactly while
//          packing), fp32 accumulation.
//   sgemv: y[rows] = W[rows×cols]·x + beta·y (W fp32 or bf16).
//
// Design (BLIS-style, see gemm.cpp for the entry points):
//   * Packed path, n >= m (every training shape: forward, dx and dW): all of op(A) is packed once
//     into micro-panels of at most MR rows and balanced heights (RowPanels), in a shared buffer,
//     packed inside the same pool job by whichever thread claims a chunk; each unit of work is
//     one NR-wide column panel of C: for every KC slice of k the B micro-panel is packed (bf16
//     widened) right before it multiplies every A panel, so it is still in L1/L2, and the C strip
//     stays in L2 across k slices. B is read from memory once.
//     Threads own equal column ranges (multiples of 16) and steal panels from the back of other
//     ranges when done, so a core slowed by another process does not hold the call up.
//   * Packed path, m > n: per NC column block and KC slice, B is packed once into a shared buffer,
//     then the threads split the rows, each packing its own MC×KC block of A.
//       AVX-512: MR×NR = 8×48 (24 zmm accumulators), KC ≤ 384, MC ≤ 256 (A block ≈ L2/2), NC ≤ 6144
//       AVX2:    6×16 (12 ymm accumulators), KC ≤ 256, MC ≤ 144 (Zen 1/2: 512 KB L2)
//       scalar:  4×16 plain C++
//     Edge tiles use microkernels specialised for the exact row count and vector count (masked
//     last vector), so there is no copy-out tile. Packing buffers are grow-only and reused.
//   * Skinny C, n ≤ 64 and m ≥ 32 (LoRA's products against the rank): op(B) packed whole, units of
//     MR-row panels over all of k; AVX2 reads A in place (packing it would cost as much as the math).
//   * k split, k ≥ 16·max(m, n) (the LM head's backward): runs of k slices sum into fixed partials.
//     No path, split or sum order depends on the thread count or on the schedule, so results are
//     the same bits on any number of threads.
//   * An fp32 B that is not transposed is read in place, unpacked, in full NR-wide panels: always in
//     the k split, and on AVX-512 in the column split too (see direct_b).
//   * Small m (decode, batched decode: m ≤ kSmallM = 8): no packing. B is streamed once from memory,
//     parallel over n: transB → dot products along k of M rows of A (copied to 64-byte boundaries
//     when M > 1 and they are not there) against R rows of B at a time;
//     !transB → rank-8 updates of a C strip held in L1.
//   * sgemv (m = 1): one row at a time (a single sequential stream), aligned loads after a masked
//     head. bf16: one 64-byte load = 32 weights, split exactly into even (v << 16) and odd
//     (v & 0xFFFF0000) fp32 values against a de-interleaved copy of x, plus software prefetch
//     (AVX2: four rows at a time, 32-byte loads, the same even/odd split).
// bf16 is always widened exactly (16-bit shift); AVX512_BF16 dot products are never used because
// they would round x to bf16.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "cpu.h"
#include "threadpool.h"

// GCC 12's AVX-512 intrinsics use a self-initialised "undefined" vector, which -Wall reports as
// maybe-uninitialized at every inlined use; it is not a real read of uninitialised data.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace seal {
namespace gemm {

// -------------------------------------------------------------------------------------------------
// Grow-only 64-byte aligned buffers. Per thread (thread_local: the pool's workers are persistent)
// for packed A; one shared buffer for packed B and other read-only-while-parallel scratch (the
// kernels are entered from one JS thread at a time, like the pool itself).
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t floats) {
    if (floats > cap) {
      std::free(p);
      size_t bytes = ((floats * sizeof(float) + 4095) / 4096) * 4096;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) {
        cap = 0;
        throw std::bad_alloc();
      }
      cap = bytes / sizeof(float);
    }
    return p;
  }
  ~Scratch() { std::free(p); }
};

inline Scratch& thread_scratch(int which = 0) {
  thread_local Scratch s[2];
  return s[which];
}
inline Scratch& shared_scratch(int which) {
  static Scratch s[3];
  return s[which];
}

// The B operand as the kernels see it: element (p, j) of op(B) (k×n) is at
//   transB ? data[j·ld + p] : data[p·ld + j], fp32 or bf16 bits.
struct BView {
  const void* data;
  bool bf16;
  bool trans;
  long ld;
  float at(long p, long j) const {
    long i = trans ? j * ld + p : p * ld + j;
    if (!bf16) return static_cast<const float*>(data)[i];
    uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(data)[i]) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
};
// op(A) (m×k): element (i, p) at transA ? data[p·ld + i] : data[i·ld + p].
struct AView {
  const float* data;
  bool trans;
  long ld;
  float at(long i, long p) const { return trans ? data[p * ld + i] : data[i * ld + p]; }
};

// =================================================================================================
// Generic (scalar) packing, used by the scalar path and for odd edges.
template <int MR>
inline void pack_a_generic(const AView& A, long i0, long rows, long p0, long kc, float* dst) {
  for (long p = 0; p < kc; p++)
    for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? A.at(i0 + r, p0 + p) : 0.0f;
}
template <int NR>
inline void pack_b_generic(const BView& B, long p0, long kc, long j0, long cols, float* dst) {
  for (long p = 0; p < kc; p++)
    for (int c = 0; c < NR; c++) dst[p * NR + c] = c < cols ? B.at(p0 + p, j0 + c) : 0.0f;
}

// =================================================================================================
// AVX-512: 8×48 microkernel.
// Software prefetch in the small-m transB kernels, which read R rows of W at once: R short
// streams that restart every R rows, too short for the hardware prefetcher to train on. Default
// (-1): each row's line one group (R rows) ahead, i.e. the line the same row slot reads next
// group; > 0: that many bytes ahead within the row; 0: none. SEAL_SMALLM_PF overrides.
static const long kSmallmPrefetch = [] { const char* v = std::getenv("SEAL_SMALLM_PF"); return v ? std::atol(v) : -1L; }();

// Software prefetch in the transposing pack of B (transB: the forward x·Wᵀ): it reads 16 (8) rows at
// once, a short piece of each per step, too many short streams for the hardware prefetcher, so each
// row's line kPackPf·4 bytes ahead is requested explicitly (once per line). 48 (three lines): on
// Zen 5 the fp32 pack alone went 0.97 → 0.80 ms for 50 × 4864 × 896; whole calls at m = 50 are
// 4-8% faster with fp32 and bf16 weights on AVX-512, 5-16% on AVX2, 1-5% at m = 256. 0 turns it
// off; SEAL_GEMM_PACK_PF overrides.
static const long kPackPf = [] { const char* v = std::getenv("SEAL_GEMM_PACK_PF"); return v ? std::atol(v) : 48L; }();
namespace k512 {
constexpr int MR = 8, NR = 48;

SEAL_AVX512 inline __m512 load_b16(const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16));
}
SEAL_AVX512 inline __m512 maskload_b16(const uint16_t* p, __mmask16 m) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}
SEAL_AVX512 inline __mmask16 tail_mask(long n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

// C[R×(16·NV)] = alpha·Apanel·Bpanel + beta·C (beta == 0: C is not read). The last vector of each
// row is stored under `last` (full tiles pass 0xFFFF). Row p of the B panel is at B + p·ldb: ldb = NR
// for a packed panel, or B's own row stride when an fp32 B is read where it lies.
template <int R, int NV>
SEAL_AVX512 __attribute__((noinline)) void ukernel(long kc, const float* __restrict A, const float* __restrict B,
                                                  float* C, long ldc, float alpha, float beta, __mmask16 last, long ldb) {
  __m512 acc[R][NV];
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) {
#pragma GCC unroll 3
    for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();
    _mm_prefetch((const char*)(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char*)(C + i * ldc + 16 * NV - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 2
  for (long p = 0; p < kc; p++) {
    __m512 b[NV];
#pragma GCC unroll 3
    for (int j = 0; j < NV; j++) b[j] = _mm512_loadu_ps(B + p * ldb + 16 * j);
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) {
      __m512 a = _mm512_set1_ps(A[p * MR + i]);
#pragma GCC unroll 3
      for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) {
    float* c = C + i * ldc;
#pragma GCC unroll 3
    for (int j = 0; j < NV; j++) {
      __mmask16 mk = j == NV - 1 ? last : (__mmask16)0xFFFF;
      __m512 v = _mm512_mul_ps(va, acc[i][j]);
      if (beta == 1.0f) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, c + 16 * j));
      else if (beta != 0.0f) v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mk, c + 16 * j), v);
      _mm512_mask_storeu_ps(c + 16 * j, mk, v);
    }
  }
}

using Ukernel = void (*)(long, const float*, const float*, float*, long, float, float, __mmask16, long);
inline Ukernel kernel_for(int rows, int nv) {
  static const Ukernel tab[MR][3] = {
      {ukernel<1, 1>, ukernel<1, 2>, ukernel<1, 3>}, {ukernel<2, 1>, ukernel<2, 2>, ukernel<2, 3>},
      {ukernel<3, 1>, ukernel<3, 2>, ukernel<3, 3>}, {ukernel<4, 1>, ukernel<4, 2>, ukernel<4, 3>},
      {ukernel<5, 1>, ukernel<5, 2>, ukernel<5, 3>}, {ukernel<6, 1>, ukernel<6, 2>, ukernel<6, 3>},
      {ukernel<7, 1>, ukernel<7, 2>, ukernel<7, 3>}, {ukernel<8, 1>, ukernel<8, 2>, ukernel<8, 3>}};
  return tab[rows - 1][nv - 1];
}

// In-register 16×16 transpose: r[i] (row i) → r[j] (column j).
SEAL_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  __m512 u[16];
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    __m512d a = _mm512_castps_pd(t[4 * j]), b = _mm512_castps_pd(t[4 * j + 2]);
    __m512d c = _mm512_castps_pd(t[4 * j + 1]), d = _mm512_castps_pd(t[4 * j + 3]);
    u[4 * j + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    u[4 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    u[4 * j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    u[4 * j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  // u[4j + c] lane L = column 4L + c of rows 4j..4j+3.
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), w0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    __m512 v1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    r[c] = _mm512_shuffle_f32x4(v0, v1, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(v0, v1, 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(w0, w1, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(w0, w1, 0xDD);
  }
}

// 8×8 transpose of ymm rows.
SEAL_AVX512 inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 2
  for (int h = 0; h < 2; h++) {
    u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

// A micro-panel: rows i0..i0+rows (rows ≤ 8) × k-slice p0..p0+kc → dst[p·8 + r], zero-padded.
SEAL_AVX512 inline void pack_a(const AView& A, long i0, long rows, long p0, long kc, float* dst) {
  if (A.trans) {
    const float* src = A.data + p0 * A.ld + i0;
    __mmask8 m = rows >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << rows) - 1);
    for (long p = 0; p < kc; p++) _mm256_store_ps(dst + p * 8, _mm256_maskz_loadu_ps(m, src + p * A.ld));
    return;
  }
  // 8 k-steps at a time through an 8×8 transpose; rows past `rows` are zeros.
  const float* src = A.data + i0 * A.ld + p0;
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(src + i * A.ld + p) : _mm256_setzero_ps();
    transpose8(r);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) _mm256_store_ps(dst + (p + i) * 8, r[i]);
  }
  for (; p < kc; p++)
    for (int i = 0; i < 8; i++) dst[p * 8 + i] = i < rows ? src[i * A.ld + p] : 0.0f;
}

// B micro-panel: k-slice p0..p0+kc × columns j0..j0+cols (cols ≤ 48) → dst[p·48 + c], zero-padded.
SEAL_AVX512 inline void pack_b(const BView& B, long p0, long kc, long j0, long cols, float* dst) {
  if (!B.trans) {
    __mmask16 m[3];
    for (int v = 0; v < 3; v++) m[v] = cols > 16 * v ? tail_mask(cols - 16 * v) : 0;
    if (!B.bf16) {
      const float* src = static_cast<const float*>(B.data) + p0 * B.ld + j0;
      if (cols == NR) {
        for (long p = 0; p < kc; p++) {
          const float* s = src + p * B.ld;
          _mm512_store_ps(dst + p * NR, _mm512_loadu_ps(s));
          _mm512_store_ps(dst + p * NR + 16, _mm512_loadu_ps(s + 16));
          _mm512_store_ps(dst + p * NR + 32, _mm512_loadu_ps(s + 32));
        }
      } else {
        for (long p = 0; p < kc; p++)
          for (int v = 0; v < 3; v++)
            _mm512_store_ps(dst + p * NR + 16 * v, _mm512_maskz_loadu_ps(m[v], src + p * B.ld + 16 * v));
      }
    } else {
      const uint16_t* src = static_cast<const uint16_t*>(B.data) + p0 * B.ld + j0;
      if (cols == NR) {
        for (long p = 0; p < kc; p++) {
          const uint16_t* s = src + p * B.ld;
          _mm512_store_ps(dst + p * NR, load_b16(s));
          _mm512_store_ps(dst + p * NR + 16, load_b16(s + 16));
          _mm512_store_ps(dst + p * NR + 32, load_b16(s + 32));
        }
      } else {
        for (long p = 0; p < kc; p++)
          for (int v = 0; v < 3; v++)
            _mm512_store_ps(dst + p * NR + 16 * v, maskload_b16(src + p * B.ld + 16 * v, m[v]));
      }
    }
    return;
  }
  // transB: column c of the panel is row j0 + c of the stored B; transpose 16×16 blocks.
  for (int g = 0; g < 3; g++) {
    long rows = std::min<long>(16, cols - 16 * g);
    if (rows <= 0) {
      for (long p = 0; p < kc; p++) _mm512_store_ps(dst + p * NR + 16 * g, _mm512_setzero_ps());
      continue;
    }
    for (long p = 0; p < kc; p += 16) {
      long np = std::min<long>(16, kc - p);
      __mmask16 pm = tail_mask(np);
      __m512 r[16];
      if (!B.bf16) {
        const float* src = static_cast<const float*>(B.data) + (j0 + 16 * g) * B.ld + p0 + p;
        if (kPackPf > 0)
          for (int i = 0; i < rows; i++) _mm_prefetch((const char*)(src + i * B.ld + kPackPf), _MM_HINT_T0);
        if (np == 16) {
#pragma GCC unroll 16
          for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_loadu_ps(src + i * B.ld) : _mm512_setzero_ps();
        } else {
#pragma GCC unroll 16
          for (int i = 0; i < 16; i++)
            r[i] = i < rows ? _mm512_maskz_loadu_ps(pm, src + i * B.ld) : _mm512_setzero_ps();
        }
      } else {
        const uint16_t* src = static_cast<const uint16_t*>(B.data) + (j0 + 16 * g) * B.ld + p0 + p;
        if (kPackPf > 0 && (p & 31) == 0)
          for (int i = 0; i < rows; i++) _mm_prefetch((const char*)(src + i * B.ld + kPackPf * 2), _MM_HINT_T0);
        if (np == 16) {
#pragma GCC unroll 16
          for (int i = 0; i < 16; i++) r[i] = i < rows ? load_b16(src + i * B.ld) : _mm512_setzero_ps();
        } else {
#pragma GCC unroll 16
          for (int i = 0; i < 16; i++) r[i] = i < rows ? maskload_b16(src + i * B.ld, pm) : _mm512_setzero_ps();
        }
      }
      transpose16(r);
      float* d = dst + p * NR + 16 * g;
      if (np == 16) {
#pragma GCC unroll 16
        for (int q = 0; q < 16; q++) _mm512_store_ps(d + q * NR, r[q]);
      } else {
        for (int q = 0; q < np; q++) _mm512_store_ps(d + q * NR, r[q]);
      }
    }
  }
}

// ---- small m: streaming, no packing --------------------------------------------------------------
SEAL_AVX512 inline __m512 load_w(const void* base, bool bf16, long i) {
  return bf16 ? load_b16(static_cast<const uint16_t*>(base) + i) : _mm512_loadu_ps(static_cast<const float*>(base) + i);
}
SEAL_AVX512 inline __m512 maskload_w(const void* base, bool bf16, long i, __mmask16 m) {
  return bf16 ? maskload_b16(static_cast<const uint16_t*>(base) + i, m)
              : _mm512_maskz_loadu_ps(m, static_cast<const float*>(base) + i);
}

// Horizontal sums of 16 vectors at once: out lane i = sum of v[i]'s lanes (for i < count).
SEAL_AVX512 inline __m512 hsum16(const __m512 s[16]) {
  __m512 a[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    // lanes 0-7 of a[i] = s[2i] lo+hi halves; lanes 8-15 = s[2i+1] lo+hi halves
    __m512 x = _mm512_shuffle_f32x4(s[2 * i], s[2 * i + 1], 0x44);  // s0.L0 s0.L1 s1.L0 s1.L1
    __m512 y = _mm512_shuffle_f32x4(s[2 * i], s[2 * i + 1], 0xEE);  // s0.L2 s0.L3 s1.L2 s1.L3
    a[i] = _mm512_add_ps(x, y);                                      // s0 half-sums | s1 half-sums
  }
  __m512 b[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    __m512 x = _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x88);  // a0.L0 a0.L2 a1.L0 a1.L2
    __m512 y = _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xDD);  // a0.L1 a0.L3 a1.L1 a1.L3
    b[i] = _mm512_add_ps(x, y);  // lane L holds a 4-lane partial of vector 4i+L
  }
  // b[i] lane L (4 floats) = partial sums of s[4i + L]; reduce each 4-float lane to 1 float.
  __m512 c0 = _mm512_add_ps(_mm512_unpacklo_ps(b[0], b[1]), _mm512_unpackhi_ps(b[0], b[1]));
  __m512 c1 = _mm512_add_ps(_mm512_unpacklo_ps(b[2], b[3]), _mm512_unpackhi_ps(b[2], b[3]));
  // c0 lane L = [b0 x0+x2, b1 y0+y2, b0 x1+x3, b1 y1+y3] → vector 4·0+L and 4·1+L
  __m512 d = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(c0), _mm512_castps_pd(c1))),
                           _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(c0), _mm512_castps_pd(c1))));
  // d lane L = [s(L) , s(4+L), s(8+L), s(12+L)] → permute to natural order.
  const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(idx, d);
}

// transB small m: C[i][j] = alpha·Σ_p A'[i][p]·W[j][p] + beta·C for j in [j0, j1), i < M.
// A' rows are contiguous (lda), W is n×k (fp32 or bf16).
template <int M, int R, bool BF>
SEAL_AVX512 void smallm_tb(long j0, long j1, long k, const float* A, long lda, const void* W, float* C, long ldc,
                           float alpha, float beta) {
  constexpr bool bf16 = BF;
  const long kv = k & ~15L;
  const __mmask16 tm = tail_mask(k - kv);
  alignas(64) float sums[16 * ((M * R + 15) / 16)];
  long j = j0;
  for (; j + R <= j1; j += R) {
    __m512 acc[M][R];
#pragma GCC unroll 8
    for (int i = 0; i < M; i++)
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) acc[i][r] = _mm512_setzero_ps();
    const long wrow = j * k;
    constexpr long bpe = bf16 ? 2 : 4;
    const char* wbytes = static_cast<const char*>(W) + wrow * bpe;
    const long pfd = kSmallmPrefetch < 0 ? R * k * bpe : kSmallmPrefetch;
    for (long p = 0; p < kv; p += 16) {
      __m512 w[R];
      if (kSmallmPrefetch != 0 && ((p * bpe) & 63) == 0) {  // once per 64-byte line
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) _mm_prefetch(wbytes + (r * k + p) * bpe + pfd, _MM_HINT_T0);
      }
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) w[r] = load_w(W, bf16, wrow + r * k + p);
      if constexpr (M + R + M * R <= 32) {
        // Every loaded row stays in a register. The empty asm stops GCC from folding the A loads
        // into the FMAs, which loads each A row R times: 27 loads for 24 FMAs at M = 8, R = 3,
        // and half the speed (2.3 GB/s of W per GFLOP instead of 4 when A is not 64-byte aligned).
        __m512 a[M];
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) __asm__("" : "+v"(w[r]));
#pragma GCC unroll 8
        for (int i = 0; i < M; i++) {
          a[i] = _mm512_loadu_ps(A + i * lda + p);
          __asm__("" : "+v"(a[i]));
        }
#pragma GCC unroll 8
        for (int i = 0; i < M; i++)
#pragma GCC unroll 8
          for (int r = 0; r < R; r++) acc[i][r] = _mm512_fmadd_ps(a[i], w[r], acc[i][r]);
      } else {
#pragma GCC unroll 8
        for (int i = 0; i < M; i++) {
          __m512 a = _mm512_loadu_ps(A + i * lda + p);
#pragma GCC unroll 8
          for (int r = 0; r < R; r++) acc[i][r] = _mm512_fmadd_ps(a, w[r], acc[i][r]);
        }
      }
    }
    if (kv < k) {
      __m512 w[R];
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) w[r] = maskload_w(W, bf16, wrow + r * k + kv, tm);
#pragma GCC unroll 8
      for (int i = 0; i < M; i++) {
        __m512 a = _mm512_maskz_loadu_ps(tm, A + i * lda + kv);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) acc[i][r] = _mm512_fmadd_ps(a, w[r], acc[i][r]);
      }
    }
    // Reduce M·R accumulators, 16 at a time.
    constexpr int T = M * R;
#pragma GCC unroll 4
    for (int s = 0; s < T; s += 16) {
      __m512 v[16];
#pragma GCC unroll 16
      for (int q = 0; q < 16; q++) v[q] = s + q < T ? acc[(s + q) / R][(s + q) % R] : _mm512_setzero_ps();
      _mm512_store_ps(sums + s, hsum16(v));
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; i++)
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        float* c = C + i * ldc + j + r;
        float v = alpha * sums[i * R + r];
        *c = beta == 0.0f ? v : v + beta * *c;
      }
  }
  for (; j < j1; j++) {  // leftover rows of W, one at a time
    __m512 acc[M];
    for (int i = 0; i < M; i++) acc[i] = _mm512_setzero_ps();
    const long wrow = j * k;
    for (long p = 0; p < kv; p += 16) {
      __m512 w = load_w(W, bf16, wrow + p);
      for (int i = 0; i < M; i++) acc[i] = _mm512_fmadd_ps(_mm512_loadu_ps(A + i * lda + p), w, acc[i]);
    }
    if (kv < k) {
      __m512 w = maskload_w(W, bf16, wrow + kv, tm);
      for (int i = 0; i < M; i++) acc[i] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tm, A + i * lda + kv), w, acc[i]);
    }
    for (int i = 0; i < M; i++) {
      float* c = C + i * ldc + j;
      float v = alpha * _mm512_reduce_add_ps(acc[i]);
      *c = beta == 0.0f ? v : v + beta * *c;
    }
  }
}

// Software prefetch distance (bytes) for the bf16 gemv stream. The bf16 loop has four vector ops
// per 64 bytes waiting on each DRAM load, which fills the scheduler and caps the loads in flight
// below what one core needs for full DRAM bandwidth; prefetching ahead recovers part of it.
constexpr long kGemvPrefetch = 6144;
// bf16 gemv without widening shuffles: one 64-byte load holds 32 weights; (v << 16) is the fp32
// value of the even-indexed ones and (v & 0xFFFF0000) of the odd-indexed ones (both exact), which
// meet x de-interleaved the same way (xp: per 32-block, 16 even then 16 odd entries).
// xq[q] for q = p − h, p = h + 32·i: per 32-block, 16 even-indexed then 16 odd-indexed entries of x.
SEAL_AVX512 inline void deinterleave_x(const float* x, long k, long h, float* xq) {
  const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (long p = h; p + 32 <= k; p += 32) {
    __m512 lo = _mm512_loadu_ps(x + p), hi = _mm512_loadu_ps(x + p + 16);
    _mm512_store_ps(xq + (p - h), _mm512_permutex2var_ps(lo, ev, hi));
    _mm512_store_ps(xq + (p - h) + 16, _mm512_permutex2var_ps(lo, od, hi));
  }
}

// Elements before the first 64-byte boundary of p (element size es): loads in the main loops are
// then aligned. Unaligned streaming loads cost a third of the bandwidth on Zen 5.
inline long head_elems(const void* p, long es) {
  return static_cast<long>(((64 - (reinterpret_cast<uintptr_t>(p) & 63)) & 63) / es);
}

// acc + Σ w[p]·x[p] over n < 64 (or any n) elements, 16 at a time with masks: a row's unaligned
// head and its tail in the bf16 gemv kernels.
SEAL_AVX512 inline __m512 bf16_dot_masked(const uint16_t* w, const float* x, long n, __m512 acc) {
  for (long p = 0; p < n; p += 16) {
    __mmask16 mk = tail_mask(n - p);
    acc = _mm512_fmadd_ps(maskload_b16(w + p, mk), _mm512_maskz_loadu_ps(mk, x + p), acc);
  }
  return acc;
}

SEAL_AVX512 inline void store_row_sum(float* y, __m512 a0, __m512 a1, __m512 a2, __m512 a3, float alpha, float beta) {
  float v = alpha * _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  *y = beta == 0.0f ? v : v + beta * *y;
}

SEAL_AVX512 inline void gemv_rows_bf16(long j0, long j1, long k, const float* x, float* const* xqs, const uint16_t* W,
                                       float* y, float alpha, float beta) {
  const __m512i himask = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  for (long j = j0; j < j1; j++) {
    const uint16_t* w = W + j * k;
    const long h = std::min(k, head_elems(w, 2));
    const float* xq = xqs[h & 31];
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    a0 = bf16_dot_masked(w, x, h, a0);
    long p = h;
    for (; p + 64 <= k; p += 64) {
      if (kGemvPrefetch > 0) {
        const char* q = reinterpret_cast<const char*>(w + p) + kGemvPrefetch;
        _mm_prefetch(q, _MM_HINT_T0);
        _mm_prefetch(q + 64, _MM_HINT_T0);
      }
      __m512i v0 = _mm512_load_si512(w + p), v1 = _mm512_load_si512(w + p + 32);
      const float* xb = xq + (p - h);
      a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v0, 16)), _mm512_load_ps(xb), a0);
      a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v0, himask)), _mm512_load_ps(xb + 16), a1);
      a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v1, 16)), _mm512_load_ps(xb + 32), a2);
      a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v1, himask)), _mm512_load_ps(xb + 48), a3);
    }
    a2 = bf16_dot_masked(w + p, x + p, k - p, a2);
    store_row_sum(y + j, a0, a1, a2, a3, alpha, beta);
  }
}

// bf16 gemv on CPUs with AVX512_BF16: x is split into two bf16 terms (x ≈ hi + lo, exact to about
// 2^-17 relative, far below the weights' own 2^-9 rounding) and each 64-byte load of weights meets
// them in two vdpbf16ps, whose bf16×bf16 products are exact in fp32. Two vector ops per 64 bytes
// instead of four (widen, widen, FMA, FMA) leave room in the scheduler for more loads in flight.
// xhl: per 32-element block, 32 hi then 32 lo bf16 values (natural order), for p ≥ h.
SEAL_AVX512BF16 inline void split_x_bf16(const float* x, long k, long h, uint16_t* xhl) {
  for (long p = h; p + 32 <= k; p += 32) {
    __m512 x0 = _mm512_loadu_ps(x + p), x1 = _mm512_loadu_ps(x + p + 16);
    __m512bh hi = _mm512_cvtne2ps_pbh(x1, x0);
    // hi widened back to fp32 (exact): shift each bf16 into the top half of a 32-bit lane.
    __m512i hiw = (__m512i)hi;
    __m512 h0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(hiw)), 16));
    __m512 h1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(hiw, 1)), 16));
    __m512bh lo = _mm512_cvtne2ps_pbh(_mm512_sub_ps(x1, h1), _mm512_sub_ps(x0, h0));
    uint16_t* d = xhl + 2 * (p - h);
    _mm512_store_si512(d, hiw);
    _mm512_store_si512(d + 32, (__m512i)lo);
  }
}

SEAL_AVX512BF16 inline void gemv_rows_dpbf16(long j0, long j1, long k, const float* x, uint16_t* const* xhls,
                                             const uint16_t* W, float* y, float alpha, float beta) {
  for (long j = j0; j < j1; j++) {
    const uint16_t* w = W + j * k;
    const long h = std::min(k, head_elems(w, 2));
    const uint16_t* xhl = xhls[h & 31];
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    a0 = bf16_dot_masked(w, x, h, a0);
    long p = h;
    // 128 weights an iteration into eight sums: vdpbf16ps has a 6-cycle latency, and four chains
    // capped a core at ~21 bytes a cycle, below what it streams from L3 (measured: rows 4864 long, 5% faster).
    __m512 b0 = _mm512_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;
    for (; p + 128 <= k; p += 128) {
      const uint16_t* xb = xhl + 2 * (p - h);
      __m512bh v0 = (__m512bh)_mm512_load_si512(w + p), v1 = (__m512bh)_mm512_load_si512(w + p + 32);
      __m512bh v2 = (__m512bh)_mm512_load_si512(w + p + 64), v3 = (__m512bh)_mm512_load_si512(w + p + 96);
      a0 = _mm512_dpbf16_ps(a0, v0, (__m512bh)_mm512_load_si512(xb));
      a1 = _mm512_dpbf16_ps(a1, v0, (__m512bh)_mm512_load_si512(xb + 32));
      a2 = _mm512_dpbf16_ps(a2, v1, (__m512bh)_mm512_load_si512(xb + 64));
      a3 = _mm512_dpbf16_ps(a3, v1, (__m512bh)_mm512_load_si512(xb + 96));
      b0 = _mm512_dpbf16_ps(b0, v2, (__m512bh)_mm512_load_si512(xb + 128));
      b1 = _mm512_dpbf16_ps(b1, v2, (__m512bh)_mm512_load_si512(xb + 160));
      b2 = _mm512_dpbf16_ps(b2, v3, (__m512bh)_mm512_load_si512(xb + 192));
      b3 = _mm512_dpbf16_ps(b3, v3, (__m512bh)_mm512_load_si512(xb + 224));
    }
    a0 = _mm512_add_ps(a0, b0); a1 = _mm512_add_ps(a1, b1); a2 = _mm512_add_ps(a2, b2); a3 = _mm512_add_ps(a3, b3);
    for (; p + 64 <= k; p += 64) {
      const uint16_t* xb = xhl + 2 * (p - h);
      __m512bh v0 = (__m512bh)_mm512_load_si512(w + p), v1 = (__m512bh)_mm512_load_si512(w + p + 32);
      a0 = _mm512_dpbf16_ps(a0, v0, (__m512bh)_mm512_load_si512(xb));
      a1 = _mm512_dpbf16_ps(a1, v0, (__m512bh)_mm512_load_si512(xb + 32));
      a2 = _mm512_dpbf16_ps(a2, v1, (__m512bh)_mm512_load_si512(xb + 64));
      a3 = _mm512_dpbf16_ps(a3, v1, (__m512bh)_mm512_load_si512(xb + 96));
    }
    a2 = bf16_dot_masked(w + p, x + p, k - p, a2);
    store_row_sum(y + j, a0, a1, a2, a3, alpha, beta);
  }
}

// m = 1 (gemv), fp32: one row at a time, so W is read as a single sequential stream (what the
// hardware prefetcher streams best), with aligned loads after a masked head; 4 accumulators break
// the FMA dependency chain.
SEAL_AVX512 inline void gemv_rows_f32(long j0, long j1, long k, const float* x, const float* W, float* y, float alpha,
                                      float beta) {
  for (long j = j0; j < j1; j++) {
    const float* w = W + j * k;
    const long h = std::min(k, head_elems(w, 4));
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    long p = 0;
    if (h > 0) {
      __mmask16 mk = tail_mask(h);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, w), _mm512_maskz_loadu_ps(mk, x), a0);
      p = h;
    }
    for (; p + 64 <= k; p += 64) {
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_load_ps(w + p), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 16), _mm512_load_ps(w + p + 16), a1);
      a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 32), _mm512_load_ps(w + p + 32), a2);
      a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 48), _mm512_load_ps(w + p + 48), a3);
    }
    for (; p + 16 <= k; p += 16) a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_load_ps(w + p), a1);
    if (p < k) {
      __mmask16 mk = tail_mask(k - p);
      a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, x + p), _mm512_maskz_loadu_ps(mk, w + p), a2);
    }
    float v = alpha * _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    y[j] = beta == 0.0f ? v : v + beta * y[j];
  }
}

// !transB small m: C[i][j0..j1) = beta·C + Σ_p as[p·M + i]·B[p][j] (as = alpha·op(A), k-major).
// B rows are read 8 at a time across the strip; C strip (M × ≤ 512) stays in L1.
template <int M, bool BF>
SEAL_AVX512 void smallm_nb(long j0, long j1, long k, const float* as, const void* Bd, long ldb, float* C, long ldc,
                           float beta) {
  constexpr bool bf16 = BF;
  for (int i = 0; i < M; i++) {
    float* c = C + i * ldc;
    if (beta == 0.0f) std::fill(c + j0, c + j1, 0.0f);
    else if (beta != 1.0f) for (long j = j0; j < j1; j++) c[j] *= beta;
  }
  long p = 0;
  for (; p + 8 <= k; p += 8) {
    const float* a = as + p * M;
    for (long j = j0; j < j1; j += 16) {
      __mmask16 mk = tail_mask(j1 - j);
      __m512 b[8];
      if (mk == 0xFFFF) {
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) b[q] = load_w(Bd, bf16, (p + q) * ldb + j);
      } else {
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) b[q] = maskload_w(Bd, bf16, (p + q) * ldb + j, mk);
      }
#pragma GCC unroll 8
      for (int i = 0; i < M; i++) {
        float* c = C + i * ldc + j;
        __m512 acc = _mm512_maskz_loadu_ps(mk, c);
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) acc = _mm512_fmadd_ps(_mm512_set1_ps(a[q * M + i]), b[q], acc);
        _mm512_mask_storeu_ps(c, mk, acc);
      }
    }
  }
  for (; p < k; p++) {
    const float* a = as + p * M;
    for (long j = j0; j < j1; j += 16) {
      __mmask16 mk = tail_mask(j1 - j);
      __m512 b = maskload_w(Bd, bf16, p * ldb + j, mk);
      for (int i = 0; i < M; i++) {
        float* c = C + i * ldc + j;
        _mm512_mask_storeu_ps(c, mk, _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b, _mm512_maskz_loadu_ps(mk, c)));
      }
    }
  }
}

}  // namespace k512

// =================================================================================================
// AVX2 + FMA: 6×16 microkernel.
namespace k256 {
constexpr int MR = 6, NR = 16;

SEAL_AVX2 inline __m256 load_b16(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)), 16));
}
SEAL_AVX2 inline __m256i tail_mask(long n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n > 8 ? 8 : n)), idx);
}

// alpha and beta come by pointer: held in registers through the k loop they would push an
// accumulator out of the 16 ymm registers.
// Unpacked: A is read where it lies, element (i, p) at A[i·rs + p·cs] (the skinny path, where
// packing A would cost as much as the arithmetic); packed: rs = 1, cs = MR.
// Row p of the B panel is at B + p·ldb (NR when packed), as in the AVX-512 kernel.
template <int R, int NV, bool Unpacked = false>
SEAL_AVX2 __attribute__((noinline)) void ukernel(long kc, const float* __restrict A, const float* __restrict B,
                                                float* C, long ldc, const float* alpha_beta, long lastcols,
                                                long rs, long cs, long ldb) {
  __m256 acc[R][NV];
#pragma GCC unroll 6
  for (int i = 0; i < R; i++) {
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) acc[i][j] = _mm256_setzero_ps();
    _mm_prefetch((const char*)(C + i * ldc), _MM_HINT_T0);
  }
  // No unrolling here: with 16 ymm registers GCC would spill an accumulator.
#pragma GCC unroll 1
  for (long p = 0; p < kc; p++) {
    __m256 b[NV];
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) b[j] = _mm256_loadu_ps(B + p * ldb + 8 * j);
#pragma GCC unroll 6
    for (int i = 0; i < R; i++) {
      __m256 a = _mm256_broadcast_ss(Unpacked ? A + i * rs + p * cs : A + p * MR + i);
#pragma GCC unroll 2
      for (int j = 0; j < NV; j++) acc[i][j] = _mm256_fmadd_ps(a, b[j], acc[i][j]);
    }
  }
  const float alpha = alpha_beta[0], beta = alpha_beta[1];
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const __m256i lm = tail_mask(lastcols);
#pragma GCC unroll 6
  for (int i = 0; i < R; i++) {
    float* c = C + i * ldc;
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) {
      __m256 v = _mm256_mul_ps(va, acc[i][j]);
      if (j < NV - 1 || lastcols >= 8) {
        if (beta == 1.0f) v = _mm256_add_ps(v, _mm256_loadu_ps(c + 8 * j));
        else if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8 * j), v);
        _mm256_storeu_ps(c + 8 * j, v);
      } else {
        if (beta == 1.0f) v = _mm256_add_ps(v, _mm256_maskload_ps(c + 8 * j, lm));
        else if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8 * j, lm), v);
        _mm256_maskstore_ps(c + 8 * j, lm, v);
      }
    }
  }
}
using Ukernel = void (*)(long, const float*, const float*, float*, long, const float*, long, long, long, long);
inline Ukernel kernel_for(int rows, int nv) {
  static const Ukernel tab[MR][2] = {{ukernel<1, 1>, ukernel<1, 2>}, {ukernel<2, 1>, ukernel<2, 2>},
                                     {ukernel<3, 1>, ukernel<3, 2>}, {ukernel<4, 1>, ukernel<4, 2>},
                                     {ukernel<5, 1>, ukernel<5, 2>}, {ukernel<6, 1>, ukernel<6, 2>}};
  return tab[rows - 1][nv - 1];
}
inline Ukernel unpacked_kernel_for(int rows, int nv) {
  static const Ukernel tab[MR][2] = {
      {ukernel<1, 1, true>, ukernel<1, 2, true>}, {ukernel<2, 1, true>, ukernel<2, 2, true>},
      {ukernel<3, 1, true>, ukernel<3, 2, true>}, {ukernel<4, 1, true>, ukernel<4, 2, true>},
      {ukernel<5, 1, true>, ukernel<5, 2, true>}, {ukernel<6, 1, true>, ukernel<6, 2, true>}};
  return tab[rows - 1][nv - 1];
}

SEAL_AVX2 inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; h++) {
    u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
  for (int c = 0; c < 4; c++) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

SEAL_AVX2 inline void pack_a(const AView& A, long i0, long rows, long p0, long kc, float* dst) {
  if (A.trans && rows == MR) {
    const float* src = A.data + p0 * A.ld + i0;
    for (long p = 0; p < kc; p++) {
      const float* s = src + p * A.ld;
      _mm_storeu_ps(dst + p * 6, _mm_loadu_ps(s));
      dst[p * 6 + 4] = s[4];
      dst[p * 6 + 5] = s[5];
    }
    return;
  }
  if (!A.trans) {
    // Six rows (fewer: zeros), 8 k-steps at a time: an 8×8 transpose (two or more zero rows) gives
    // each k-step's six values; a masked store writes exactly those six.
    const float* src = A.data + i0 * A.ld + p0;
    const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    long p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(src + i * A.ld + p) : _mm256_setzero_ps();
      transpose8(r);
      for (int q = 0; q < 8; q++) _mm256_maskstore_ps(dst + (p + q) * MR, six, r[q]);
    }
    for (; p < kc; p++)
      for (int i = 0; i < MR; i++) dst[p * MR + i] = i < rows ? src[i * A.ld + p] : 0.0f;
    return;
  }
  pack_a_generic<MR>(A, i0, rows, p0, kc, dst);
}

SEAL_AVX2 inline void pack_b(const BView& B, long p0, long kc, long j0, long cols, float* dst) {
  if (cols < NR) return pack_b_generic<NR>(B, p0, kc, j0, cols, dst);
  if (!B.trans) {
    if (!B.bf16) {
      const float* src = static_cast<const float*>(B.data) + p0 * B.ld + j0;
      for (long p = 0; p < kc; p++) {
        _mm256_store_ps(dst + p * NR, _mm256_loadu_ps(src + p * B.ld));
        _mm256_store_ps(dst + p * NR + 8, _mm256_loadu_ps(src + p * B.ld + 8));
      }
    } else {
      const uint16_t* src = static_cast<const uint16_t*>(B.data) + p0 * B.ld + j0;
      for (long p = 0; p < kc; p++) {
        _mm256_store_ps(dst + p * NR, load_b16(src + p * B.ld));
        _mm256_store_ps(dst + p * NR + 8, load_b16(src + p * B.ld + 8));
      }
    }
    return;
  }
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int g = 0; g < 2; g++) {
      __m256 r[8];
      if (!B.bf16) {
        const float* src = static_cast<const float*>(B.data) + (j0 + 8 * g) * B.ld + p0 + p;
        if (kPackPf > 0 && (p & 15) == 0)
          for (int i = 0; i < 8; i++) _mm_prefetch((const char*)(src + i * B.ld + kPackPf), _MM_HINT_T0);
        for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * B.ld);
      } else {
        const uint16_t* src = static_cast<const uint16_t*>(B.data) + (j0 + 8 * g) * B.ld + p0 + p;
        if (kPackPf > 0 && (p & 31) == 0)
          for (int i = 0; i < 8; i++) _mm_prefetch((const char*)(src + i * B.ld + kPackPf * 2), _MM_HINT_T0);
        for (int i = 0; i < 8; i++) r[i] = load_b16(src + i * B.ld);
      }
      transpose8(r);
      for (int q = 0; q < 8; q++) _mm256_store_ps(dst + (p + q) * NR + 8 * g, r[q]);
    }
  }
  for (; p < kc; p++)
    for (int c = 0; c < NR; c++) dst[p * NR + c] = B.at(p0 + p, j0 + c);
}

// ---- small m -----------------------------------------------------------------------------------------
SEAL_AVX2 inline __m256 load_w(const void* base, bool bf16, long i) {
  return bf16 ? load_b16(static_cast<const uint16_t*>(base) + i) : _mm256_loadu_ps(static_cast<const float*>(base) + i);
}
SEAL_AVX2 inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

template <int M, int R, bool BF>
SEAL_AVX2 void smallm_tb(long j0, long j1, long k, const float* A, long lda, const void* W, float* C, long ldc,
                         float alpha, float beta) {
  constexpr bool bf16 = BF;
  const long kv = k & ~7L;
  long j = j0;
  for (; j + R <= j1; j += R) {
    __m256 acc[M][R];
    for (int i = 0; i < M; i++)
      for (int r = 0; r < R; r++) acc[i][r] = _mm256_setzero_ps();
    const long wrow = j * k;
    constexpr long bpe = bf16 ? 2 : 4;
    const char* wbytes = static_cast<const char*>(W) + wrow * bpe;
    const long pfd = kSmallmPrefetch < 0 ? R * k * bpe : kSmallmPrefetch;
    for (long p = 0; p < kv; p += 8) {
      __m256 w[R];
      if (kSmallmPrefetch != 0 && ((p * bpe) & 63) == 0) {
        for (int r = 0; r < R; r++) _mm_prefetch(wbytes + (r * k + p) * bpe + pfd, _MM_HINT_T0);
      }
      for (int r = 0; r < R; r++) w[r] = load_w(W, bf16, wrow + r * k + p);
      if constexpr (R > 1 && M + R + M * R <= 16) {  // each row loaded once, as on AVX-512
        __m256 a[M];
        for (int r = 0; r < R; r++) __asm__("" : "+x"(w[r]));
        for (int i = 0; i < M; i++) {
          a[i] = _mm256_loadu_ps(A + i * lda + p);
          __asm__("" : "+x"(a[i]));
        }
        for (int i = 0; i < M; i++)
          for (int r = 0; r < R; r++) acc[i][r] = _mm256_fmadd_ps(a[i], w[r], acc[i][r]);
      } else {
        for (int i = 0; i < M; i++) {
          __m256 a = _mm256_loadu_ps(A + i * lda + p);
          for (int r = 0; r < R; r++) acc[i][r] = _mm256_fmadd_ps(a, w[r], acc[i][r]);
        }
      }
    }
    for (int i = 0; i < M; i++)
      for (int r = 0; r < R; r++) {
        float s = hsum(acc[i][r]);
        for (long p = kv; p < k; p++) {
          long wi = wrow + r * k + p;
          float wv;
          if (bf16) {
            uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(W)[wi]) << 16;
            std::memcpy(&wv, &bits, 4);
          } else {
            wv = static_cast<const float*>(W)[wi];
          }
          s += A[i * lda + p] * wv;
        }
        float* c = C + i * ldc + j + r;
        float v = alpha * s;
        *c = beta == 0.0f ? v : v + beta * *c;
      }
  }
  if (j < j1) smallm_tb<M, 1, BF>(j, j1, k, A, lda, W, C, ldc, alpha, beta);
}

// bf16 gemv (m = 1) without widening shuffles, as on AVX-512: one 32-byte load holds 16 weights;
// (v << 16) is the fp32 value of the even-indexed ones and (v & 0xFFFF0000) of the odd-indexed
// ones (both exact), which meet x de-interleaved the same way (xq: per 16-block, 8 even then 8 odd
// entries). Three vector ops per 16 weights instead of six (two widening loads, two shifts).
SEAL_AVX2 inline void deinterleave_x(const float* x, long k16, float* xq) {
  for (long p = 0; p < k16; p += 16)
    for (int i = 0; i < 8; i++) {
      xq[p + i] = x[p + 2 * i];
      xq[p + 8 + i] = x[p + 2 * i + 1];
    }
}
template <int R>
SEAL_AVX2 void gemv_rows_bf16(long j0, long j1, long k, const float* x, const float* xq, const uint16_t* W, float* C,
                              float alpha, float beta) {
  const long k16 = k & ~15L;
  const __m256i odd = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  long j = j0;
  for (; j + R <= j1; j += R) {
    __m256 ae[R], ao[R];
    for (int r = 0; r < R; r++) ae[r] = ao[r] = _mm256_setzero_ps();
    const uint16_t* w = W + j * k;
    const long pfd = kSmallmPrefetch < 0 ? R * k * 2 : kSmallmPrefetch;
    for (long p = 0; p < k16; p += 16) {
      if (kSmallmPrefetch != 0 && ((p * 2) & 63) == 0)
        for (int r = 0; r < R; r++) _mm_prefetch(reinterpret_cast<const char*>(w + r * k + p) + pfd, _MM_HINT_T0);
      const __m256 xe = _mm256_loadu_ps(xq + p), xo = _mm256_loadu_ps(xq + p + 8);
      for (int r = 0; r < R; r++) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * k + p));
        ae[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), xe, ae[r]);
        ao[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v, odd)), xo, ao[r]);
      }
    }
    for (int r = 0; r < R; r++) {
      float s = hsum(_mm256_add_ps(ae[r], ao[r]));
      for (long p = k16; p < k; p++) {
        const uint32_t bits = static_cast<uint32_t>(w[r * k + p]) << 16;
        float wv;
        std::memcpy(&wv, &bits, 4);
        s += x[p] * wv;
      }
      const float v = alpha * s;
      C[j + r] = beta == 0.0f ? v : v + beta * C[j + r];
    }
  }
  if (j < j1) gemv_rows_bf16<1>(j, j1, k, x, xq, W, C, alpha, beta);
}

template <int M, bool BF>
SEAL_AVX2 void smallm_nb(long j0, long j1, long k, const float* as, const void* Bd, long ldb, float* C, long ldc,
                         float beta) {
  constexpr bool bf16 = BF;
  for (int i = 0; i < M; i++) {
    float* c = C + i * ldc;
    if (beta == 0.0f) std::fill(c + j0, c + j1, 0.0f);
    else if (beta != 1.0f) for (long j = j0; j < j1; j++) c[j] *= beta;
  }
  const long jv = j0 + ((j1 - j0) & ~7L);
  long p = 0;
  for (; p + 4 <= k; p += 4) {
    const float* a = as + p * M;
    for (long j = j0; j < jv; j += 8) {
      __m256 b[4];
      for (int q = 0; q < 4; q++) b[q] = load_w(Bd, bf16, (p + q) * ldb + j);
      for (int i = 0; i < M; i++) {
        float* c = C + i * ldc + j;
        __m256 acc = _mm256_loadu_ps(c);
        for (int q = 0; q < 4; q++) acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a + q * M + i), b[q], acc);
        _mm256_storeu_ps(c, acc);
      }
    }
  }
  for (; p < k; p++) {
    const float* a = as + p * M;
    for (long j = j0; j < jv; j += 8) {
      __m256 b = load_w(Bd, bf16, p * ldb + j);
      for (int i = 0; i < M; i++) {
        float* c = C + i * ldc + j;
        _mm256_storeu_ps(c, _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), b, _mm256_loadu_ps(c)));
      }
    }
  }
  if (jv < j1) {  // leftover columns (< 8), scalar
    BView B{Bd, bf16, false, ldb};
    for (long pp = 0; pp < k; pp++)
      for (long j = jv; j < j1; j++) {
        float bv = B.at(pp, j);
        for (int i = 0; i < M; i++) C[i * ldc + j] += as[pp * M + i] * bv;
      }
  }
}

}  // namespace k256

// =================================================================================================
// Scalar fallback: 4×16, plain C++.
namespace k1 {
constexpr int MR = 4, NR = 16;
inline void ukernel(long kc, const float* __restrict A, const float* __restrict B, float* C, long ldc, float alpha,
                    float beta, int rows, int cols) {
  float acc[MR][NR] = {};
  for (long p = 0; p < kc; p++)
    for (int i = 0; i < MR; i++) {
      float a = A[p * MR + i];
      for (int j = 0; j < NR; j++) acc[i][j] += a * B[p * NR + j];
    }
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) {
      float v = alpha * acc[i][j];
      float* c = C + i * ldc + j;
      *c = beta == 0.0f ? v : v + beta * *c;
    }
}
}  // namespace k1

// =================================================================================================
// Drivers.
struct Blocking {
  int mr, nr;
  long kc, mc, nc;
  int group;  // column split, big A: NR panels per unit of work (their B slices in L2, A read once per group)
};

inline Blocking blocking_for(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return {k512::MR, k512::NR, 384, 256, 6144, 1};
    case Isa::Avx2: return {k256::MR, k256::NR, 256, 144, 4080, 4};
    default: return {k1::MR, k1::NR, 256, 128, 2048, 1};
  }
}

inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
inline long round_up(long a, long b) { return ceil_div(a, b) * b; }

// The rows of C cut into ceil(m / MR) micro-panels of balanced height (50 rows in 8-row panels:
// 7,7,7,7,7,7,8 rather than six of 8 and one of 2). A 2-row tile is bound by its FMA latency
// chains (6 accumulators) and costs over half a full tile; balanced panels all keep the FMA
// pipes full. Heights never change a sum, so results are the same bits. Panel a is packed at
// a·MR·kc as before (stride MR, zero rows past its height).
struct RowPanels {
  long m, count;
  RowPanels(long m_, int mr) : m(m_), count(ceil_div(m_, mr)) {}
  long start(long a) const { return a * m / count; }
  long rows(long a) const { return start(a + 1) - start(a); }
};

inline void pack_a_panel(Isa isa, const AView& A, long i0, long rows, long p0, long kc, float* dst) {
  if (isa == Isa::Avx512) k512::pack_a(A, i0, rows, p0, kc, dst);
  else if (isa == Isa::Avx2) k256::pack_a(A, i0, rows, p0, kc, dst);
  else pack_a_generic<k1::MR>(A, i0, rows, p0, kc, dst);
}
inline void pack_b_panel(Isa isa, const BView& B, long p0, long kc, long j0, long cols, float* dst) {
  if (isa == Isa::Avx512) k512::pack_b(B, p0, kc, j0, cols, dst);
  else if (isa == Isa::Avx2) k256::pack_b(B, p0, kc, j0, cols, dst);
  else pack_b_generic<k1::NR>(B, p0, kc, j0, cols, dst);
}

// One MR×NR (or edge) tile: C tile at c (ldc), packed A panel ap, B panel bp: packed (ldb = 0, rows
// NR apart), or a full-width fp32 panel read where it lies (ldb = B's row stride; not on the scalar path).
inline void run_tile(Isa isa, long kc, const float* ap, const float* bp, float* c, long ldc, float alpha, float beta,
                     int rows, int cols, long ldb = 0) {
  if (isa == Isa::Avx512) {
    int nv = (cols + 15) / 16;
    k512::kernel_for(rows, nv)(kc, ap, bp, c, ldc, alpha, beta, k512::tail_mask(cols - 16 * (nv - 1)),
                               ldb ? ldb : k512::NR);
  } else if (isa == Isa::Avx2) {
    int nv = (cols + 7) / 8;
    const float ab[2] = {alpha, beta};
    k256::kernel_for(rows, nv)(kc, ap, bp, c, ldc, ab, cols - 8 * (nv - 1), 1, k256::MR, ldb ? ldb : k256::NR);
  } else {
    k1::ukernel(kc, ap, bp, c, ldc, alpha, beta, rows, cols);
  }
}

inline void scale_c(long m, long n, float beta, float* c) {
  parallel_range(m, std::max<long>(1, 65536 / std::max<long>(n, 1)), [&](long i0, long i1, int) {
    for (long i = i0; i < i1; i++) {
      float* row = c + i * n;
      if (beta == 0.0f) std::fill(row, row + n, 0.0f);
      else for (long j = 0; j < n; j++) row[j] *= beta;
    }
  });
}

// Tuning/testing knobs (read once): SEAL_GEMM_KC, SEAL_GEMM_NC, SEAL_GEMM_GROUP override the blocking;
// SEAL_GEMM_SKINNY=0 turns the skinny path off, SEAL_GEMM_UNPACKED=0 makes it pack A on AVX2 too.
inline long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atol(v) : dflt;
}

// k slices of balanced length (a multiple of 8 where possible), at most KC (SEAL_GEMM_KC overrides).
inline long slice_length(long k, const Blocking& bl) {
  static const long kc_env = env_long("SEAL_GEMM_KC", 0);
  const long kc_max = kc_env > 0 ? kc_env : bl.kc;
  return std::min(k, round_up(ceil_div(k, ceil_div(k, kc_max)), 8));
}

// Work units of one task (a column range), taken by the owner from the front and by other
// threads (once their own range is done) from the back: an even static split when the machine is
// quiet, and no thread idles while another core is slowed down by an unrelated process.
struct alignas(64) StealRange {
  std::atomic<uint64_t> lohi{0};  // lo in the low 32 bits, hi in the high 32 bits
  void reset(uint32_t count) { lohi.store(static_cast<uint64_t>(count) << 32, std::memory_order_relaxed); }
  long take(bool owner) {
    uint64_t v = lohi.load(std::memory_order_relaxed);
    for (;;) {
      uint32_t lo = static_cast<uint32_t>(v), hi = static_cast<uint32_t>(v >> 32);
      if (lo >= hi) return -1;
      uint64_t next = owner ? (v + 1) : ((static_cast<uint64_t>(hi - 1) << 32) | lo);
      if (lohi.compare_exchange_weak(v, next, std::memory_order_relaxed)) return owner ? lo : hi - 1;
    }
  }
};

inline StealRange* steal_ranges(long count) {
  static StealRange ranges[512];
  return count <= 512 ? ranges : nullptr;
}

// Waits (spinning, then yielding) until a counter that other threads of the same pool job
// advance reaches target: the packing shared by the job is done.
inline void spin_until(const std::atomic<long>& done, long target) {
  for (int spin = 0; done.load(std::memory_order_acquire) < target; spin++) {
    if (spin < 4096) _mm_pause();
    else std::this_thread::yield();
  }
}

// A full NR-wide panel of an fp32, untransposed B can be read where it lies instead of packed: its
// rows are already NR contiguous floats, and the copy costs a pass over B from memory that the
// microkernel's own loads overlap with arithmetic. On Zen 5 (AVX-512) that makes dx = dy·W with
// m = 50 rows 15-20% faster (50 × 4864 × 896: 1.8 → 1.4 ms), the LM head's backward (k split) 18%,
// and m = 256 2-6%. The AVX2 kernel (16-float panel rows) gains only on the k split (13%); in the
// column split it was no faster at m = 50 and 2-4% slower at m = 256, so it packs there.
inline bool direct_b(Isa isa, const BView& B, bool ksplit) {
  static const bool on = env_long("SEAL_GEMM_DIRECT_B", 1) != 0;
  return on && (isa == Isa::Avx512 || (isa == Isa::Avx2 && ksplit)) && !B.trans && !B.bf16;
}

// Column split: all of op(A) is packed once (every k slice) into a shared buffer, then each unit
// of work is one NR-wide column panel of C: for every k slice, pack that B panel (it stays in
// L1/L2) and multiply every A panel with it, so the C strip also stays in L2 across k slices.
// One pool job per call (A packing included), so a busy machine costs one barrier wait at most.
inline void gemm_nsplit(Isa isa, const AView& A, const BView& B, long m, long n, long k, float alpha, float beta,
                        float* c) {
  const Blocking bl = blocking_for(isa);
  const int threads = pool().threads();
  const int MR = bl.mr, NR = bl.nr;
  const long kc_nom = slice_length(k, bl);
  const long kblocks = ceil_div(k, kc_nom);  // every slice non-empty
  const RowPanels rp(m, MR);
  const long apanels = rp.count;
  const long slice_floats = apanels * MR * kc_nom;  // one packed k slice of A
  // One column range per thread, boundaries at multiples of 16, as even as possible.
  const long tasks = std::max<long>(1, std::min<long>({threads, ceil_div(n, 16), 512}));
  auto range_begin = [&](long t) { return t == tasks ? n : std::min(n, round_up(n * t / tasks, 16)); };
  StealRange* ranges = steal_ranges(tasks);
  float* abuf = shared_scratch(0).get(static_cast<size_t>(slice_floats) * kblocks + 16);
  // A is packed inside the same pool job, in chunks claimed by whichever thread is running, so a
  // thread that is late to start (busy machine) never holds the others up.
  const long a_units = apanels * kblocks;
  const long a_chunk = std::max<long>(1, std::min<long>(8, a_units / (threads * 4L)));
  std::atomic<long> a_next{0}, a_done{0};
  // Columns per unit of work: grouping panels pays only when A is too big to stay in L3 between
  // panels (e.g. dx = dy·W of an MLP up-projection, A = 256 × 4864); otherwise it costs a little.
  static const long group_env = env_long("SEAL_GEMM_GROUP", 0);
  const bool big_a = slice_floats * kblocks * 4 > (2L << 20);
  const long W = NR * (group_env > 0 ? group_env : big_a ? bl.group : 1);
  for (long t = 0; t < tasks; t++) ranges[t].reset(static_cast<uint32_t>(ceil_div(range_begin(t + 1) - range_begin(t), W)));
  const bool direct = direct_b(isa, B, false);
  pool().parallel_for(static_cast<int>(tasks), [&](int task, int) {
    for (long u0; (u0 = a_next.fetch_add(a_chunk, std::memory_order_relaxed)) < a_units;) {
      const long u1 = std::min(a_units, u0 + a_chunk);
      for (long u = u0; u < u1; u++) {
        const long kb = u / apanels, a = u % apanels, pc = kb * kc_nom, kc = std::min(kc_nom, k - pc);
        pack_a_panel(isa, A, rp.start(a), rp.rows(a), pc, kc, abuf + kb * slice_floats + a * MR * kc);
      }
      a_done.fetch_add(u1 - u0, std::memory_order_release);
    }
    spin_until(a_done, a_units);
    float* bp = thread_scratch().get(static_cast<size_t>(W) * kc_nom + 16);
    auto unit = [&](long r, long u) {
      const long j0 = range_begin(r) + u * W;
      const long width = std::min<long>(W, range_begin(r + 1) - j0);
      const long panels = ceil_div(width, NR);
      for (long kb = 0; kb < kblocks; kb++) {
        const long pc = kb * kc_nom, kc = std::min(kc_nom, k - pc);
        const float* as = abuf + kb * slice_floats;
        auto cols = [&](long q) { return std::min<long>(NR, width - q * NR); };
        auto in_place = [&](long q) { return direct && cols(q) == NR; };
        for (long q = 0; q < panels; q++)
          if (!in_place(q)) pack_b_panel(isa, B, pc, kc, j0 + q * NR, cols(q), bp + q * NR * kc);
        const float beta_eff = kb == 0 ? beta : 1.0f;
        // B panel outside, A panels inside: the B panel stays in L1 while the A slice streams
        // from L2 (it is read from L3 once per slice and group). With the A panel outside, a group's
        // B panels (64 KB on AVX2) overflow L1: 7% slower on Zen 5 for dx of the MLP's up-projections.
        for (long q = 0; q < panels; q++)
          for (long a = 0; a < apanels; a++)
            run_tile(isa, kc, as + a * MR * kc,
                     in_place(q) ? static_cast<const float*>(B.data) + pc * B.ld + j0 + q * NR : bp + q * NR * kc,
                     c + rp.start(a) * n + j0 + q * NR, n, alpha, beta_eff, static_cast<int>(rp.rows(a)),
                     static_cast<int>(cols(q)), in_place(q) ? B.ld : 0);
      }
    };
    for (long u; (u = ranges[task].take(true)) >= 0;) unit(task, u);
    for (long s = 1; s < tasks; s++) {
      const long r = (task + s) % tasks;
      for (long u; (u = ranges[r].take(false)) >= 0;) unit(r, u);
    }
  });
}

// k split, for a long inner dimension and a small C (e.g. the LM head's backward, dx = dlogits·W:
// 50 × 896 from k = 151,936). The k slices are cut into kPartials runs of consecutive slices; each
// run sums into its own m × n partial (packing an A slice and the B slice's rows once per slice,
// so W is read once, in order), and the partials are added into C in order. The runs do not
// depend on the thread count or on which thread takes which run, so neither does the result: an
// inner loop gives the same bits in a 1-thread worker process as in a 2-thread main process.
constexpr long kPartials = 8;
inline void gemm_ksplit(Isa isa, const AView& A, const BView& B, long m, long n, long k, float alpha, float beta,
                        float* c) {
  const Blocking bl = blocking_for(isa);
  const int MR = bl.mr, NR = bl.nr;
  const long kc_nom = slice_length(k, bl);
  const long kblocks = ceil_div(k, kc_nom);
  const RowPanels rp(m, MR);
  const long apanels = rp.count, npanels = ceil_div(n, NR);
  const long runs = std::min(kPartials, kblocks);
  const long mn = m * n;
  float* partials = shared_scratch(0).get(static_cast<size_t>(runs) * mn + 16);
  const bool direct = direct_b(isa, B, true);
  pool().parallel_for(static_cast<int>(runs), [&](int run, int) {
    float* part = partials + run * mn;
    std::fill(part, part + mn, 0.0f);
    float* ap = thread_scratch(0).get(static_cast<size_t>(apanels) * MR * kc_nom + 16);
    float* bp = thread_scratch(1).get(static_cast<size_t>(NR) * kc_nom + 16);
    const long kb0 = kblocks * run / runs, kb1 = kblocks * (run + 1) / runs;
    for (long kb = kb0; kb < kb1; kb++) {
      const long pc = kb * kc_nom, kc = std::min(kc_nom, k - pc);
      for (long a = 0; a < apanels; a++) pack_a_panel(isa, A, rp.start(a), rp.rows(a), pc, kc, ap + a * MR * kc);
      for (long q = 0; q < npanels; q++) {
        const long j = q * NR;
        const int cols = static_cast<int>(std::min<long>(NR, n - j));
        const bool in_place = direct && cols == NR;
        if (!in_place) pack_b_panel(isa, B, pc, kc, j, cols, bp);
        const float* b = in_place ? static_cast<const float*>(B.data) + pc * B.ld + j : bp;
        for (long a = 0; a < apanels; a++)
          run_tile(isa, kc, ap + a * MR * kc, b, part + rp.start(a) * n + j, n, alpha, 1.0f,
                   static_cast<int>(rp.rows(a)), cols, in_place ? B.ld : 0);
      }
    }
  });
  parallel_range(m, std::max<long>(1, 16384 / std::max<long>(n, 1)), [&](long i0, long i1, int) {
    for (long i = i0; i < i1; i++) {
      float* row = c + i * n;
      for (long j = 0; j < n; j++) {
        float v = beta == 0.0f ? 0.0f : beta * row[j];
        for (long r = 0; r < runs; r++) v += partials[r * mn + i * n + j];
        row[j] = v;
      }
    }
  });
}

// Skinny C (n <= kSkinnyN, the LoRA products against the rank: x·Aᵀ, dy·B, dyᵀ·h): all of op(B)
// (k × n, small) is packed once, then each unit of work is a few MR-row panels of C computed over
// all of k (its A rows packed slice by slice), with the C tile in L1 throughout. One pool job per
// call and no barrier per k slice; every row's sum runs over k in the same order whatever the
// thread count.
constexpr long kSkinnyN = 64;
inline void gemm_skinny(Isa isa, const AView& A, const BView& B, long m, long n, long k, float alpha, float beta,
                        float* c) {
  const Blocking bl = blocking_for(isa);
  const int threads = pool().threads();
  const int MR = bl.mr, NR = bl.nr;
  const long kc_nom = slice_length(k, bl);
  const long kblocks = ceil_div(k, kc_nom);
  const long npanels = ceil_div(n, NR);
  const long slice_floats = npanels * NR * kc_nom;  // one packed k slice of B
  float* bbuf = shared_scratch(0).get(static_cast<size_t>(slice_floats) * kblocks + 16);
  const long apanels = ceil_div(m, MR);
  const long per_unit = std::max<long>(1, std::min<long>(24, apanels / (threads * 4L)));  // MR panels per unit
  const long units = ceil_div(apanels, per_unit);
  std::atomic<long> b_next{0}, b_done{0}, next_unit{0};
  static const bool unpacked_on = env_long("SEAL_GEMM_UNPACKED", 1) != 0;
  const bool unpacked = isa == Isa::Avx2 && unpacked_on;
  const long b_units = kblocks * npanels;
  pool().parallel_for(threads, [&](int, int) {
    for (long u; (u = b_next.fetch_add(1, std::memory_order_relaxed)) < b_units;) {
      const long kb = u / npanels, q = u % npanels, pc = kb * kc_nom, kc = std::min(kc_nom, k - pc);
      pack_b_panel(isa, B, pc, kc, q * NR, std::min<long>(NR, n - q * NR), bbuf + kb * slice_floats + q * NR * kc);
      b_done.fetch_add(1, std::memory_order_release);
    }
    spin_until(b_done, b_units);
    float* ap = thread_scratch().get(static_cast<size_t>(per_unit) * MR * kc_nom + 16);
    for (long u; (u = next_unit.fetch_add(1, std::memory_order_relaxed)) < units;) {
      const long i0 = u * per_unit * MR, rows = std::min(per_unit * MR, m - i0), panels = ceil_div(rows, MR);
      for (long kb = 0; kb < kblocks; kb++) {
        const long pc = kb * kc_nom, kc = std::min(kc_nom, k - pc);
        const float beta_eff = kb == 0 ? beta : 1.0f;
        const float* bs = bbuf + kb * slice_floats;
        if (unpacked) {  // AVX2: A read in place
          const long rs = A.trans ? 1 : A.ld, cs = A.trans ? A.ld : 1;
          const float ab[2] = {alpha, beta_eff};
          for (long a = 0; a < panels; a++) {
            const int r = static_cast<int>(std::min<long>(MR, rows - a * MR));
            const float* at = A.data + (i0 + a * MR) * rs + pc * cs;
            for (long q = 0; q < npanels; q++) {
              const int cols = static_cast<int>(std::min<long>(NR, n - q * NR)), nv = (cols + 7) / 8;
              k256::unpacked_kernel_for(r, nv)(kc, at, bs + q * NR * kc, c + (i0 + a * MR) * n + q * NR, n, ab,
                                               cols - 8 * (nv - 1), rs, cs, NR);
            }
          }
          continue;
        }
        for (long a = 0; a < panels; a++)
          pack_a_panel(isa, A, i0 + a * MR, std::min<long>(MR, rows - a * MR), pc, kc, ap + a * MR * kc);
        for (long a = 0; a < panels; a++)
          for (long q = 0; q < npanels; q++)
            run_tile(isa, kc, ap + a * MR * kc, bs + q * NR * kc, c + (i0 + a * MR) * n + q * NR, n, alpha, beta_eff,
                     static_cast<int>(std::min<long>(MR, rows - a * MR)), static_cast<int>(std::min<long>(NR, n - q * NR)));
      }
    }
  });
}

// The packed (blocked) path, rows split between threads.
inline void gemm_blocked(Isa isa, const AView& A, const BView& B, long m, long n, long k, float alpha, float beta,
                         float* c) {
  const Blocking bl = blocking_for(isa);
  const int threads = pool().threads();
  const int MR = bl.mr, NR = bl.nr;
  static const long nc_env = env_long("SEAL_GEMM_NC", 0);
  const long nc_max = std::max<long>(NR, nc_env > 0 ? nc_env : bl.nc);

  const long kc_nom = slice_length(k, bl);
  // Column blocks of balanced width (multiple of NR).
  const long jblocks = ceil_div(n, nc_max);
  const long nc_nom = std::min(round_up(n, NR), round_up(ceil_div(n, jblocks), NR));

  // Row blocks: a multiple of `threads` blocks of at most MC rows (rounded to MR).
  long mblocks = threads * ceil_div(m, threads * bl.mc);
  long mc = round_up(ceil_div(m, mblocks), MR);
  mblocks = ceil_div(m, mc);
  // Too few MR-row panels to busy every thread evenly: split the columns instead (each task then
  // packs the whole, small, A slice).
  long ncol_split = 1;
  if (threads > 1 && ceil_div(m, MR) < 4L * threads) {
    mblocks = 1;
    mc = round_up(m, MR);
    ncol_split = 2L * threads;
  }

  float* bbuf = shared_scratch(0).get(static_cast<size_t>(round_up(nc_nom, NR)) * kc_nom);

  for (long jc = 0; jc < n; jc += nc_nom) {
    const long nc = std::min(nc_nom, n - jc);
    const long npanels = ceil_div(nc, NR);
    for (long pc = 0; pc < k; pc += kc_nom) {
      const long kc = std::min(kc_nom, k - pc);
      // Phase 1: pack B (kc × nc) into NR-wide panels, shared.
      {
        long chunks = std::min<long>(npanels, threads * 4L);
        long per = ceil_div(npanels, chunks);
        chunks = ceil_div(npanels, per);
        pool().parallel_for(static_cast<int>(chunks), [&](int task, int) {
          long q0 = task * per, q1 = std::min(npanels, q0 + per);
          for (long q = q0; q < q1; q++)
            pack_b_panel(isa, B, pc, kc, jc + q * NR, std::min<long>(NR, nc - q * NR), bbuf + q * NR * kc);
        });
      }
      // Phase 2: row blocks (× column splits); each task packs its rows of A and multiplies.
      const float beta_eff = pc == 0 ? beta : 1.0f;
      const long tasks = mblocks * ncol_split;
      const long panels_per_split = ceil_div(npanels, ncol_split);
      pool().parallel_for(static_cast<int>(tasks), [&](int task, int) {
        long ib = task / ncol_split, js = task % ncol_split;
        long i0 = ib * mc, rows = std::min(mc, m - i0);
        long q0 = js * panels_per_split, q1 = std::min(npanels, q0 + panels_per_split);
        if (rows <= 0 || q0 >= q1) return;
        const long apanels = ceil_div(rows, MR);
        float* abuf = thread_scratch().get(static_cast<size_t>(apanels) * MR * kc + 16);
        for (long a = 0; a < apanels; a++)
          pack_a_panel(isa, A, i0 + a * MR, std::min<long>(MR, rows - a * MR), pc, kc, abuf + a * MR * kc);
        for (long q = q0; q < q1; q++) {
          const float* bp = bbuf + q * NR * kc;
          const long j = jc + q * NR;
          const int cols = static_cast<int>(std::min<long>(NR, nc - q * NR));
          for (long a = 0; a < apanels; a++) {
            const long i = i0 + a * MR;
            run_tile(isa, kc, abuf + a * MR * kc, bp, c + i * n + j, n, alpha, beta_eff,
                     static_cast<int>(std::min<long>(MR, rows - a * MR)), cols);
          }
        }
      });
    }
  }
}

constexpr long kSmallM = 8;

// op(A) as alpha-scaled, k-major [p·M + i] (for !transB small m), or row-major [i·k + p] (transB).
inline const float* small_a(const AView& A, long m, long k, float alpha, bool kmajor, bool scale) {
  float* buf = shared_scratch(1).get(static_cast<size_t>(m) * k + 16);
  for (long i = 0; i < m; i++)
    for (long p = 0; p < k; p++) {
      float v = A.at(i, p);
      if (scale) v *= alpha;
      buf[kmajor ? p * m + i : i * k + p] = v;
    }
  return buf;
}

template <int M>
inline void small_tb_dispatch(Isa isa, long j0, long j1, long k, const float* a, long lda, const void* W, bool bf16,
                              float* C, long ldc, float alpha, float beta) {
  // W rows per pass (the result does not depend on it). From M = 7 on, M + R + M·R registers
  // (sums and loaded rows) must fit in 32 or the kernel slows down 1.6x.
  constexpr int R512 = M == 1 ? 8 : M == 2 ? 8 : M == 3 ? 6 : M <= 6 ? 4 : M == 7 ? 3 : 2;
  constexpr int R256 = M == 1 ? 4 : M <= 3 ? 3 : 2;  // M + R + M·R within 16 ymm registers
  if (isa == Isa::Avx512 && M == 1 && !bf16) {
    k512::gemv_rows_f32(j0, j1, k, a, static_cast<const float*>(W), C, alpha, beta);
  } else if (isa == Isa::Avx512) {
    if (bf16) k512::smallm_tb<M, R512, true>(j0, j1, k, a, lda, W, C, ldc, alpha, beta);
    else k512::smallm_tb<M, R512, false>(j0, j1, k, a, lda, W, C, ldc, alpha, beta);
  } else if (isa == Isa::Avx2) {
    constexpr int R = M <= 4 ? R256 : 1;
    if (bf16) k256::smallm_tb<M, R, true>(j0, j1, k, a, lda, W, C, ldc, alpha, beta);
    else k256::smallm_tb<M, R, false>(j0, j1, k, a, lda, W, C, ldc, alpha, beta);
  } else {
    BView B{W, bf16, true, k};
    for (long j = j0; j < j1; j++)
      for (int i = 0; i < M; i++) {
        float s = 0;
        const float* ai = a + i * lda;
        if (bf16) {
          const uint16_t* w = static_cast<const uint16_t*>(W) + j * k;
          for (long p = 0; p < k; p++) {
            uint32_t bits = static_cast<uint32_t>(w[p]) << 16;
            float wv;
            std::memcpy(&wv, &bits, 4);
            s += ai[p] * wv;
          }
        } else {
          const float* w = static_cast<const float*>(W) + j * k;
          for (long p = 0; p < k; p++) s += ai[p] * w[p];
        }
        (void)B;
        float v = alpha * s;
        float* c = C + i * ldc + j;
        *c = beta == 0.0f ? v : v + beta * *c;
      }
  }
}

template <int M>
inline void small_nb_dispatch(Isa isa, long j0, long j1, long k, const float* as, const void* Bd, bool bf16, long ldb,
                              float* C, long ldc, float beta) {
  if (isa == Isa::Avx512) {
    if (bf16) k512::smallm_nb<M, true>(j0, j1, k, as, Bd, ldb, C, ldc, beta);
    else k512::smallm_nb<M, false>(j0, j1, k, as, Bd, ldb, C, ldc, beta);
  } else if (isa == Isa::Avx2) {
    if (bf16) k256::smallm_nb<M, true>(j0, j1, k, as, Bd, ldb, C, ldc, beta);
    else k256::smallm_nb<M, false>(j0, j1, k, as, Bd, ldb, C, ldc, beta);
  } else {
    BView B{Bd, bf16, false, ldb};
    for (int i = 0; i < M; i++) {
      float* c = C + i * ldc;
      if (beta == 0.0f) std::fill(c + j0, c + j1, 0.0f);
      else if (beta != 1.0f) for (long j = j0; j < j1; j++) c[j] *= beta;
    }
    for (long p = 0; p < k; p++)
      for (int i = 0; i < M; i++) {
        float a = as[p * M + i];
        float* c = C + i * ldc;
        for (long j = j0; j < j1; j++) c[j] += a * B.at(p, j);
      }
  }
}

// The bf16 gemv kernels read x in a layout prepared for the row's 64-byte alignment h (rows of an
// odd length start at different offsets): one prepared copy per distinct h (at most 32; usually 1),
// each `slot` elements of buf, found again by the kernels as copies[h & 31].
template <typename T>
inline void copies_per_alignment(const uint16_t* W, long n, long k, const float* x, T* buf, long slot, T** copies,
                                 void (*prepare)(const float*, long, long, T*)) {
  for (long j = 0, used = 0; j < std::min<long>(n, 32); j++) {
    const long h = std::min(k, k512::head_elems(W + j * k, 2)) & 31;
    if (copies[h]) continue;
    copies[h] = buf + slot * used++;
    prepare(x, k, h, copies[h]);
  }
}

template <int M>
inline void gemm_small_m(Isa isa, const AView& A, const BView& B, long n, long k, float alpha, float beta, float* c) {
  if (B.trans) {
    // A' rows contiguous: use A directly when it already is (transA = false). For M > 1 the rows
    // are copied to 64-byte boundaries when they are not on them: the kernels load every A row
    // once per 16 k, and split loads cost up to a fifth of the speed at M = 8.
    const float* a = A.trans ? small_a(A, M, k, alpha, false, false) : A.data;
    long lda = A.trans ? k : A.ld;
    if (M > 1 && !A.trans && (reinterpret_cast<uintptr_t>(a) % 64 != 0 || lda % 16 != 0)) {
      const long ld = round_up(k, 16);
      float* aligned = shared_scratch(1).get(static_cast<size_t>(M) * ld);
      for (int i = 0; i < M; i++) std::memcpy(aligned + i * ld, a + i * lda, static_cast<size_t>(k) * sizeof(float));
      a = aligned;
      lda = ld;
    }
    static const bool dp_off = env_long("SEAL_GEMV_DPBF16", 1) == 0;
    if (M == 1 && B.bf16 && isa == Isa::Avx512 && cpu_features().avx512bf16 && !dp_off) {
      // x as two bf16 terms, one copy per distinct row alignment.
      const uint16_t* W = static_cast<const uint16_t*>(B.data);
      const long slot = 2 * (round_up(k, 32) + 32);
      uint16_t* xbuf = reinterpret_cast<uint16_t*>(shared_scratch(2).get(static_cast<size_t>(slot) * 16 + 16));
      uint16_t* xhls[32] = {};
      copies_per_alignment(W, n, k, a, xbuf, slot, xhls, k512::split_x_bf16);
      parallel_range(n, std::max<long>(64, 32768 / std::max<long>(k, 1)), [&](long j0, long j1, int) {
        k512::gemv_rows_dpbf16(j0, j1, k, a, xhls, W, c, alpha, beta);
      });
      return;
    }
    if (M == 1 && B.bf16 && isa == Isa::Avx512) {
      // x de-interleaved, one copy per distinct row alignment.
      const uint16_t* W = static_cast<const uint16_t*>(B.data);
      const long slot = round_up(k, 16) + 16;
      float* xbuf = shared_scratch(2).get(static_cast<size_t>(slot) * 32 + 16);
      float* xqs[32] = {};
      copies_per_alignment(W, n, k, a, xbuf, slot, xqs, k512::deinterleave_x);
      parallel_range(n, std::max<long>(64, 32768 / std::max<long>(k, 1)), [&](long j0, long j1, int) {
        k512::gemv_rows_bf16(j0, j1, k, a, xqs, W, c, alpha, beta);
      });
      return;
    }
    if (M == 1 && B.bf16 && isa == Isa::Avx2) {
      const uint16_t* W = static_cast<const uint16_t*>(B.data);
      float* xq = shared_scratch(2).get(static_cast<size_t>(round_up(k, 16)) + 16);
      k256::deinterleave_x(a, k & ~15L, xq);
      parallel_range(n, std::max<long>(64, 32768 / std::max<long>(k, 1)), [&](long j0, long j1, int) {
        k256::gemv_rows_bf16<4>(j0, j1, k, a, xq, W, c, alpha, beta);
      });
      return;
    }
    // Rows of W per task: several tasks per thread, multiples of 8.
    parallel_range(n, std::max<long>(64, 32768 / std::max<long>(k, 1)), [&](long j0, long j1, int) {
      small_tb_dispatch<M>(isa, j0, j1, k, a, lda, B.data, B.bf16, c, n, alpha, beta);
    });
  } else {
    const float* as = small_a(A, M, k, alpha, true, true);
    // Column strips of at most 512 (C strip in L1), at least 64.
    const long strip = 512;
    const long strips = ceil_div(n, strip);
    pool().parallel_for(static_cast<int>(strips), [&](int task, int) {
      long j0 = task * strip, j1 = std::min(n, j0 + strip);
      small_nb_dispatch<M>(isa, j0, j1, k, as, B.data, B.bf16, B.ld, c, n, beta);
    });
  }
}

// The entry point. Arguments are already validated.
inline void sgemm(bool transA, bool transB, long m, long n, long k, float alpha, const float* a, const void* b,
                  bool b_bf16, float beta, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) {
    if (beta != 1.0f) scale_c(m, n, beta, c);
    return;
  }
  const Isa isa = active_isa();
  AView A{a, transA, transA ? m : k};
  BView B{b, b_bf16, transB, transB ? k : n};
  if (m <= kSmallM) {
    switch (m) {
      case 1: return gemm_small_m<1>(isa, A, B, n, k, alpha, beta, c);
      case 2: return gemm_small_m<2>(isa, A, B, n, k, alpha, beta, c);
      case 3: return gemm_small_m<3>(isa, A, B, n, k, alpha, beta, c);
      case 4: return gemm_small_m<4>(isa, A, B, n, k, alpha, beta, c);
      case 5: return gemm_small_m<5>(isa, A, B, n, k, alpha, beta, c);
      case 6: return gemm_small_m<6>(isa, A, B, n, k, alpha, beta, c);
      case 7: return gemm_small_m<7>(isa, A, B, n, k, alpha, beta, c);
      default: return gemm_small_m<8>(isa, A, B, n, k, alpha, beta, c);
    }
  }
  // Column split (packed A shared, ≤ 64 MB of it) when n ≥ m, else row split (packed B shared).
  const bool a_fits = static_cast<double>(m) * static_cast<double>(k) <= 16.0 * 1024 * 1024;
  static const long ksplit_ratio = env_long("SEAL_GEMM_KSPLIT", 16);
  // (The path never depends on the thread count, so neither do the results.)
  static const bool skinny_on = env_long("SEAL_GEMM_SKINNY", 1) != 0;
  if (skinny_on && n <= kSkinnyN && m >= 4 * kSmallM) return gemm_skinny(isa, A, B, m, n, k, alpha, beta, c);
  if (ksplit_ratio > 0 && k >= ksplit_ratio * std::max(m, n) && m * n <= (1L << 20))
    return gemm_ksplit(isa, A, B, m, n, k, alpha, beta, c);
  if (n >= m && a_fits) gemm_nsplit(isa, A, B, m, n, k, alpha, beta, c);
  else gemm_blocked(isa, A, B, m, n, k, alpha, beta, c);
}

// y[rows] = W·x + beta·y.
inline void sgemv(long rows, long cols, const void* w, bool bf16, const float* x, float beta, float* y) {
  if (rows == 0) return;
  if (cols == 0) {
    for (long r = 0; r < rows; r++) y[r] = beta == 0.0f ? 0.0f : beta * y[r];
    return;
  }
  AView A{x, false, cols};
  BView B{w, bf16, true, cols};
  gemm_small_m<1>(active_isa(), A, B, rows, cols, 1.0f, beta, y);
}

}  // namespace gemm
}  // namespace seal

#pragma GCC diagnostic pop
