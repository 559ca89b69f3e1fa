// The Node-API entry point: machine facts and thread control here; each kernel family registers
// its own functions from its own file.
#include <napi.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <immintrin.h>

#include <atomic>
#include <vector>

#include "cpu.h"
#include "threadpool.h"

namespace seal {
void register_gemm(Napi::Env env, Napi::Object exports);
void register_attention(Napi::Env env, Napi::Object exports);
void register_ops(Napi::Env env, Napi::Object exports);
}  // namespace seal

using namespace seal;

static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuFeatures& c = cpu_features();
  Napi::Object out = Napi::Object::New(env);
  Napi::Object features = Napi::Object::New(env);
  features.Set("avx2", c.avx2);
  features.Set("fma", c.fma);
  features.Set("f16c", c.f16c);
  features.Set("avx512f", c.avx512f);
  features.Set("avx512bw", c.avx512bw);
  features.Set("avx512vl", c.avx512vl);
  features.Set("avx512dq", c.avx512dq);
  features.Set("avx512bf16", c.avx512bf16);
  out.Set("features", features);
  out.Set("isa", isa_name(active_isa()));
  out.Set("isaNote", isa_note());
  out.Set("threads", pool().threads());
  return out;
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads must be a number");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 256) throw Napi::RangeError::New(info.Env(), "threads must be in [1, 256]");
  set_threads(n);
  return info.Env().Undefined();
}

// Tests: `iterations` jobs of 1..8 tasks with varying work, back to back, the pattern that exposes
// races between a late worker and the next job. Returns how many jobs ran a wrong task count.
static Napi::Value StressPool(const Napi::CallbackInfo& info) {
  long iterations = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : 0;
  unsigned x = 12345;
  long wrong = 0;
  for (long it = 0; it < iterations; ++it) {
    x = x * 1664525u + 1013904223u;
    int tasks = 1 + static_cast<int>((x >> 24) % 8);
    int spin = static_cast<int>((x >> 16) % 3) == 2 ? 200 : 0;
    std::atomic<int> ran{0};
    pool().parallel_for(tasks, [&](int, int) {
      ran.fetch_add(1);
      for (volatile int i = 0; i < spin; i = i + 1) {}
    });
    if (ran.load() != tasks) ++wrong;
  }
  return Napi::Number::New(info.Env(), static_cast<double>(wrong));
}

// The GEMV bench's DRAM peer: a plain read loop (AVX2 sums, no arithmetic worth the name) over the
// very bytes a GEMV reads, one contiguous slice per pool thread. Timing it over the same buffers
// takes the physical placement of the memory, which differs from one allocation to the next on
// these VMs by up to a third, out of the ratio. Not a kernel: nothing but the bench calls it.
__attribute__((target("avx2"))) static double sum_avx2(const float* p, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + i + 24));
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  double s = 0;
  for (float v : lanes) s += v;
  for (; i < n; i++) s += p[i];
  return s;
}

static Napi::Value ReadSum(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray())
    throw Napi::TypeError::New(info.Env(), "readSum: expected a typed array");
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  const float* p = reinterpret_cast<const float*>(static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
  const size_t n = a.ByteLength() / 4;
  const int threads = pool().threads();
  const bool avx2 = cpu_features().avx2;
  std::vector<double> sums(threads, 0.0);
  pool().parallel_for(threads, [&](int t, int) {
    size_t b = n / threads * t, e = t == threads - 1 ? n : n / threads * (t + 1);
    double s = 0;
    if (avx2) s = sum_avx2(p + b, e - b);
    else for (size_t i = b; i < e; i++) s += p[i];
    sums[t] = s;
  });
  double total = 0;
  for (double s : sums) total += s;
  return Napi::Number::New(info.Env(), total);
}

// Tests use this to run every dispatch path in one process. Returns the path actually set.
static Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  Isa want;
  if (name == "avx512") want = Isa::Avx512;
  else if (name == "avx2") want = Isa::Avx2;
  else if (name == "scalar") want = Isa::Scalar;
  else throw Napi::TypeError::New(info.Env(), "setIsa: expected 'avx512', 'avx2' or 'scalar'");
  return Napi::String::New(info.Env(), isa_name(set_isa(want)));
}

// Training frees and reallocates the same activation sizes every step. By default glibc returns
// such blocks to the OS and the next step faults fresh zeroed pages back in, which on VMs costs
// more than the arithmetic (measured: a third of a LoRA step). Keep blocks up to the largest
// mmap threshold glibc allows (32 MB) on the heap, and do not trim it.
static void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  keep_freed_memory();
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("stressPool", Napi::Function::New(env, StressPool));
  exports.Set("readSum", Napi::Function::New(env, ReadSum));
  register_gemm(env, exports);
  register_attention(env, exports);
  register_ops(env, exports);
  return exports;
}

NODE_API_MODULE(seal_native, Init)
