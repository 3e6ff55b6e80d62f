#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace teamvl::engine {

Engine::~Engine() {
  runner_.reset();  // releases its sequences' KV blocks before the cache goes
}

Result<std::unique_ptr<Engine>> Engine::load(const EngineOptions& options) {
  auto e = std::unique_ptr<Engine>(new Engine());
  e->options_ = options;
  TEAMVL_ASSIGN_OR_RETURN(e->file_, GgufFile::open(options.model_path));
  TEAMVL_ASSIGN_OR_RETURN(e->model_, TextModel::load(*e->file_));
  TEAMVL_ASSIGN_OR_RETURN(e->tokenizer_, Tokenizer::from_gguf(*e->file_));
  const TextHparams& h = e->model_->hparams();
  if (e->tokenizer_->n_vocab() > h.n_vocab) {
    return Status::InvalidArgument("model file " + options.model_path + ": expected at most " +
                                   std::to_string(h.n_vocab) + " tokenizer tokens (rows of token_embd), found " +
                                   std::to_string(e->tokenizer_->n_vocab()));
  }
  e->is_demo_ = h.name == kDemoModelName || h.name.find("random weights") != std::string::npos;

  EngineOptions& o = e->options_;
  if (o.n_ctx <= 0) return Status::InvalidArgument("n_ctx must be positive");
  o.n_ctx = std::min(o.n_ctx, h.n_ctx_train);
  if (o.n_threads <= 0) o.n_threads = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.kv_cache_bytes <= 0) o.kv_cache_bytes = e->model_->kv_bytes_per_token() * o.n_ctx * 4;
  e->pool_ = std::make_unique<ThreadPool>(o.n_threads);

  KvCacheConfig kc;
  kc.n_layer = h.n_layer;
  kc.n_kv_head = h.n_head_kv;
  kc.head_dim = h.head_dim;
  kc.block_size = o.kv_block_size;
  kc.capacity_bytes = o.kv_cache_bytes;
  TEAMVL_ASSIGN_OR_RETURN(e->kv_, KvCache::create(kc));

  RunnerConfig rc;
  rc.n_ctx = o.n_ctx;
  rc.max_batch_tokens = o.max_batch_tokens;
  rc.max_sequences = o.max_sequences;
  e->runner_ = e->create_runner(rc);
  return e;
}

std::unique_ptr<Runner> Engine::create_runner(const RunnerConfig& config) {
  return std::make_unique<Runner>(*model_, *kv_, *pool_, tokenizer_.get(), config);
}

std::vector<int32_t> Engine::tokenize(std::string_view text, bool parse_special) const {
  return tokenizer_->encode(text, parse_special);
}

std::string Engine::render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  return engine::render_chat(messages, add_generation_prompt);
}

Result<Completion> Engine::run_to_completion(GenerationRequest request) {
  TEAMVL_ASSIGN_OR_RETURN(SeqId id, runner_->add(std::move(request)));
  Completion c;
  bool first = false;
  for (;;) {
    std::vector<Event> events = runner_->step();
    const double step_s = runner_->last_step().seconds;
    (first ? c.decode_seconds : c.prefill_seconds) += step_s;
    for (Event& e : events) {
      if (e.seq != id) continue;
      if (e.kind == Event::Kind::kToken) {
        first = true;
        c.tokens.push_back(e.token);
        c.text += e.text;
        continue;
      }
      c.text += e.text;
      c.reason = e.reason;
      c.n_prompt = e.n_prompt;
      c.n_reused = e.n_reused;
      if (e.reason == FinishReason::kError) return e.error;
      if (e.reason == FinishReason::kPreempted) {
        return Status::ResourceExhausted("sequence preempted: " + e.error.message());
      }
      return c;
    }
    if (events.empty() && runner_->idle()) return Status::Internal("sequence vanished from the runner");
  }
}

Result<std::vector<float>> Engine::evaluate(const std::vector<int32_t>& ids, const std::string& owner) {
  const int32_t n_vocab = hparams().n_vocab;
  std::vector<float> out(ids.size() * static_cast<size_t>(n_vocab));
  GenerationRequest r;
  r.owner = owner;
  r.prompt = Prompt(ids);
  r.max_tokens = 0;
  r.prompt_logits = true;
  r.reuse_prefix = false;
  r.on_logits = [&](int32_t index, std::span<const float> l) {
    if (index >= 0 && static_cast<size_t>(index) < ids.size()) {
      std::memcpy(out.data() + static_cast<size_t>(index) * n_vocab, l.data(), sizeof(float) * n_vocab);
    }
  };
  TEAMVL_ASSIGN_OR_RETURN(Completion c, run_to_completion(std::move(r)));
  (void)c;
  return out;
}

}  // namespace teamvl::engine
