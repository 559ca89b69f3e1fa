// Argument readers for the Node-API bindings. Every kernel entry point reads its arguments through
// these, so a wrong type or a too-short array is a JavaScript exception, never a stray write.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace seal {

[[noreturn]] inline void throw_range(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}
[[noreturn]] inline void throw_type(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

inline long int_arg(const Napi::CallbackInfo& info, size_t i, const char* name, long min = 0,
                    long max = (1L << 40)) {
  if (i >= info.Length() || !info[i].IsNumber()) throw_type(info.Env(), std::string(name) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || v < min || v > max)
    throw_range(info.Env(), std::string(name) + " must be an integer in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "], got " + std::to_string(v));
  return static_cast<long>(v);
}

inline double num_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) throw_type(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) throw_type(info.Env(), std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

inline bool is_null_arg(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

template <typename T, napi_typedarray_type Kind>
inline T* typed_arg(const Napi::CallbackInfo& info, size_t i, const char* name, const char* type_name,
                    size_t need) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != Kind)
    throw_type(info.Env(), std::string(name) + " must be a " + type_name);
  auto arr = info[i].As<Napi::TypedArrayOf<T>>();
  if (arr.ElementLength() != need)
    throw_range(info.Env(), std::string(name) + " has " + std::to_string(arr.ElementLength()) +
                                " elements, expected " + std::to_string(need));
  return arr.Data();
}

inline float* f32_arg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  return typed_arg<float, napi_float32_array>(info, i, name, "Float32Array", need);
}
inline int32_t* i32_arg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  return typed_arg<int32_t, napi_int32_array>(info, i, name, "Int32Array", need);
}
inline float* f32_opt(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  return is_null_arg(info, i) ? nullptr : f32_arg(info, i, name, need);
}
inline int32_t* i32_opt(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  return is_null_arg(info, i) ? nullptr : i32_arg(info, i, name, need);
}

// Weights are fp32 (Float32Array) or bf16 bit patterns (Uint16Array).
struct Weights {
  const void* data = nullptr;
  bool bf16 = false;
  const float* f32() const { return static_cast<const float*>(data); }
  const uint16_t* b16() const { return static_cast<const uint16_t*>(data); }
};

inline Weights weights_arg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  if (i < info.Length() && info[i].IsTypedArray()) {
    auto kind = info[i].As<Napi::TypedArray>().TypedArrayType();
    if (kind == napi_float32_array) return {f32_arg(info, i, name, need), false};
    if (kind == napi_uint16_array)
      return {typed_arg<uint16_t, napi_uint16_array>(info, i, name, "Uint16Array", need), true};
  }
  throw_type(info.Env(), std::string(name) + " must be a Float32Array (fp32) or Uint16Array (bf16)");
}

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

}  // namespace seal
