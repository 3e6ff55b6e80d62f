// teamvl_vision_bench: seconds per image for the vision encoder with the
// Qwen3-VL-2B vision shapes (1024 wide, 24 blocks, 16 heads, FFN 4096, patch
// 16, merge 2, DeepStack at 5/11/17), on a 768x768 and a 1536x1024 image of
// random pixels, next to llama.cpp's 10.2 s (768x768, F16 mmproj, 2 threads;
// ../shared/ANCHORS.md).
//
//   teamvl_vision_bench [--mmproj FILE] [--type F16|BF16|F32|Q8_0] [--threads N]
//                       [--reps N] [--profile] [--keep FILE] [--size WxH]...
//
// Without --mmproj a random-weight file of --type (default F16) is written to
// a temporary path (or --keep FILE, reused when it exists) first. "cpu" is
// the process's CPU time over wall time x threads: below 100% when other
// work shared the cores (the machine is shared; compare runs with care).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/image/preprocess.h"
#include "engine/kernels/thread_pool.h"
#include "engine/vision/random_mmproj.h"
#include "engine/vision/vision_model.h"

namespace eng = teamvl::engine;

namespace {

constexpr double kLlamaCppSeconds768 = 10.2;  // ANCHORS.md: F16 vision file, 768x768, encoder loaded

// CPU time of the whole process (all pool threads).
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

eng::RgbImage random_image(int w, int h, uint32_t seed) {
  eng::RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  uint32_t s = seed;
  for (auto& p : img.pixels) {
    s = s * 1664525u + 1013904223u;
    p = static_cast<uint8_t>(s >> 24);
  }
  return img;
}

// Time between debug checkpoints, summed by the stage that ended there.
struct Profile {
  double last = 0;
  std::map<std::string, double> by_stage;
  void mark(const std::string& name) {
    const double t = now();
    std::string stage = name.substr(0, name.find('-'));
    if (stage == "Qcur_rope" || stage == "Kcur_rope") stage = "ln1";  // part of qkv + rope, folded below
    by_stage[stage] += t - last;
    last = t;
  }
};

int usage() {
  std::fprintf(stderr,
               "usage: teamvl_vision_bench [--mmproj FILE] [--type F16|BF16|F32|Q8_0] [--threads N] [--reps N]"
               " [--profile] [--keep FILE] [--size WxH]...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mmproj, keep, type_name = "F16";
  int threads = 2, reps = 1;
  bool profile = false;
  struct Case {
    int w, h;
  };
  std::vector<Case> cases;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--profile") {
      profile = true;
    } else if (a == "--size" && (v = value())) {
      Case c{};
      if (std::sscanf(v, "%dx%d", &c.w, &c.h) != 2 || c.w <= 0 || c.h <= 0) return usage();
      cases.push_back(c);
    } else if ((a == "--mmproj" || a == "--type" || a == "--threads" || a == "--reps" || a == "--keep") &&
               (v = value())) {
      if (a == "--mmproj") mmproj = v;
      if (a == "--type") type_name = v;
      if (a == "--threads") threads = std::atoi(v);
      if (a == "--reps") reps = std::max(1, std::atoi(v));
      if (a == "--keep") keep = v;
    } else {
      return usage();
    }
  }
  std::string tmp;
  if (mmproj.empty()) {
    const std::map<std::string, eng::GgmlType> types = {{"F16", eng::GgmlType::kF16}, {"BF16", eng::GgmlType::kBF16},
                                                        {"F32", eng::GgmlType::kF32}, {"Q8_0", eng::GgmlType::kQ8_0}};
    if (!types.count(type_name)) return usage();
    mmproj = keep.empty() ? (std::filesystem::temp_directory_path() / "teamvl-vision-bench.gguf").string() : keep;
    if (keep.empty() || !std::filesystem::exists(keep)) {
      const double t0 = now();
      const teamvl::Status st = eng::write_random_mmproj(eng::qwen3vl_2b_vision_spec(types.at(type_name)), mmproj);
      if (!st.ok()) {
        std::fprintf(stderr, "cannot write %s: %s\n", mmproj.c_str(), st.to_string().c_str());
        return 1;
      }
      std::printf("wrote %s (%s, Qwen3-VL-2B vision shapes) in %.1f s\n", mmproj.c_str(), type_name.c_str(),
                  now() - t0);
    }
    if (keep.empty()) tmp = mmproj;
  }
  const double t_load = now();
  auto model = eng::VisionModel::open(mmproj);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().to_string().c_str());
    return 1;
  }
  const eng::VisionModel& m = **model;
  std::printf("loaded in %.2f s: %s\n  weights %.0f MB, repacked %.0f MB, kernels %s, %d threads\n", now() - t_load,
              m.hparams().to_string().c_str(), m.weight_bytes() / 1e6, m.packed_bytes() / 1e6,
              eng::simd_level_name(m.level()), threads);
  eng::ThreadPool pool(threads);
  if (cases.empty()) cases = {{768, 768}, {1536, 1024}};
  for (const Case c : cases) {
    auto pre = eng::preprocess_image(random_image(c.w, c.h, 42), m.preprocess_params(std::max(c.w, c.h)));
    if (!pre.ok()) {
      std::fprintf(stderr, "%s\n", pre.status().to_string().c_str());
      return 1;
    }
    const int64_t patches = int64_t{pre->layout.patches_x} * pre->layout.patches_y;
    double best = 1e30, cpu_share = 0;
    Profile prof;
    for (int r = 0; r < reps; ++r) {
      prof = Profile{};
      eng::VisionDebugFn dbg;
      if (profile) dbg = [&](const std::string& name, const float*, int64_t, int64_t) { prof.mark(name); };
      const double t0 = now(), c0 = cpu_now();
      prof.last = t0;
      auto e = m.encode(*pre, pool, dbg);
      const double s = now() - t0;
      if (s < best) cpu_share = (cpu_now() - c0) / (s * threads);
      if (!e.ok()) {
        std::fprintf(stderr, "%s\n", e.status().to_string().c_str());
        return 1;
      }
      if (profile) prof.by_stage["merger (post_ln..end)"] += now() - prof.last;
      best = std::min(best, s);
    }
    const double gflop = m.flops(patches) / 1e9;
    std::printf("%4dx%-4d -> %d tokens (%lld patches): %.2f s per image, %.0f GFLOP, %.1f GFLOP/s (cpu %.0f%%)",
                c.w, c.h, pre->layout.n_tokens, static_cast<long long>(patches), best, gflop, gflop / best,
                100 * cpu_share);
    if (c.w == 768 && c.h == 768) {
      std::printf("  | llama.cpp %.1f s -> %.2fx its speed", kLlamaCppSeconds768, kLlamaCppSeconds768 / best);
    }
    std::printf("\n");
    if (profile) {
      for (const auto& [stage, t] : prof.by_stage) std::printf("    %-24s %.2f s\n", stage.c_str(), t);
    }
  }
  if (!tmp.empty()) std::filesystem::remove(tmp);
  return 0;
}
