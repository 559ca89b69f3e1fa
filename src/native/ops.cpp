// Node-API bindings for the row-wise and element-wise kernels: RMSNorm, RoPE, SwiGLU,
// cross-entropy, embedding and AdamW (see src/kernels/types.ts for the contract). Every argument is
// read and checked before any work starts, so a bad call throws and never writes. The kernels
// themselves (AVX-512 / AVX2 / scalar) live in ops_kernels.h; here they are chosen by
// active_isa() and spread over the thread pool when the call is big enough to pay for it.
#include <napi.h>

// GCC 12's AVX-512 reduce/sqrt intrinsics use a self-initialised "undefined" register, which
// -Wall reports once they are inlined here; it is not a bug in this file.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cpu.h"
#include "napi_util.h"
#include "ops_kernels.h"
#include "threadpool.h"

namespace seal {
namespace {

// Below this many elements per chunk a call runs on the calling thread only (waking the pool
// costs more than it saves).
constexpr long kMinWork = 16384;

size_t checked_mul(Napi::Env env, const char* fn, long a, long b) {
  long r;
  if (__builtin_mul_overflow(a, b, &r)) throw_range(env, std::string(fn) + ": shape is too large");
  return static_cast<size_t>(r);
}

long rows_per_chunk(long row_len) { return std::max(1L, kMinWork / std::max(1L, row_len)); }

// Splits [0, n) into at most max_chunks (default 4·threads) contiguous chunks of at least
// min_chunk, and runs fn(task, begin, end) for each (the task index is stable, so per-task
// scratch is deterministic; a fixed max_chunks makes it independent of the thread count too).
struct Split {
  long per = 0;
  int count = 0;
};
Split split(long n, long min_chunk, long max_chunks = 0) {
  Split s;
  if (n <= 0) return s;
  long chunks = (n + min_chunk - 1) / std::max(1L, min_chunk);
  chunks = std::min<long>(chunks, max_chunks > 0 ? max_chunks : 4L * pool().threads());
  chunks = std::max(1L, chunks);
  s.per = (n + chunks - 1) / chunks;
  s.count = static_cast<int>((n + s.per - 1) / s.per);
  return s;
}
template <typename F>
void run_split(long n, const Split& s, F&& fn) {
  if (s.count <= 0) return;
  if (s.count == 1) {
    fn(0, 0L, n);
    return;
  }
  pool().parallel_for(s.count, [&](int task, int) {
    long b = task * s.per;
    long e = std::min(n, b + s.per);
    fn(task, b, e);
  });
}
template <typename F>
void parallel_rows(long n, long min_chunk, F&& fn) {
  run_split(n, split(n, min_chunk), [&](int, long b, long e) { fn(b, e); });
}

const float* f32_any(const Napi::CallbackInfo& info, size_t i, const char* name, size_t* len) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(info.Env(), std::string(name) + " must be a Float32Array");
  auto arr = info[i].As<Napi::Float32Array>();
  *len = arr.ElementLength();
  return arr.Data();
}

// Every ids[i] in [0, V) (or −100 when allow_ignore); the message matches src/kernels/ts/ops.ts.
void check_ids(Napi::Env env, const char* name, const int32_t* ids, long n, long V, bool allow_ignore) {
  for (long i = 0; i < n; ++i) {
    long t = ids[i];
    if ((t < 0 || t >= V) && !(allow_ignore && t == -100))
      throw_range(env, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(t) + " is outside [0, " +
                           std::to_string(V) + ")" + (allow_ignore ? " and is not -100" : ""));
  }
}

// fp32 view of a C-element weight vector (bf16 widened into `store`).
const float* widen_weights(const Weights& w, long C, std::vector<float>& store) {
  if (!w.bf16) return w.f32();
  store.resize(static_cast<size_t>(C));
  for (long j = 0; j < C; ++j) store[j] = bf16_to_f32(w.b16()[j]);
  return store.data();
}

template <typename A, typename B, typename S>
A pick(A avx512, B avx2, S scalar) {
  switch (active_isa()) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    default: return scalar;
  }
}

// ---------------------------------------------------------------- RMSNorm

Napi::Value RmsnormForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "rmsnormForward: N", 0);
  long C = int_arg(info, 1, "rmsnormForward: C", 1);
  float eps = static_cast<float>(num_arg(info, 2, "rmsnormForward: eps"));
  size_t NC = checked_mul(env, "rmsnormForward", N, C);
  const float* x = f32_arg(info, 3, "rmsnormForward: x", NC);
  Weights w = weights_arg(info, 4, "rmsnormForward: w", C);
  float* y = f32_arg(info, 5, "rmsnormForward: y", NC);
  float* rstd = f32_arg(info, 6, "rmsnormForward: rstd", N);
  std::vector<float> store;
  const float* wf = widen_weights(w, C, store);
  auto sumsq = pick(ops::sumsq_512, ops::sumsq_256, ops::sumsq_1);
  auto scale = pick(ops::scale_row_512, ops::scale_row_256, ops::scale_row_1);
  parallel_rows(N, rows_per_chunk(C), [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      const float* xr = x + i * C;
      float r = 1.0f / std::sqrt(sumsq(C, xr) / static_cast<float>(C) + eps);
      rstd[i] = r;
      scale(C, xr, r, wf, y + i * C);
    }
  });
  return env.Undefined();
}

