// Node-API entry points for gemm and gemv (the kernels live in gemm_kernels.h).
//   gemm(transA, transB, m, n, k, alpha, a, b, beta, c)
//   gemv(rows, cols, w, x, beta, y)
// Every argument is read through napi_util.h, so a wrong type is a TypeError and a wrong array
// length a RangeError naming the argument, before any kernel runs.
#include <napi.h>

#include <string>

#include "gemm_kernels.h"
#include "napi_util.h"

namespace seal {
namespace {

// a·b as an element count, or a RangeError when it cannot be a typed array's length.
size_t checked_count(Napi::Env env, const char* what, long a, long b) {
  unsigned long long r;
  if (__builtin_mul_overflow(static_cast<unsigned long long>(a), static_cast<unsigned long long>(b), &r) ||
      r > (1ULL << 50))
    throw_range(env, std::string(what) + " would need " + std::to_string(a) + "×" + std::to_string(b) +
                         " elements, which is too many");
  return static_cast<size_t>(r);
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool transA = bool_arg(info, 0, "gemm: transA");
  bool transB = bool_arg(info, 1, "gemm: transB");
  long m = int_arg(info, 2, "gemm: m", 0, 1L << 31);
  long n = int_arg(info, 3, "gemm: n", 0, 1L << 31);
  long k = int_arg(info, 4, "gemm: k", 0, 1L << 31);
  double alpha = num_arg(info, 5, "gemm: alpha");
  float* a = f32_arg(info, 6, "gemm: a", checked_count(env, "gemm: a", m, k));
  Weights b = weights_arg(info, 7, "gemm: b", checked_count(env, "gemm: b", k, n));
  double beta = num_arg(info, 8, "gemm: beta");
  float* c = f32_arg(info, 9, "gemm: c", checked_count(env, "gemm: c", m, n));
  gemm::sgemm(transA, transB, m, n, k, static_cast<float>(alpha), a, b.data, b.bf16, static_cast<float>(beta), c);
  return env.Undefined();
}

Napi::Value Gemv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long rows = int_arg(info, 0, "gemv: rows", 0, 1L << 31);
  long cols = int_arg(info, 1, "gemv: cols", 0, 1L << 31);
  Weights w = weights_arg(info, 2, "gemv: w", checked_count(env, "gemv: w", rows, cols));
  float* x = f32_arg(info, 3, "gemv: x", static_cast<size_t>(cols));
  double beta = num_arg(info, 4, "gemv: beta");
  float* y = f32_arg(info, 5, "gemv: y", static_cast<size_t>(rows));
  gemm::sgemv(rows, cols, w.data, w.bf16, x, static_cast<float>(beta), y);
  return env.Undefined();
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("gemv", Napi::Function::New(env, Gemv, "gemv"));
}

}  // namespace seal
