#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace seal {

const CpuFeatures& cpu_features() {
  static CpuFeatures f = [] {
    CpuFeatures c;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    c.avx2 = __builtin_cpu_supports("avx2");
    c.fma = __builtin_cpu_supports("fma");
    c.f16c = true;  // every AVX2 CPU we target has it; checked again below via cpuid
    c.avx512f = __builtin_cpu_supports("avx512f");
    c.avx512bw = __builtin_cpu_supports("avx512bw");
    c.avx512vl = __builtin_cpu_supports("avx512vl");
    c.avx512dq = __builtin_cpu_supports("avx512dq");
    unsigned eax, ebx, ecx, edx;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    c.f16c = (ecx >> 29) & 1;
    // AVX512_BF16: CPUID.(EAX=7,ECX=1):EAX bit 5.
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(1));
    c.avx512bf16 = c.avx512f && ((eax >> 5) & 1);
#endif
    return c;
  }();
  return f;
}

static std::string& note_slot() {
  static std::string note;
  return note;
}

const std::string& isa_note() {
  active_isa();
  return note_slot();
}

static Isa best_isa() {
  const CpuFeatures& c = cpu_features();
  Isa best = Isa::Scalar;
  if (c.avx2 && c.fma && c.f16c) best = Isa::Avx2;
  if (best == Isa::Avx2 && c.avx512f && c.avx512bw && c.avx512vl && c.avx512dq) best = Isa::Avx512;
  return best;
}

static std::atomic<int>& isa_slot() {
  static std::atomic<int> slot{-1};
  return slot;
}

Isa set_isa(Isa want) {
  Isa best = best_isa();
  if (static_cast<int>(want) > static_cast<int>(best)) want = best;
  active_isa();  // make sure the env default has been read first
  isa_slot().store(static_cast<int>(want));
  return want;
}

Isa active_isa() {
  int current = isa_slot().load(std::memory_order_relaxed);
  if (current >= 0) return static_cast<Isa>(current);
  static Isa initial = [] {
    Isa best = best_isa();
    const char* env = std::getenv("SEAL_ISA");
    if (env && *env) {
      Isa want = best;
      if (!std::strcmp(env, "scalar")) want = Isa::Scalar;
      else if (!std::strcmp(env, "avx2")) want = Isa::Avx2;
      else if (!std::strcmp(env, "avx512")) want = Isa::Avx512;
      else note_slot() = std::string("SEAL_ISA=") + env + " is not one of avx512|avx2|scalar; ignored";
      if (static_cast<int>(want) > static_cast<int>(best)) {
        note_slot() = std::string("SEAL_ISA=") + env + " asked for more than this CPU has; using " +
                      isa_name(best);
        want = best;
      }
      best = want;
    }
    return best;
  }();
  int expected = -1;
  isa_slot().compare_exchange_strong(expected, static_cast<int>(initial));
  return static_cast<Isa>(isa_slot().load());
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace seal
