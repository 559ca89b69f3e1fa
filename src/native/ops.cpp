// Placeholder until the ops kernels land.
#include <napi.h>
namespace seal {
void register_ops(Napi::Env, Napi::Object) {}
}  // namespace seal
