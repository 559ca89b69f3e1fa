// Causal grouped-query attention: training forward and backward (FlashAttention-2 style: online
// softmax over key tiles, scores never materialised beyond a tile, backward recomputes P from the
// saved log-sum-exp), and decode against a KV cache. The kernels are in attention_impl.h, compiled
// three times (AVX-512, AVX2, scalar) over the vector traits below; the path is chosen per call.
#include <napi.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "attention_common.h"
#include "cpu.h"
#include "napi_util.h"
#include "threadpool.h"
#include "vecmath.h"

// GCC 12's AVX-512 headers (the `__Y = __Y` idiom in _mm512_reduce_*, _mm512_max_ps) trip
// -Wmaybe-uninitialized once inlined here: a known false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace seal {
namespace attn {

// ---- vector traits ---------------------------------------------------------------------------

struct V512 {
  using R = __m512;
  using M = __mmask16;
  static constexpr int W = 16, RMAX = 4, NVMAX = 4;
  SEAL_AVX512 static inline M mask(int n) { return static_cast<M>((1u << n) - 1u); }
  SEAL_AVX512 static inline R load(const float* p) { return _mm512_loadu_ps(p); }
  SEAL_AVX512 static inline R loadm(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  SEAL_AVX512 static inline void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  SEAL_AVX512 static inline void storem(float* p, R v, M m) { _mm512_mask_storeu_ps(p, m, v); }
  SEAL_AVX512 static inline R set1(float x) { return _mm512_set1_ps(x); }
  SEAL_AVX512 static inline R zero() { return _mm512_setzero_ps(); }
  SEAL_AVX512 static inline R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  SEAL_AVX512 static inline R fms(R a, R b, R c) { return _mm512_fmsub_ps(a, b, c); }
  SEAL_AVX512 static inline R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  SEAL_AVX512 static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  SEAL_AVX512 static inline R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  SEAL_AVX512 static inline R max(R a, R b) { return _mm512_max_ps(a, b); }
  SEAL_AVX512 static inline R exp(R x) { return exp512(x); }
  // (lo <= j && j <= hi) ? x : other, lanewise.
  SEAL_AVX512 static inline R keep(R x, R j, R lo, R hi, R other) {
    __mmask16 m = _mm512_cmp_ps_mask(lo, j, _CMP_LE_OQ) & _mm512_cmp_ps_mask(j, hi, _CMP_LE_OQ);
    return _mm512_mask_blend_ps(m, other, x);
  }
  SEAL_AVX512 static inline float hsum(R v) { return hsum512(v); }
  SEAL_AVX512 static inline float hmax(R v) { return hmax512(v); }
};

struct V256 {
  using R = __m256;
  using M = __m256i;
  static constexpr int W = 8, RMAX = 4, NVMAX = 3;
  SEAL_AVX2 static inline M mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  SEAL_AVX2 static inline R load(const float* p) { return _mm256_loadu_ps(p); }
  SEAL_AVX2 static inline R loadm(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  SEAL_AVX2 static inline void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  SEAL_AVX2 static inline void storem(float* p, R v, M m) { _mm256_maskstore_ps(p, m, v); }
  SEAL_AVX2 static inline R set1(float x) { return _mm256_set1_ps(x); }
  SEAL_AVX2 static inline R zero() { return _mm256_setzero_ps(); }
  SEAL_AVX2 static inline R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  SEAL_AVX2 static inline R fms(R a, R b, R c) { return _mm256_fmsub_ps(a, b, c); }
  SEAL_AVX2 static inline R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  SEAL_AVX2 static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  SEAL_AVX2 static inline R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  SEAL_AVX2 static inline R max(R a, R b) { return _mm256_max_ps(a, b); }
  SEAL_AVX2 static inline R exp(R x) { return exp256(x); }
  SEAL_AVX2 static inline R keep(R x, R j, R lo, R hi, R other) {
    __m256 m = _mm256_and_ps(_mm256_cmp_ps(lo, j, _CMP_LE_OQ), _mm256_cmp_ps(j, hi, _CMP_LE_OQ));
    return _mm256_blendv_ps(other, x, m);
  }
  SEAL_AVX2 static inline float hsum(R v) { return hsum256(v); }
  SEAL_AVX2 static inline float hmax(R v) { return hmax256(v); }
};

struct VScalar {
  using R = float;
  using M = int;
  static constexpr int W = 1, RMAX = 4, NVMAX = 4;
  static inline M mask(int n) { return n; }
  static inline R load(const float* p) { return *p; }
  static inline R loadm(const float* p, M) { return *p; }
  static inline void store(float* p, R v) { *p = v; }
  static inline void storem(float* p, R v, M) { *p = v; }
  static inline R set1(float x) { return x; }
  static inline R zero() { return 0.f; }
  static inline R fma(R a, R b, R c) { return a * b + c; }
  static inline R fms(R a, R b, R c) { return a * b - c; }
  static inline R mul(R a, R b) { return a * b; }
  static inline R add(R a, R b) { return a + b; }
  static inline R sub(R a, R b) { return a - b; }
  static inline R max(R a, R b) { return a > b ? a : b; }
  static inline R exp(R x) { return std::exp(x); }
  static inline R keep(R x, R j, R lo, R hi, R other) { return lo <= j && j <= hi ? x : other; }
  static inline float hsum(R v) { return v; }
  static inline float hmax(R v) { return v; }
};

// ---- the three compilations of the kernels ---------------------------------------------------

namespace avx512 {
using V = V512;
#define SEAL_TGT SEAL_AVX512
#include "attention_impl.h"
#undef SEAL_TGT
}  // namespace avx512

namespace avx2 {
using V = V256;
#define SEAL_TGT SEAL_AVX2
#include "attention_impl.h"
#undef SEAL_TGT
}  // namespace avx2

namespace scalar {
using V = VScalar;
#define SEAL_TGT
#include "attention_impl.h"
#undef SEAL_TGT
}  // namespace scalar

// ---- scratch ---------------------------------------------------------------------------------

// A grow-only, 64-byte-aligned float buffer (the kernels run on the Node main thread's calls,
// one at a time, so one buffer per purpose suffices).
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  float* get(Napi::Env env, size_t need) {
    if (need == 0) need = 1;
    if (need > n) {
      std::free(p);
      p = nullptr;
      n = 0;
      size_t bytes = (need * sizeof(float) + 63) / 64 * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) throw_range(env, "attention: out of memory for scratch (" + std::to_string(bytes) + " bytes)");
      n = need;
    }
    return p;
  }
};
static Scratch s_kp, s_vp, s_thread, s_dkh, s_dvh, s_part;

// ---- argument checks ---------------------------------------------------------------------------

constexpr long kMaxDim = 2147483647L;

static size_t product(Napi::Env env, const char* fn, std::initializer_list<long> dims) {
  size_t r = 1;
  for (long d : dims)
    if (__builtin_mul_overflow(r, static_cast<size_t>(d), &r) || r > (size_t(1) << 40))
      throw_range(env, std::string(fn) + ": shape too large");
  return r;
}

static std::string nm(const char* fn, const char* arg) { return std::string(fn) + ": " + arg; }

static void check_heads(Napi::Env env, const char* fn, long Hq, long Hkv) {
  if (Hq % Hkv != 0)
    throw_range(env, std::string(fn) + ": Hq (" + std::to_string(Hq) + ") must be a multiple of Hkv (" +
                         std::to_string(Hkv) + ")");
}

static void check_seg(Napi::Env env, const char* fn, const int32_t* seg, long B, long T) {
  if (!seg) return;
  for (long b = 0; b < B; ++b)
    for (long t = 0; t < T; ++t) {
      int32_t s = seg[b * T + t];
      if (s < 0 || s > t)
        throw_range(env, std::string(fn) + ": segStart[" + std::to_string(b * T + t) + "] = " + std::to_string(s) +
                             " is out of range [0, " + std::to_string(t) + "]");
    }
}

static Isa isa_now() { return active_isa(); }

// ---- bindings ----------------------------------------------------------------------------------

// The twelve arguments forward and backward share: (B, T, Hq, Hkv, D, scale, q, k, v, segStart,
// out, lse), read and checked into `a`. Returns {elements of q, elements of k}.
template <typename Args>
static std::pair<size_t, size_t> read_shared_args(const Napi::CallbackInfo& info, const char* fn, Args& a) {
  Napi::Env env = info.Env();
  std::string n[6] = {nm(fn, "B"), nm(fn, "T"), nm(fn, "Hq"), nm(fn, "Hkv"), nm(fn, "D"), nm(fn, "scale")};
  long B = int_arg(info, 0, n[0].c_str(), 1, kMaxDim), T = int_arg(info, 1, n[1].c_str(), 1, kMaxDim);
  long Hq = int_arg(info, 2, n[2].c_str(), 1, kMaxDim), Hkv = int_arg(info, 3, n[3].c_str(), 1, kMaxDim);
  long D = int_arg(info, 4, n[4].c_str(), 1, kMaxDim);
  double scale = num_arg(info, 5, n[5].c_str());
  check_heads(env, fn, Hq, Hkv);
  size_t nq = product(env, fn, {B, T, Hq, D}), nk = product(env, fn, {B, T, Hkv, D});
  size_t nl = product(env, fn, {B, Hq, T});
  a.B = (int)B, a.T = (int)T, a.Hq = (int)Hq, a.Hkv = (int)Hkv, a.D = (int)D, a.scale = (float)scale;
  a.q = f32_arg(info, 6, nm(fn, "q").c_str(), nq);
  a.k = f32_arg(info, 7, nm(fn, "k").c_str(), nk);
  a.v = f32_arg(info, 8, nm(fn, "v").c_str(), nk);
  a.seg = i32_opt(info, 9, nm(fn, "segStart").c_str(), product(env, fn, {B, T}));
  a.out = f32_arg(info, 10, nm(fn, "out").c_str(), nq);
  a.lse = f32_arg(info, 11, nm(fn, "lse").c_str(), nl);
  return {nq, nk};
}

// attentionForward(B, T, Hq, Hkv, D, scale, q, k, v, segStart, out, lse)
static Napi::Value Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "attentionForward";
  FwdArgs a{};
  const size_t nk = read_shared_args(info, fn, a).second;
  check_seg(env, fn, a.seg, a.B, a.T);
  a.kp = s_kp.get(env, nk);
  a.vp = s_vp.get(env, nk);
  a.thread_floats = round_up(fwd_thread_floats(a.D), 16);
  a.thread_scratch = s_thread.get(env, (size_t)a.thread_floats * pool().threads());
  switch (isa_now()) {
    case Isa::Avx512: avx512::forward(a); break;
    case Isa::Avx2: avx2::forward(a); break;
    default: scalar::forward(a); break;
  }
  return env.Undefined();
}

