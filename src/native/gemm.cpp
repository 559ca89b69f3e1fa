// Placeholder until the gemm kernels land.
#include <napi.h>
namespace seal {
void register_gemm(Napi::Env, Napi::Object) {}
}  // namespace seal
