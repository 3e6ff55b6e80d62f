// teamvl_text_bench: text-engine speed on Qwen3-VL-2B's text shapes (random
// weights), next to llama.cpp's numbers from ../shared/ANCHORS.md.
//
//   teamvl_text_bench [--model FILE]... [--models-dir DIR] [--type Q4_K_M|Q8_0|...]...
//                     [--threads N] [--reps N] [--skip-aggregate]
//                     [--only prefill|decode|aggregate]
//
// Without --model, a model of each --type (default Q4_K_M and Q8_0) is written
// once into --models-dir (default ./bench-models) and reused afterwards.
// Measures, through the engine facade (Engine -> Runner::add/step/last_step):
//   prefill    one 512-token prompt in one step: 512 / step time
//   decode     128 tokens of one sequence after a short prompt: 128 / their steps
//   agg N      N sequences with their own 128-token prompts, 64 generated tokens
//              each: tokens sampled in decode-only steps / time of those steps
// GB/s is the weight bytes streamed per forward pass x passes / time. "cpu" is
// process CPU time / (wall time x threads): below 100% when the pool waited
// (other work sharing the cores, or idle threads). Each number is the median
// over --reps runs (default 3).
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace eng = teamvl::engine;

namespace {

// ANCHORS.md: llama.cpp, 2 threads, same shapes (medians of 3 runs).
struct Anchor {
  double prefill, decode, agg1, agg4, agg8;
};
const std::map<std::string, Anchor> kAnchors = {
    {"Q4_K_M", {92.6, 24.4, 19.3, 25.3, 32.9}},
    {"Q8_0", {67.3, 14.1, 13.3, 17.1, 26.5}},
    {"BF16", {128.9, 12.5, 0, 0, 0}},
};

// general.file_type ids (llama.cpp's LLAMA_FTYPE_*) of the anchored presets.
std::string file_type_name(int64_t id) {
  switch (id) {
    case 0: return "F32";
    case 1: return "F16";
    case 7: return "Q8_0";
    case 15: return "Q4_K_M";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 32: return "BF16";
    default: return "ftype " + std::to_string(id);
  }
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Ordinary-text-like ids: away from the special tokens at the top of the vocabulary.
std::vector<int32_t> random_prompt(int32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(1000, 100000);
  std::vector<int32_t> ids(n);
  for (auto& t : ids) t = id(rng);
  return ids;
}

eng::GenerationRequest request(int32_t prompt_tokens, int32_t max_tokens, uint32_t seed) {
  eng::GenerationRequest r;
  r.owner = "bench";
  r.prompt = eng::Prompt(random_prompt(prompt_tokens, seed));
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  r.reuse_prefix = false;  // every run computes its prompt
  return r;
}

// One measured phase: tokens, forward passes and the time they took.
struct Phase {
  int64_t tokens = 0;
  int64_t passes = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  double tok_s() const { return seconds > 0 ? static_cast<double>(tokens) / seconds : 0; }
};

enum class StepKind { kPrefillOnly, kDecodeOnly, kMixed, kIdle };

StepKind kind_of(const eng::StepStats& s) {
  if (s.n_prefill > 0 && s.n_decode == 0) return StepKind::kPrefillOnly;
  if (s.n_prefill == 0 && s.n_decode > 0) return StepKind::kDecodeOnly;
  if (s.n_prefill > 0) return StepKind::kMixed;
  return StepKind::kIdle;
}

// Adds `requests`, steps until all are done; returns (prefill-only, decode-only) phases.
// Decode tokens: sequences in decode-only steps (each samples one token).
std::pair<Phase, Phase> run(eng::Runner& runner, std::vector<eng::GenerationRequest> requests) {
  for (auto& r : requests) {
    auto id = runner.add(std::move(r));
    if (!id.ok()) {
      std::fprintf(stderr, "add: %s\n", id.status().message().c_str());
      std::exit(1);
    }
  }
  Phase prefill, decode;
  while (!runner.idle()) {
    const double c0 = cpu_now();
    for (const eng::Event& e : runner.step()) {
      if (e.kind == eng::Event::Kind::kFinished && e.reason != eng::FinishReason::kMaxTokens) {
        std::fprintf(stderr, "sequence %lld ended early: %s %s\n", static_cast<long long>(e.seq),
                     eng::finish_reason_name(e.reason), e.error.message().c_str());
        std::exit(1);
      }
    }
    const double cpu = cpu_now() - c0;
    const eng::StepStats& s = runner.last_step();
    Phase* p = nullptr;
    switch (kind_of(s)) {
      case StepKind::kPrefillOnly: p = &prefill; p->tokens += s.n_prefill; break;
      case StepKind::kDecodeOnly: p = &decode; p->tokens += s.n_decode; break;
      default: break;
    }
    if (p) {
      p->passes++;
      p->seconds += s.seconds;
      p->cpu_seconds += cpu;
    }
  }
  return {prefill, decode};
}

// Reads every weight byte once with the engine's pool (one word per 64-byte
// line, so memory is the only limit): the bandwidth decode could reach on this
// machine right now. Returns GB/s, best of `reps`.
double weight_read_gb_s(eng::Engine& engine, int reps) {
  struct Chunk {
    const uint8_t* p;
    size_t n;
  };
  std::vector<Chunk> chunks;
  size_t total = 0;
  for (const eng::GgufTensorInfo& t : engine.file().tensors()) {
    const uint8_t* p = engine.file().tensor_data(t);
    for (size_t off = 0; off < t.n_bytes; off += size_t{1} << 20) {
      chunks.push_back({p + off, std::min<size_t>(size_t{1} << 20, t.n_bytes - off)});
    }
    total += t.n_bytes;
  }
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    std::atomic<uint64_t> sink{0};
    const double t0 = now();
    engine.pool().parallel_for(static_cast<int64_t>(chunks.size()), [&](int64_t b, int64_t e) {
      uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (int64_t c = b; c < e; ++c) {
        const uint8_t* p = chunks[c].p;
        const size_t lines = chunks[c].n / 64;
        size_t i = 0;
        for (; i + 4 <= lines; i += 4) {
          __builtin_prefetch(p + (i + 32) * 64);  // as the decode kernels do
          __builtin_prefetch(p + (i + 33) * 64);
          __builtin_prefetch(p + (i + 34) * 64);
          __builtin_prefetch(p + (i + 35) * 64);
          uint64_t w[4];
          for (int k = 0; k < 4; ++k) std::memcpy(&w[k], p + (i + k) * 64, 8);
          a0 += w[0];
          a1 += w[1];
          a2 += w[2];
          a3 += w[3];
        }
      }
      sink.fetch_add(a0 + a1 + a2 + a3, std::memory_order_relaxed);
    });
    best = std::max(best, static_cast<double>(total) / 1e9 / (now() - t0));
  }
  return best;
}

// Bytes of this process mapped with 2 MiB pages (anonymous THP and file
// PMD mappings), from /proc/self/smaps_rollup; -1 where unavailable. Decode
// touches every weight page once per token, and with 4 KiB pages each page
// is a TLB miss (expensive in a virtual machine): this says which case ran.
double huge_page_gb() {
  std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
  if (!f) return -1;
  char line[256];
  double kb = 0;
  bool found = false;
  while (std::fgets(line, sizeof line, f)) {
    long long v = 0;
    if (std::sscanf(line, "AnonHugePages: %lld kB", &v) == 1 || std::sscanf(line, "FilePmdMapped: %lld kB", &v) == 1) {
      kb += static_cast<double>(v);
      found = true;
    }
  }
  std::fclose(f);
  return found ? kb * 1024 / 1e9 : -1;
}

struct Row {
  std::string name;
  std::vector<double> tok_s, gb_s, cpu;
  double anchor = 0;
};

void add_sample(Row& row, const Phase& p, double weight_gb, int threads) {
  row.tok_s.push_back(p.tok_s());
  row.gb_s.push_back(p.seconds > 0 ? weight_gb * static_cast<double>(p.passes) / p.seconds : 0);
  row.cpu.push_back(p.seconds > 0 ? 100.0 * p.cpu_seconds / (p.seconds * threads) : 0);
}

struct Options {
  std::vector<std::string> models;
  std::vector<std::string> types;
  std::string models_dir = "bench-models";
  int threads = 2;
  int reps = 3;
  bool aggregate = true;
  std::string only;  // "prefill", "decode" or "aggregate": run just that (profiling)
};

int usage() {
  std::fprintf(stderr,
               "usage: teamvl_text_bench [--model FILE]... [--models-dir DIR] [--type Q4_K_M|Q8_0|...]..."
               " [--threads N] [--reps N] [--skip-aggregate] [--only prefill|decode|aggregate]\n");
  return 2;
}

// The cached benchmark model of `type`, written first when missing.
std::string ensure_model(const Options& o, const std::string& type) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(o.models_dir) / ("qwen3vl-2b-text-" + type + ".gguf");
  if (fs::exists(path)) return path.string();
  std::error_code ec;
  fs::create_directories(o.models_dir, ec);
  std::printf("writing %s (once; random weights with Qwen3-VL-2B's shapes)...\n", path.c_str());
  std::fflush(stdout);
  const double t0 = now();
  const fs::path tmp = path.string() + ".tmp";
  const teamvl::Status st = eng::write_demo_model(eng::qwen3vl_2b_spec(type), tmp.string());
  if (!st.ok()) {
    std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), st.message().c_str());
    fs::remove(tmp, ec);
    std::exit(1);
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::fprintf(stderr, "cannot rename %s: %s\n", tmp.c_str(), ec.message().c_str());
    std::exit(1);
  }
  std::printf("  written in %.0f s\n", now() - t0);
  return path.string();
}

