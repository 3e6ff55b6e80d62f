// Continuous batching over the paged KV cache. Each step() runs one forward
// pass holding the next token of every decoding sequence plus prefill chunks
// of admitted sequences, under a token budget (long prompts are split into
// chunks so they never stall other sequences' streams), then samples and
// reports events. Sequences can be added, cancelled and preempted between steps.
//
// Threading: a Runner is driven by one thread (add/cancel/preempt/step are not
// thread-safe); the model is shared read-only, the KV cache's usage counters
// can be read from any thread. The thread pool is used inside step().
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/kv_cache/kv_cache.h"
#include "engine/model/text_model.h"
#include "engine/runner/prompt.h"
#include "engine/sampler/sampler.h"
#include "engine/sampler/stop_strings.h"

namespace teamvl::engine {

class Tokenizer;
class ThreadPool;

using SeqId = int64_t;

enum class FinishReason {
  kEndOfGeneration,  // an end-of-generation token (e.g. <|im_end|>) was sampled
  kStopString,       // a stop string appeared in the text
  kMaxTokens,        // max_tokens generated
  kContextFull,      // the sequence filled the context window
  kCancelled,        // cancel()
  kPreempted,        // taken out to free memory; `resume` continues it
  kError,            // see Event::error
};
const char* finish_reason_name(FinishReason r);

// Called with the logits of prompt position `index` (0-based; the prediction
// for position index+1) or, for generated tokens, index = prompt size + k - 1
// for the distribution token k was drawn from. The span is valid during the call.
using LogitsCallback = std::function<void(int32_t index, std::span<const float> logits)>;

// State carried over when a preempted sequence is added again.
struct ResumeState {
  int32_t n_generated = 0;       // tokens generated before (counted in max_tokens)
  int32_t original_prompt = 0;   // prompt size before generated tokens were appended
  uint64_t rng_draws = 0;        // sampler draws so far
  std::string held_text;         // text held back by the stop-string matcher
  std::string pending_bytes;     // incomplete UTF-8 bytes not yet shown
};

struct GenerationRequest {
  std::string owner;                  // memory accounting and prefix-cache scope
  Prompt prompt;
  SamplingParams sampling;
  int32_t max_tokens = 256;           // 0: only evaluate the prompt (logits callbacks)
  std::vector<std::string> stop;      // stop strings, matched on the output text
  bool ignore_eos = false;            // do not stop at end-of-generation tokens
  bool render_special = false;        // show control tokens (<|im_end|>...) in text
  bool prompt_logits = false;         // on_logits for every prompt position, not only the last
  bool reuse_prefix = true;           // attach cached KV blocks of an earlier matching sequence
  LogitsCallback on_logits;           // optional
  std::optional<ResumeState> resume;  // set by preemption
};

struct Event {
  enum class Kind { kToken, kFinished };
  SeqId seq = 0;
  Kind kind = Kind::kToken;
  int32_t token = -1;          // kToken: the sampled id
  std::string text;            // text released by this event (complete UTF-8)
  FinishReason reason = FinishReason::kMaxTokens;  // kFinished
  Status error;                // kFinished with kError
  std::shared_ptr<GenerationRequest> resume;      // kFinished with kPreempted
  int32_t n_prompt = 0;        // kFinished: prompt tokens (reused ones included)
  int32_t n_reused = 0;        // kFinished: prompt tokens served from the prefix cache
  int32_t n_generated = 0;     // kFinished: tokens generated
};

struct RunnerConfig {
  int32_t n_ctx = 4096;             // max tokens per sequence (prompt + generated)
  int32_t max_batch_tokens = 512;   // tokens per forward pass (decodes + prefill chunks)
  int32_t max_sequences = 64;       // sequences holding KV at once; the rest wait
};

// Timing of the last step, for benchmarks and monitoring.
struct StepStats {
  int32_t n_decode = 0;         // decode tokens in the pass
  int32_t n_prefill = 0;        // prompt tokens in the pass
  int32_t n_sequences = 0;      // sequences in the pass
  double seconds = 0.0;         // wall time of the forward pass + sampling
};

class Runner {
 public:
  // model, kv, pool (and tokenizer, which may be null: no text, no stop strings)
  // must outlive the runner.
  Runner(const TextModel& model, KvCache& kv, ThreadPool& pool, const Tokenizer* tokenizer,
         RunnerConfig config = {});
  ~Runner();

  // Queues a sequence. InvalidArgument for an empty prompt, an out-of-range
  // token id, a prompt that does not fit n_ctx, or bad sampling values.
  Result<SeqId> add(GenerationRequest request);
  // Stops a sequence now and frees its blocks; its kFinished(kCancelled) event
  // comes with the next step(). NotFound for an unknown or finished id.
  Status cancel(SeqId id);
  // Takes a sequence out and frees its blocks; the returned request continues
  // it (prompt + generated tokens, remaining budget, sampler state) when added
  // again. No event is emitted for it.
  Result<GenerationRequest> preempt(SeqId id);

  // Runs one batch and returns what happened. An empty result with idle()
  // true means there is nothing to do.
  std::vector<Event> step();
  bool idle() const { return seqs_.empty() && pending_events_.empty(); }
  int32_t n_active() const;   // sequences holding KV (prefilling or decoding)
  int32_t n_waiting() const;  // sequences not yet admitted
  const StepStats& last_step() const { return stats_; }
  const RunnerConfig& config() const { return config_; }

 private:
  struct Seq;
  enum class Prep { kRan, kWaiting, kFailed };

  void admit();
  Prep plan_decode(Seq& s, std::vector<BatchToken>& batch, std::vector<Event>& events);
  Prep plan_prefill(Seq& s, int32_t budget, std::vector<BatchToken>& batch, std::vector<Event>& events);
  void after_logits(Seq& s, int32_t index, const float* logits, bool last, std::vector<Event>& events);
  void sample_next(Seq& s, const float* logits, std::vector<Event>& events);
  void finish(Seq& s, FinishReason reason, std::vector<Event>& events, Status error = Status::Ok());
  std::string emit_text(Seq& s, int32_t token, bool* stopped);
  GenerationRequest make_resume(const Seq& s) const;
  void remove_finished();

  const TextModel& model_;
  KvCache& kv_;
  ThreadPool& pool_;
  const Tokenizer* tokenizer_;
  RunnerConfig config_;
  ForwardScratch scratch_;
  std::vector<float> logits_;
  std::map<SeqId, std::unique_ptr<Seq>> seqs_;  // ordered by id = arrival order
  std::vector<Event> pending_events_;           // from cancel(), returned by the next step()
  SeqId next_id_ = 1;
  StepStats stats_;
};

}  // namespace teamvl::engine
