// What the CPU can run, detected once (cpuid + OS register-state check), and
// which SIMD level the kernels use. Immutable after first use: thread-safe.
#pragma once

namespace teamvl::engine {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
};

// The detected features (not affected by TEAMVL_CPU).
const CpuFeatures& cpu_features();

// Kernel families, in increasing order of capability.
enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// Best level the CPU supports (kAvx2 needs AVX2+FMA+F16C; kAvx512 needs
// F/BW/VL/DQ/VNNI), lowered by env TEAMVL_CPU=scalar|avx2|avx512 (read once).
SimdLevel simd_level();
// Whether `level` can run on this CPU.
bool simd_level_supported(SimdLevel level);
const char* simd_level_name(SimdLevel level);

}  // namespace teamvl::engine
