#include "engine/kernels/cpu_features.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"

namespace teamvl::engine {
namespace {

uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  if (!osxsave || !avx) return CpuFeatures{};
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_ok = (xcr0 & 0x6) == 0x6;
  const bool zmm_ok = (xcr0 & 0xe6) == 0xe6;
  if (!ymm_ok) return CpuFeatures{};
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = (b >> 5) & 1;
  if (zmm_ok) {
    f.avx512f = (b >> 16) & 1;
    f.avx512dq = (b >> 17) & 1;
    f.avx512bw = (b >> 30) & 1;
    f.avx512vl = (b >> 31) & 1;
    f.avx512vnni = (c >> 11) & 1;
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512bf16 = (a >> 5) & 1;
  }
  return f;
}

SimdLevel best_level(const CpuFeatures& f) {
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni && f.avx2 && f.fma &&
      f.f16c) {
    return SimdLevel::kAvx512;
  }
  if (f.avx2 && f.fma && f.f16c) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

SimdLevel chosen_level() {
  SimdLevel best = best_level(cpu_features());
  const char* env = std::getenv("TEAMVL_CPU");
  if (!env || !*env) return best;
  SimdLevel want = best;
  if (std::strcmp(env, "scalar") == 0) {
    want = SimdLevel::kScalar;
  } else if (std::strcmp(env, "avx2") == 0) {
    want = SimdLevel::kAvx2;
  } else if (std::strcmp(env, "avx512") == 0) {
    want = SimdLevel::kAvx512;
  } else {
    log_warn("engine", std::string("TEAMVL_CPU='") + env + "' not understood (scalar|avx2|avx512)");
  }
  if (want > best) {
    log_warn("engine", std::string("TEAMVL_CPU=") + env + " is not supported by this CPU; using " +
                           simd_level_name(best));
    return best;
  }
  return want;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

SimdLevel simd_level() {
  static const SimdLevel level = chosen_level();
  return level;
}

bool simd_level_supported(SimdLevel level) { return level <= best_level(cpu_features()); }

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar: return "scalar";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kAvx512: return "avx512";
  }
  return "unknown";
}

}  // namespace teamvl::engine
