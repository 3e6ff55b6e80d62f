// Speed report for the matmul kernels on Qwen3-VL-2B shapes (label "slow").
// Prints GB/s for one token (weights streamed once) and GFLOP/s for 512 tokens,
// with the share of the threads' wall time the process really got on a CPU
// ("cpu", below 100% on a busy machine); asserts only that results are finite.
// TEAMVL_BENCH_THREADS sets the thread count (default 2).
#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "engine/kernels/matmul.h"
#include "engine/tensor/quants.h"

namespace teamvl::engine {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the whole process (all pool threads, spinning included).
double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct BenchWeight {
  std::vector<uint8_t> bytes;
  WeightView view;
};

BenchWeight make(GgmlType type, int64_t cols, int64_t rows) {
  BenchWeight w;
  const size_t rb = row_bytes(type, cols);
  w.bytes.resize(rb * rows);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = nd(rng);
    (void)quantize_row(type, row.data(), &w.bytes[r * rb], cols);
  }
  w.view = {type, cols, rows, w.bytes.data()};
  return w;
}

struct Timing {
  double wall = 1e9;  // best wall time of one call
  double cpu_share = 0;  // process CPU time / (wall * threads) over all calls: < 1 when others ran
};

// Best time of `reps` runs after one warm-up.
Timing best_time(const WeightView& w, const std::vector<float>& x, int64_t n, std::vector<float>& y,
                 ThreadPool& pool, SimdLevel level, int reps) {
  matmul(w, x.data(), n, y.data(), pool, level);
  Timing t;
  double total_wall = 0;
  const double cpu0 = process_cpu_seconds();
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    matmul(w, x.data(), n, y.data(), pool, level);
    const double s = seconds_since(t0);
    total_wall += s;
    t.wall = std::min(t.wall, s);
  }
  t.cpu_share = (process_cpu_seconds() - cpu0) / (total_wall * pool.size());
  return t;
}

TEST(MatmulBenchSlow, Qwen3Vl2bShapes) {
  const int threads = std::getenv("TEAMVL_BENCH_THREADS") ? std::atoi(std::getenv("TEAMVL_BENCH_THREADS")) : 2;
  ThreadPool pool(threads);
  const SimdLevel level = simd_level();
  std::printf("matmul bench: level %s, %d threads\n", simd_level_name(level), threads);
  struct Shape {
    int64_t cols, rows;
  };
  const Shape shapes[] = {{2048, 2048}, {2048, 6144}, {6144, 2048}};
  const GgmlType types[] = {GgmlType::kQ4_K, GgmlType::kQ8_0, GgmlType::kBF16, GgmlType::kF16,
                            GgmlType::kQ6_K, GgmlType::kQ5_K, GgmlType::kF32};
  const int64_t kPrefill = 512;
  for (GgmlType type : types) {
    for (const Shape& s : shapes) {
      BenchWeight w = make(type, s.cols, s.rows);
      std::vector<float> x(kPrefill * s.cols), y(kPrefill * s.rows);
      std::mt19937 rng(4);
      std::normal_distribution<float> nd(0.0f, 1.0f);
      for (auto& v : x) v = nd(rng);
      const double gb = static_cast<double>(w.bytes.size()) / 1e9;
      const Timing t1 = best_time(w.view, x, 1, y, pool, level, 30);
      const Timing t4 = best_time(w.view, x, 4, y, pool, level, 20);
      const Timing tp = best_time(w.view, x, kPrefill, y, pool, level, 3);
      const double flop = 2.0 * static_cast<double>(s.cols) * s.rows * kPrefill;
      std::printf("%-5s K=%-5lld N=%-5lld  1 tok: %7.1f us %6.1f GB/s (cpu %3.0f%%) | 4 tok: %7.1f us | "
                  "512 tok: %8.2f ms %7.1f GFLOP/s (cpu %3.0f%%)\n",
                  type_name(type).c_str(), static_cast<long long>(s.cols),
                  static_cast<long long>(s.rows), t1.wall * 1e6, gb / t1.wall, 100 * t1.cpu_share,
                  t4.wall * 1e6, tp.wall * 1e3, flop / tp.wall / 1e9, 100 * tp.cpu_share);
      EXPECT_TRUE(std::isfinite(y[0]));
    }
  }
}

}  // namespace
}  // namespace teamvl::engine
