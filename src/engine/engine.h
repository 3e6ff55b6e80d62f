// The engine's facade: what the scheduler, the server, the CLI and the
// benchmarks use. Loads one model (mmap'd GGUF) and owns the tokenizer, the
// thread pool shared by all kernels, the paged KV cache with its per-owner
// accounting, and a continuous-batching runner. No HTTP, no users: sequences,
// owners (opaque tags) and budgets.
//
// Threading: runner() and the run_* helpers are driven by one thread at a
// time (the scheduler's engine loop). Tokenization, chat rendering, hparams
// and the memory-accounting getters are safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/gguf/gguf.h"
#include "engine/kernels/thread_pool.h"
#include "engine/kv_cache/kv_cache.h"
#include "engine/model/demo_model.h"
#include "engine/model/hparams.h"
#include "engine/model/text_model.h"
#include "engine/runner/prompt.h"
#include "engine/runner/runner.h"
#include "engine/sampler/sampler.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"

namespace teamvl::engine {

struct EngineOptions {
  std::string model_path;          // text model GGUF (arch qwen3vl or qwen3)
  int32_t n_threads = 0;           // 0: all hardware threads
  int32_t n_ctx = 4096;            // max tokens per sequence; capped at the model's context_length
  int64_t kv_cache_bytes = 0;      // KV pool; 0: room for 4 * n_ctx tokens (blocks are allocated lazily)
  int32_t kv_block_size = 16;      // token slots per KV block
  int32_t max_batch_tokens = 512;  // tokens per forward pass
  int32_t max_sequences = 64;      // sequences holding KV at once
};

// A request run to its end (CLI, tests, benchmarks).
struct Completion {
  std::vector<int32_t> tokens;     // generated ids (an end-of-generation id that stopped it excluded)
  std::string text;                // their text, stop string excluded
  FinishReason reason = FinishReason::kMaxTokens;
  int32_t n_prompt = 0;
  int32_t n_reused = 0;            // prompt tokens served from the prefix cache
  double prefill_seconds = 0.0;    // steps up to the first sampled token
  double decode_seconds = 0.0;     // steps after it
};

class Engine {
 public:
  // Opens and checks the model file, its tokenizer and hparams. Errors say what
  // was expected and what was found (missing file, not GGUF, truncated, wrong
  // architecture, missing tensor, wrong shape).
  static Result<std::unique_ptr<Engine>> load(const EngineOptions& options);
  ~Engine();

  const EngineOptions& options() const { return options_; }
  const GgufFile& file() const { return *file_; }
  const TextModel& model() const { return *model_; }
  const TextHparams& hparams() const { return model_->hparams(); }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // True for a random-weight model written by `teamvl model demo` (or any file
  // whose general.name says "random weights"): UIs must say so.
  bool is_demo() const { return is_demo_; }
  ThreadPool& pool() { return *pool_; }
  KvCache& kv_cache() { return *kv_; }

  // Text to ids (parse_special: "<|im_start|>" etc. become their ids).
  std::vector<int32_t> tokenize(std::string_view text, bool parse_special) const;
  // The Qwen3-VL chat prompt for `messages` (see chat_template.h).
  std::string render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt = true) const;

  // The engine's runner (sequences of every owner share it and the KV pool).
  Runner& runner() { return *runner_; }
  // An extra runner over the same model, pool and KV cache, e.g. for a
  // benchmark with other batch settings. Do not step two runners at once.
  std::unique_ptr<Runner> create_runner(const RunnerConfig& config);

  // Memory accounting (any thread).
  void set_owner_budget(const std::string& owner, int64_t bytes) { kv_->set_owner_budget(owner, bytes); }
  KvOwnerUsage owner_usage(const std::string& owner) const { return kv_->owner_usage(owner); }
  std::vector<KvOwnerUsage> all_owner_usage() const { return kv_->all_owner_usage(); }
  KvPoolUsage pool_usage() const { return kv_->pool_usage(); }
  int64_t weight_bytes() const { return model_->weight_bytes(); }

  // Adds `request` to runner() and steps until it ends. For tools and tests
  // with nothing else running: other sequences progress too, but their events
  // are dropped. Errors: the add() error, or the sequence's error.
  Result<Completion> run_to_completion(GenerationRequest request);
  // Logits after every token of `ids` fed in order (teacher forcing), as one
  // n_ids x n_vocab array; out-of-range ids are an InvalidArgument.
  Result<std::vector<float>> evaluate(const std::vector<int32_t>& ids, const std::string& owner = "eval");

 private:
  Engine() = default;

  EngineOptions options_;
  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<TextModel> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<KvCache> kv_;
  std::unique_ptr<Runner> runner_;
  bool is_demo_ = false;
};

}  // namespace teamvl::engine