Napi::Value RmsnormBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "rmsnormBackward: N", 0);
  long C = int_arg(info, 1, "rmsnormBackward: C", 1);
  size_t NC = checked_mul(env, "rmsnormBackward", N, C);
  const float* x = f32_arg(info, 2, "rmsnormBackward: x", NC);
  Weights w = weights_arg(info, 3, "rmsnormBackward: w", C);
  const float* rstd = f32_arg(info, 4, "rmsnormBackward: rstd", N);
  const float* dy = f32_arg(info, 5, "rmsnormBackward: dy", NC);
  float* dx = f32_arg(info, 6, "rmsnormBackward: dx", NC);
  float* dw = f32_opt(info, 7, "rmsnormBackward: dw", C);
  std::vector<float> store;
  const float* wf = widen_weights(w, C, store);
  auto row = pick(ops::rms_bwd_row_512, ops::rms_bwd_row_256, ops::rms_bwd_row_1);
  auto dwrow = pick(ops::dw_row_512, ops::dw_row_256, ops::dw_row_1);
  // One pass over the rows; each chunk of rows sums its dw into its own partial (race-free), and
  // the partials are added to dw in order. At most 4 chunks whatever the thread count (what one
  // thread always used), so dw has the same bits on any number of threads.
  Split s = split(N, rows_per_chunk(C), 4);
  std::vector<float> partial(dw ? static_cast<size_t>(s.count) * C : 0, 0.0f);
  run_split(N, s, [&](int task, long b, long e) {
    float* acc = dw ? partial.data() + static_cast<size_t>(task) * C : nullptr;
    for (long i = b; i < e; ++i) {
      // dw before dx: dx may alias dy.
      if (acc) dwrow(C, x + i * C, dy + i * C, rstd[i], acc);
      row(C, x + i * C, wf, rstd[i], dy + i * C, dx + i * C);
    }
  });
  if (dw) {
    for (int t = 0; t < s.count; ++t) {
      const float* p = partial.data() + static_cast<size_t>(t) * C;
      for (long j = 0; j < C; ++j) dw[j] += p[j];
    }
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- RoPE

Napi::Value Rope(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "rope: N", 0);
  long H = int_arg(info, 1, "rope: H", 1);
  long D = int_arg(info, 2, "rope: D", 2);
  if (D % 2 != 0) throw_range(env, "rope: D must be even, got " + std::to_string(D));
  size_t NHD = checked_mul(env, "rope", checked_mul(env, "rope", N, H), D);
  float* x = f32_arg(info, 3, "rope: x", NHD);
  const int32_t* pos = i32_arg(info, 4, "rope: positions", N);
  const long half = D / 2;
  size_t table_len = 0;
  const float* cs = f32_any(info, 5, "rope: cos", &table_len);
  if (table_len % half != 0)
    throw_range(env, "rope: cos has " + std::to_string(table_len) + " elements, expected a multiple of D/2 = " +
                         std::to_string(half));
  const float* sn = f32_arg(info, 6, "rope: sin", table_len);
  bool inverse = bool_arg(info, 7, "rope: inverse");
  check_ids(env, "rope: positions", pos, N, static_cast<long>(table_len / half), false);
  auto head = pick(ops::rope_head_512, ops::rope_head_256, ops::rope_head_1);
  parallel_rows(N, rows_per_chunk(H * D), [&](long b, long e) {
    for (long n = b; n < e; ++n) {
      const float* c = cs + static_cast<long>(pos[n]) * half;
      const float* s = sn + static_cast<long>(pos[n]) * half;
      for (long h = 0; h < H; ++h) head(half, x + (n * H + h) * D, c, s, inverse);
    }
  });
  return env.Undefined();
}

// ---------------------------------------------------------------- SwiGLU

Napi::Value SwigluForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long n = int_arg(info, 0, "swigluForward: n", 0);
  const float* g = f32_arg(info, 1, "swigluForward: g", n);
  const float* u = f32_arg(info, 2, "swigluForward: u", n);
  float* h = f32_arg(info, 3, "swigluForward: h", n);
  auto fn = pick(ops::swiglu_fwd_512, ops::swiglu_fwd_256, ops::swiglu_fwd_1);
  parallel_rows(n, kMinWork, [&](long b, long e) { fn(e - b, g + b, u + b, h + b); });
  return env.Undefined();
}