// attentionBackward(B, T, Hq, Hkv, D, scale, q, k, v, segStart, out, lse, dout, dq, dk, dv)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "attentionBackward";
  BwdArgs a{};
  auto [nq, nk] = read_shared_args(info, fn, a);
  a.dout = f32_arg(info, 12, nm(fn, "dout").c_str(), nq);
  a.dq = f32_arg(info, 13, nm(fn, "dq").c_str(), nq);
  a.dk = f32_arg(info, 14, nm(fn, "dk").c_str(), nk);
  a.dv = f32_arg(info, 15, nm(fn, "dv").c_str(), nk);
  check_seg(env, fn, a.seg, a.B, a.T);
  a.Tp = round_up(a.T, BQB);
  a.kp = s_kp.get(env, nk);
  a.vp = s_vp.get(env, nk);
  if (a.Hq != a.Hkv) {
    a.dkh = s_dkh.get(env, nq);
    a.dvh = s_dvh.get(env, nq);
  }
  a.thread_floats = round_up(bwd_thread_floats(a.D, a.Tp), 16);
  a.thread_scratch = s_thread.get(env, product(env, fn, {a.thread_floats, pool().threads()}));
  switch (isa_now()) {
    case Isa::Avx512: avx512::backward(a); break;
    case Isa::Avx2: avx2::backward(a); break;
    default: scalar::backward(a); break;
  }
  return env.Undefined();
}

