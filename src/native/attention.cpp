// Placeholder until the attention kernels land.
#include <napi.h>
namespace seal {
void register_attention(Napi::Env, Napi::Object) {}
}  // namespace seal