Napi::Value SwigluBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long n = int_arg(info, 0, "swigluBackward: n", 0);
  const float* g = f32_arg(info, 1, "swigluBackward: g", n);
  const float* u = f32_arg(info, 2, "swigluBackward: u", n);
  const float* dh = f32_arg(info, 3, "swigluBackward: dh", n);
  float* dg = f32_arg(info, 4, "swigluBackward: dg", n);
  float* du = f32_arg(info, 5, "swigluBackward: du", n);
  auto fn = pick(ops::swiglu_bwd_512, ops::swiglu_bwd_256, ops::swiglu_bwd_1);
  parallel_rows(n, kMinWork, [&](long b, long e) { fn(e - b, g + b, u + b, dh + b, dg + b, du + b); });
  return env.Undefined();
}

// ---------------------------------------------------------------- cross-entropy

Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "crossEntropyForward: N", 0);
  long V = int_arg(info, 1, "crossEntropyForward: V", 1);
  size_t NV = checked_mul(env, "crossEntropyForward", N, V);
  const float* logits = f32_arg(info, 2, "crossEntropyForward: logits", NV);
  const int32_t* targets = i32_arg(info, 3, "crossEntropyForward: targets", N);
  float* losses = f32_arg(info, 4, "crossEntropyForward: losses", N);
  float* lse = f32_arg(info, 5, "crossEntropyForward: lse", N);
  check_ids(env, "crossEntropyForward: targets", targets, N, V, true);
  auto row_lse = pick(ops::row_lse_512, ops::row_lse_256, ops::row_lse_1);
  parallel_rows(N, rows_per_chunk(V), [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      const float* x = logits + i * V;
      float l = row_lse(V, x);
      lse[i] = l;
      int32_t t = targets[i];
      losses[i] = t == -100 ? 0.0f : l - x[t];
    }
  });
  return env.Undefined();
}

Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "crossEntropyBackward: N", 0);
  long V = int_arg(info, 1, "crossEntropyBackward: V", 1);
  size_t NV = checked_mul(env, "crossEntropyBackward", N, V);
  const float* logits = f32_arg(info, 2, "crossEntropyBackward: logits", NV);
  const int32_t* targets = i32_arg(info, 3, "crossEntropyBackward: targets", N);
  const float* lse = f32_arg(info, 4, "crossEntropyBackward: lse", N);
  const float* dloss = f32_arg(info, 5, "crossEntropyBackward: dloss", N);
  float* dlogits = f32_arg(info, 6, "crossEntropyBackward: dlogits", NV);
  check_ids(env, "crossEntropyBackward: targets", targets, N, V, true);
  auto grad = pick(ops::ce_grad_row_512, ops::ce_grad_row_256, ops::ce_grad_row_1);
  parallel_rows(N, rows_per_chunk(V), [&](long b, long e) {
    for (long i = b; i < e; ++i) {
      float* out = dlogits + i * V;
      int32_t t = targets[i];
      if (t == -100) {
        std::fill(out, out + V, 0.0f);
        continue;
      }
      // Element j is read before it is written, so out may be the logits row itself.
      grad(V, logits + i * V, lse[i], dloss[i], out);
      out[t] -= dloss[i];
    }
  });
  return env.Undefined();
}

// ---------------------------------------------------------------- embedding

Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "embeddingForward: N", 0);
  long C = int_arg(info, 1, "embeddingForward: C", 1);
  long V = int_arg(info, 2, "embeddingForward: V", 1);
  Weights table = weights_arg(info, 3, "embeddingForward: table", checked_mul(env, "embeddingForward", V, C));
  const int32_t* ids = i32_arg(info, 4, "embeddingForward: ids", N);
  float* out = f32_arg(info, 5, "embeddingForward: out", checked_mul(env, "embeddingForward", N, C));
  check_ids(env, "embeddingForward: ids", ids, N, V, false);
  if (!table.bf16) {
    const float* t = table.f32();
    parallel_rows(N, rows_per_chunk(C), [&](long b, long e) {
      for (long i = b; i < e; ++i) std::memcpy(out + i * C, t + static_cast<long>(ids[i]) * C, C * sizeof(float));
    });
  } else {
    const uint16_t* t = table.b16();
    Isa isa = active_isa();
    parallel_rows(N, rows_per_chunk(C), [&](long b, long e) {
      for (long i = b; i < e; ++i) {
        const uint16_t* src = t + static_cast<long>(ids[i]) * C;
        float* dst = out + i * C;
        if (isa == Isa::Avx512) ops::widen_512(C, src, dst);
        else if (isa == Isa::Avx2) ops::widen_256(C, src, dst);
        else for (long j = 0; j < C; ++j) dst[j] = bf16_to_f32(src[j]);
      }
    });
  }
  return env.Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long N = int_arg(info, 0, "embeddingBackward: N", 0);
  long C = int_arg(info, 1, "embeddingBackward: C", 1);
  long V = int_arg(info, 2, "embeddingBackward: V", 1);
  const int32_t* ids = i32_arg(info, 3, "embeddingBackward: ids", N);
  const float* dout = f32_arg(info, 4, "embeddingBackward: dout", checked_mul(env, "embeddingBackward", N, C));
  float* dtable = f32_arg(info, 5, "embeddingBackward: dtable", checked_mul(env, "embeddingBackward", V, C));
  check_ids(env, "embeddingBackward: ids", ids, N, V, false);
  auto add = pick(ops::add_512, ops::add_256, ops::add_1);
  // Parallel over column blocks of 16: every task walks all N rows in order for its own columns,
  // so repeated ids never race and the sums are added in the same order as the sequential loop.
  long blocks = (C + 15) / 16;
  long min_blocks = std::max(1L, kMinWork / std::max(1L, N * 16));
  parallel_rows(blocks, min_blocks, [&](long b, long e) {
    long c0 = b * 16, c1 = std::min(C, e * 16);
    for (long i = 0; i < N; ++i) {
      float* row = dtable + static_cast<long>(ids[i]) * C + c0;
      add(c1 - c0, row, dout + i * C + c0, row);
    }
  });
  return env.Undefined();
}