void print_row(const Row& r) {
  const double tok = median(r.tok_s);
  std::printf("| %-22s | %8.1f | %6.1f | %4.0f%% |", r.name.c_str(), tok, median(r.gb_s), median(r.cpu));
  if (r.anchor > 0) {
    std::printf(" %9.1f | %5.2fx |\n", r.anchor, tok / r.anchor);
  } else {
    std::printf(" %9s | %6s |\n", "-", "-");
  }
}

void bench_model(const Options& o, const std::string& path) {
  eng::EngineOptions eo;
  eo.model_path = path;
  eo.n_threads = o.threads;
  eo.n_ctx = 1024;
  eo.max_batch_tokens = 512;
  auto loaded = eng::Engine::load(eo);
  if (!loaded.ok()) {
    std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), loaded.status().message().c_str());
    std::exit(1);
  }
  eng::Engine& engine = **loaded;
  auto ftype = engine.file().get_int("general.file_type");
  const std::string type = ftype.ok() ? file_type_name(*ftype) : "?";
  const auto anchor_it = kAnchors.find(type);
  const Anchor anchor = anchor_it != kAnchors.end() ? anchor_it->second : Anchor{};
  const double gb = static_cast<double>(engine.weight_bytes()) / 1e9;
  std::printf("\n%s: %s, %.2f GB of weights, %d threads, %d reps (median)\n", path.c_str(), type.c_str(), gb,
              o.threads, o.reps);
  std::fflush(stdout);
  weight_read_gb_s(engine, 1);  // pages the weights in

  eng::RunnerConfig rc;
  rc.n_ctx = eo.n_ctx;
  rc.max_batch_tokens = 512;
  rc.max_sequences = 16;
  auto runner = engine.create_runner(rc);

  // Warm-up: pages the weights in and grows the scratch buffers.
  const bool with_prefill = o.only.empty() || o.only == "prefill";
  run(*runner, {request(with_prefill ? 512 : 16, 4, 1)});

  Row prefill{"prefill 512", {}, {}, {}, anchor.prefill};
  Row decode{"decode 128 (1 seq)", {}, {}, {}, anchor.decode};
  std::vector<Row> agg;
  const int kAggSeqs[] = {1, 4, 8};
  const double kAggAnchors[] = {anchor.agg1, anchor.agg4, anchor.agg8};
  for (int i = 0; i < 3; ++i) {
    agg.push_back(Row{"aggregate " + std::to_string(kAggSeqs[i]) + " seq", {}, {}, {}, kAggAnchors[i]});
  }
  for (int rep = 0; rep < o.reps; ++rep) {
    const uint32_t seed = 100 + 17 * rep;
    if (o.only.empty() || o.only == "prefill") {
      add_sample(prefill, run(*runner, {request(512, 1, seed)}).first, gb, o.threads);
    }
    if (o.only.empty() || o.only == "decode") {
      // One prefill step samples token 1; tokens 2..129 come from 128 decode steps.
      add_sample(decode, run(*runner, {request(8, 129, seed + 1)}).second, gb, o.threads);
    }
    if (!o.aggregate || !(o.only.empty() || o.only == "aggregate")) continue;
    for (int i = 0; i < 3; ++i) {
      std::vector<eng::GenerationRequest> reqs;
      for (int s = 0; s < kAggSeqs[i]; ++s) reqs.push_back(request(128, 64, seed + 2 + 31 * s));
      add_sample(agg[i], run(*runner, std::move(reqs)).second, gb, o.threads);
    }
  }
  const double read_gb_s = weight_read_gb_s(engine, 3);
  std::printf("memory: reading the weights with %d threads runs at %.1f GB/s now, so decode can reach at most"
              " %.1f tok/s\n",
              o.threads, read_gb_s, read_gb_s / gb);
  const double huge = huge_page_gb();
  if (huge >= 0) std::printf("memory in 2 MiB pages: %.2f GB (the rest in 4 KiB pages)\n", huge);
  std::printf("| %-22s | %8s | %6s | %5s | %9s | %6s |\n", "measure", "tok/s", "GB/s", "cpu", "llama.cpp",
              "ratio");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(24, '-').c_str(), std::string(10, '-').c_str(),
              std::string(8, '-').c_str(), std::string(7, '-').c_str(), std::string(11, '-').c_str(),
              std::string(8, '-').c_str());
  if (!prefill.tok_s.empty()) print_row(prefill);
  if (!decode.tok_s.empty()) print_row(decode);
  if (!agg[0].tok_s.empty()) {
    for (const Row& r : agg) print_row(r);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (a == "--model") {
      o.models.push_back(next());
    } else if (a == "--models-dir") {
      o.models_dir = next();
    } else if (a == "--type") {
      o.types.push_back(next());
    } else if (a == "--threads") {
      o.threads = std::atoi(next().c_str());
    } else if (a == "--reps") {
      o.reps = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--only") {
      o.only = next();
      if (o.only != "prefill" && o.only != "decode" && o.only != "aggregate") return usage();
    } else if (a == "--skip-aggregate") {
      o.aggregate = false;
    } else {
      return usage();
    }
  }
  if (o.threads <= 0) return usage();
  std::vector<std::string> paths = o.models;
  if (paths.empty()) {
    if (o.types.empty()) o.types = {"Q4_K_M", "Q8_0"};
    for (const std::string& t : o.types) paths.push_back(ensure_model(o, t));
  }
  std::printf("llama.cpp numbers: ../shared/ANCHORS.md (2 threads, same shapes, shared machine)\n");
  for (const std::string& p : paths) bench_model(o, p);
  return 0;
}
