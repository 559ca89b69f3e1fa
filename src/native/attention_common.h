// Shared declarations for the attention kernels (src/native/attention.cpp). The kernels themselves
// live in attention_impl.h, compiled once per dispatch path (AVX-512, AVX2, scalar).
#pragma once
#include <cstdint>

namespace seal {
namespace attn {

// Tile sizes. Forward: a task owns BR query rows of one (b, q-head) and walks key tiles of BC.
// Backward: a task owns one (b, q-head); it walks key tiles of BKB, and for each the query tiles
// of BQB that can see them. Multiples of 16 (one AVX-512 vector).
constexpr int BR = 64;
constexpr int BC = 64;
constexpr int BKB = 64;
constexpr int BQB = 64;
static_assert(BR == BC && BKB == BQB && BR % 32 == 0, "the diagonal-tile shortcuts assume square tiles");

inline long round_up(long x, long m) { return (x + m - 1) / m * m; }

struct FwdArgs {
  int B, T, Hq, Hkv, D;
  float scale;
  const float *q, *k, *v;
  const int32_t* seg;  // nullable
  float *out, *lse;
  float *kp, *vp;         // k, v repacked [B,Hkv,T,D]
  float* thread_scratch;  // per thread: thread_floats each
  long thread_floats;
};

struct BwdArgs {
  int B, T, Hq, Hkv, D;
  float scale;
  const float *q, *k, *v;
  const int32_t* seg;  // nullable
  const float *out, *lse, *dout;
  float *dq, *dk, *dv;
  long Tp;  // T rounded up to BQB
  float *kp, *vp;  // k, v repacked [B,Hkv,T,D]
  // Per-q-head partial dk/dv [B·Hq][T][D] (only when Hq > Hkv), per-thread scratch.
  float *dkh, *dvh;
  float* thread_scratch;
  long thread_floats;
};

struct DecArgs {
  int B, Hq, Hkv, D, maxT;
  float scale;
  const float *q, *kc, *vc;
  const int32_t* lens;
  float* out;
  int chunks;      // key chunks per (b, kv head)
  int chunk_len;   // keys per chunk (multiple of BC)
  // Partials when chunks > 1: m, l [B·Hkv·chunks·G], o [B·Hkv·chunks·G][Dp].
  float *pm, *pl, *po;
  float* thread_scratch;
  long thread_floats;
};

// Per-thread scratch sizes (floats), shared by the sizing code and the kernels.
inline long fwd_thread_floats(int D) { return 2L * D * BR + (long)BC * BR + 6L * BR + 64; }
// Tq: T rounded up to BQB.
inline long bwd_thread_floats(int D, long Tq) {
  long Dp = round_up(D, 16);
  return 5L * D * Tq + 2L * Tq + 2L * BKB * BQB + 2L * BKB * Dp + 2L * BQB + 64;
}
inline long dec_thread_floats(int D, int G) {
  long Dp = round_up(D, 16);
  return (long)D * BC + (long)G * BC + (long)G * Dp + 2L * G + 64;
}

}  // namespace attn
}  // namespace seal