// ---------------------------------------------------------------- add

Napi::Value Add(const Napi::CallbackInfo& info) {
  long n = int_arg(info, 0, "add: n", 0);
  const float* a = f32_arg(info, 1, "add: a", n);
  const float* b = f32_arg(info, 2, "add: b", n);
  float* out = f32_arg(info, 3, "add: out", n);
  auto fn = pick(ops::add_512, ops::add_256, ops::add_1);
  // Memory-bound: two threads only pay off on big arrays.
  parallel_rows(n, 1L << 18, [&](long b0, long e) { fn(e - b0, a + b0, b + b0, out + b0); });
  return info.Env().Undefined();
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  long n = int_arg(info, 0, "scale: n", 0);
  const float* x = f32_arg(info, 1, "scale: x", n);
  const float s = static_cast<float>(num_arg(info, 2, "scale: s"));
  float* out = f32_arg(info, 3, "scale: out", n);
  auto fn = pick(ops::scale_512, ops::scale_256, ops::scale_1);
  parallel_rows(n, 1L << 18, [&](long b, long e) { fn(e - b, x + b, s, out + b); });
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- AdamW

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long n = int_arg(info, 0, "adamw: n", 0);
  float* p = f32_arg(info, 1, "adamw: param", n);
  const float* g = f32_arg(info, 2, "adamw: grad", n);
  float* m = f32_arg(info, 3, "adamw: m", n);
  float* v = f32_arg(info, 4, "adamw: v", n);
  double lr = num_arg(info, 5, "adamw: lr");
  double beta1 = num_arg(info, 6, "adamw: beta1");
  double beta2 = num_arg(info, 7, "adamw: beta2");
  double eps = num_arg(info, 8, "adamw: eps");
  double wd = num_arg(info, 9, "adamw: weightDecay");
  long step = int_arg(info, 10, "adamw: step", 1);
  // Scalars as Python computes them (double), rounded to fp32 as torch applies them to a float tensor.
  double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  ops::AdamScalars s;
  s.decay = static_cast<float>(1.0 - lr * wd);
  s.b1 = static_cast<float>(beta1);
  s.omb1 = static_cast<float>(1.0 - beta1);
  s.b2 = static_cast<float>(beta2);
  s.omb2 = static_cast<float>(1.0 - beta2);
  s.step_size = static_cast<float>(lr / bc1);
  s.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  s.eps = static_cast<float>(eps);
  auto fn = pick(ops::adamw_512, ops::adamw_256, ops::adamw_1);
  parallel_rows(n, kMinWork, [&](long b, long e) { fn(e - b, p + b, g + b, m + b, v + b, s); });
  return env.Undefined();
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("rmsnormForward", Napi::Function::New(env, RmsnormForward));
  exports.Set("rmsnormBackward", Napi::Function::New(env, RmsnormBackward));
  exports.Set("rope", Napi::Function::New(env, Rope));
  exports.Set("swigluForward", Napi::Function::New(env, SwigluForward));
  exports.Set("swigluBackward", Napi::Function::New(env, SwigluBackward));
  exports.Set("crossEntropyForward", Napi::Function::New(env, CrossEntropyForward));
  exports.Set("crossEntropyBackward", Napi::Function::New(env, CrossEntropyBackward));
  exports.Set("embeddingForward", Napi::Function::New(env, EmbeddingForward));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("add", Napi::Function::New(env, Add));
  exports.Set("scale", Napi::Function::New(env, Scale));
}

}  // namespace seal