// attentionDecode(B, Hq, Hkv, D, maxT, scale, q, kCache, vCache, lens, out)
static Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "attentionDecode";
  std::string n[6] = {nm(fn, "B"), nm(fn, "Hq"), nm(fn, "Hkv"), nm(fn, "D"), nm(fn, "maxT"), nm(fn, "scale")};
  long B = int_arg(info, 0, n[0].c_str(), 1, kMaxDim), Hq = int_arg(info, 1, n[1].c_str(), 1, kMaxDim);
  long Hkv = int_arg(info, 2, n[2].c_str(), 1, kMaxDim), D = int_arg(info, 3, n[3].c_str(), 1, kMaxDim);
  long maxT = int_arg(info, 4, n[4].c_str(), 1, kMaxDim);
  double scale = num_arg(info, 5, n[5].c_str());
  check_heads(env, fn, Hq, Hkv);
  size_t nq = product(env, fn, {B, Hq, D}), nc = product(env, fn, {B, Hkv, maxT, D});
  DecArgs a{};
  a.B = (int)B, a.Hq = (int)Hq, a.Hkv = (int)Hkv, a.D = (int)D, a.maxT = (int)maxT, a.scale = (float)scale;
  a.q = f32_arg(info, 6, nm(fn, "q").c_str(), nq);
  a.kc = f32_arg(info, 7, nm(fn, "kCache").c_str(), nc);
  a.vc = f32_arg(info, 8, nm(fn, "vCache").c_str(), nc);
  a.lens = i32_arg(info, 9, nm(fn, "lens").c_str(), (size_t)B);
  a.out = f32_arg(info, 10, nm(fn, "out").c_str(), nq);
  int maxLen = 1;
  for (long b = 0; b < B; ++b) {
    int32_t len = a.lens[b];
    if (len < 1 || len > maxT)
      throw_range(env, std::string(fn) + ": lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                           " is out of range [1, " + std::to_string(maxT) + "]");
    if (len > maxLen) maxLen = len;
  }
  const int G = (int)(Hq / Hkv);
  // Split long caches into chunks (flash-decoding) when there are fewer (b, kv head) pairs than
  // threads can use; chunks of at least 256 keys, combined below.
  const int threads = pool().threads();
  int chunks = 1;
  long pairs = B * Hkv;
  if (pairs < 2L * threads) {
    long want = (2L * threads + pairs - 1) / pairs;
    long most = (maxLen + 255) / 256;
    chunks = (int)(want < most ? want : most);
    if (chunks < 1) chunks = 1;
  }
  a.chunks = chunks;
  a.chunk_len = (int)round_up((maxLen + chunks - 1) / chunks, BC);
  const long Dp = round_up(D, 16);
  if (chunks > 1) {
    size_t rows = product(env, fn, {B, Hkv, chunks, G});
    float* part = s_part.get(env, rows * (2 + Dp));
    a.pm = part;
    a.pl = part + rows;
    a.po = part + 2 * rows;
  }
  a.thread_floats = round_up(dec_thread_floats(a.D, G), 16);
  a.thread_scratch = s_thread.get(env, product(env, fn, {a.thread_floats, threads}));
  switch (isa_now()) {
    case Isa::Avx512: avx512::decode(a); break;
    case Isa::Avx2: avx2::decode(a); break;
    default: scalar::decode(a); break;
  }
  if (chunks > 1) {
    // Combine the chunks' (max, sum, unnormalised output) per query head.
    for (long bg = 0; bg < B * Hkv; ++bg)
      for (int r = 0; r < G; ++r) {
        float M = -INFINITY;
        for (int c = 0; c < chunks; ++c) {
          float m = a.pm[(bg * chunks + c) * G + r];
          if (m > M) M = m;
        }
        float* o = a.out + (bg * G + r) * D;  // (b·Hkv + g)·G + r = b·Hq + h
        for (long d = 0; d < D; ++d) o[d] = 0.f;
        float l = 0.f;
        for (int c = 0; c < chunks; ++c) {
          long row = (bg * chunks + c) * G + r;
          if (a.pl[row] == 0.f) continue;
          float w = std::exp(a.pm[row] - M);
          l += a.pl[row] * w;
          const float* po = a.po + row * Dp;
          for (long d = 0; d < D; ++d) o[d] += po[d] * w;
        }
        float inv = 1.f / l;
        for (long d = 0; d < D; ++d) o[d] *= inv;
      }
  }
  return env.Undefined();
}

}  // namespace attn

void register_attention(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionForward", Napi::Function::New(env, attn::Forward, "attentionForward"));
  exports.Set("attentionBackward", Napi::Function::New(env, attn::Backward, "attentionBackward"));
  exports.Set("attentionDecode", Napi::Function::New(env, attn::Decode, "attentionDecode"));
}

}  // namespace seal
