// What the CPU can do, and which kernel path we use. SEAL_ISA=avx512|avx2|scalar forces a lower
// path (never a higher one than the CPU has), so every path can be tested on one machine.
#pragma once
#include <string>

namespace seal {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512bf16 = false;
};

const CpuFeatures& cpu_features();
Isa active_isa();  // from SEAL_ISA or the best the CPU has, until set_isa
// Switch path at run time (tests run every path in one process); capped at what the CPU has.
Isa set_isa(Isa want);
const char* isa_name(Isa isa);
// Set when SEAL_ISA asked for something the CPU lacks or did not parse.
const std::string& isa_note();

}  // namespace seal

// Per-function target attributes: one binary holds every path; dispatch happens at run time.
#define SEAL_AVX2 __attribute__((target("avx2,fma,f16c")))
#define SEAL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define SEAL_AVX512BF16 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")))
