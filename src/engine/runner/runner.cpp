#include "engine/runner/runner.h"

#include <algorithm>

#include "engine/kernels/thread_pool.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kEndOfGeneration: return "eog";
    case FinishReason::kStopString: return "stop";
    case FinishReason::kMaxTokens: return "length";
    case FinishReason::kContextFull: return "context";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kPreempted: return "preempted";
    case FinishReason::kError: return "error";
  }
  return "unknown";
}

struct Runner::Seq {
  enum class State { kWaiting, kPrefill, kDecode, kDone };

  Seq(SeqId i, GenerationRequest r)
      : id(i), req(std::move(r)), sampler(req.sampling), stop(req.stop) {}

  SeqId id;
  GenerationRequest req;
  State state = State::kWaiting;
  KvSeqId kv = 0;
  bool kv_open = false;
  int32_t n_done = 0;         // prompt tokens whose K/V are written
  int32_t n_reused = 0;       // of which served from the prefix cache
  int32_t kv_len = 0;         // K/V slots written (prompt + fed generated tokens)
  int32_t next_pos = 0;       // position of the next generated token
  int32_t pending_token = -1; // sampled, fed in the next step
  int32_t n_generated_before = 0;
  uint64_t rng_draws = 0;
  std::vector<int32_t> generated;
  Sampler sampler;
  StopStringMatcher stop;
  std::string pending_bytes;  // incomplete UTF-8 of the output
  // This step's tokens.
  std::vector<TokenKey> step_keys;
  int32_t step_prefill = 0;
  int32_t n_generated() const { return n_generated_before + static_cast<int32_t>(generated.size()); }
};

Runner::Runner(const TextModel& model, KvCache& kv, ThreadPool& pool, const Tokenizer* tokenizer,
               RunnerConfig config)
    : model_(model), kv_(kv), pool_(pool), tokenizer_(tokenizer), config_(config) {
  config_.n_ctx = std::max(config_.n_ctx, 1);
  config_.max_batch_tokens = std::max(config_.max_batch_tokens, 1);
  config_.max_sequences = std::max(config_.max_sequences, 1);
}

Runner::~Runner() {
  for (auto& [id, s] : seqs_) {
    if (s->kv_open) kv_.release(s->kv);
  }
}

int32_t Runner::n_active() const {
  int32_t n = 0;
  for (const auto& [id, s] : seqs_) n += s->state == Seq::State::kPrefill || s->state == Seq::State::kDecode;
  return n;
}

int32_t Runner::n_waiting() const {
  int32_t n = 0;
  for (const auto& [id, s] : seqs_) n += s->state == Seq::State::kWaiting;
  return n;
}

Result<SeqId> Runner::add(GenerationRequest req) {
  const TextHparams& h = model_.hparams();
  if (req.prompt.empty()) return Status::InvalidArgument("the prompt is empty");
  if (req.prompt.size() > config_.n_ctx) {
    return Status::InvalidArgument("prompt of " + std::to_string(req.prompt.size()) +
                                   " tokens does not fit the context window of " + std::to_string(config_.n_ctx) +
                                   " tokens");
  }
  for (const PromptToken& t : req.prompt.tokens()) {
    if (t.image < 0 && (t.token < 0 || t.token >= h.n_vocab)) {
      return Status::InvalidArgument("token id " + std::to_string(t.token) + " is out of range [0, " +
                                     std::to_string(h.n_vocab) + ")");
    }
  }
  for (const PromptImage& img : req.prompt.images()) {
    if (img.width != h.n_embd_inp()) {
      return Status::InvalidArgument("image rows have " + std::to_string(img.width) +
                                     " floats; the model expects " + std::to_string(h.n_embd_inp()));
    }
  }
  if (req.max_tokens < 0) return Status::InvalidArgument("max_tokens must be >= 0");
  TEAMVL_RETURN_IF_ERROR(req.sampling.validate());

  const SeqId id = next_id_++;
  auto s = std::make_unique<Seq>(id, std::move(req));
  for (int32_t t : s->req.prompt.text_ids()) s->sampler.accept(t);
  s->next_pos = s->req.prompt.next_pos();
  if (s->req.resume) {
    const ResumeState& r = *s->req.resume;
    s->n_generated_before = r.n_generated;
    s->rng_draws = r.rng_draws;
    std::mt19937_64 rng(s->req.sampling.seed);
    rng.discard(r.rng_draws);
    s->sampler.set_rng(rng);
    (void)s->stop.feed(r.held_text);  // held again: it is a possible stop-string start
    s->pending_bytes = r.pending_bytes;
  }
  seqs_.emplace(id, std::move(s));
  return id;
}

Status Runner::cancel(SeqId id) {
  auto it = seqs_.find(id);
  if (it == seqs_.end() || it->second->state == Seq::State::kDone) {
    return Status::NotFound("sequence " + std::to_string(id) + " is not running");
  }
  finish(*it->second, FinishReason::kCancelled, pending_events_);
  seqs_.erase(it);
  return Status::Ok();
}

GenerationRequest Runner::make_resume(const Seq& s) const {
  GenerationRequest r = s.req;
  r.prompt.add_text(s.generated);
  r.prompt_logits = false;
  ResumeState rs;
  rs.n_generated = s.n_generated();
  rs.original_prompt = s.req.resume ? s.req.resume->original_prompt : s.req.prompt.size();
  rs.rng_draws = s.rng_draws;
  rs.held_text = s.stop.held();
  rs.pending_bytes = s.pending_bytes;
  r.resume = rs;
  return r;
}

Result<GenerationRequest> Runner::preempt(SeqId id) {
  auto it = seqs_.find(id);
  if (it == seqs_.end() || it->second->state == Seq::State::kDone) {
    return Status::NotFound("sequence " + std::to_string(id) + " is not running");
  }
  Seq& s = *it->second;
  GenerationRequest r = make_resume(s);
  if (s.kv_open) kv_.release(s.kv);
  seqs_.erase(it);
  return r;
}

void Runner::admit() {
  int32_t active = n_active();
  for (auto& [id, sp] : seqs_) {
    if (active >= config_.max_sequences) break;
    Seq& s = *sp;
    if (s.state != Seq::State::kWaiting) continue;
    std::vector<TokenKey> keys;
    if (s.req.reuse_prefix && !s.req.prompt_logits) keys = s.req.prompt.keys();
    int32_t reused = 0;
    auto kv = kv_.open(s.req.owner, keys, &reused);
    if (!kv.ok()) {
      finish(s, FinishReason::kError, pending_events_, kv.status());
      continue;
    }
    s.kv = *kv;
    s.kv_open = true;
    s.n_done = s.n_reused = s.kv_len = reused;
    s.state = Seq::State::kPrefill;
    ++active;
  }
}

Runner::Prep Runner::plan_decode(Seq& s, std::vector<BatchToken>& batch, std::vector<Event>& events) {
  Status st = kv_.reserve(s.kv, s.kv_len + 1);
  while (!st.ok()) {
    // Out of memory mid-generation: the youngest sequence holding memory (that
    // an owner's budget would credit, if the budget is the limit) goes back to
    // be resumed later, this one if there is no younger one.
    const KvOwnerUsage u = kv_.owner_usage(s.req.owner);
    const bool over_budget = u.budget_bytes > 0 && u.bytes + kv_.block_bytes() > u.budget_bytes;
    Seq* victim = &s;
    for (auto it = seqs_.rbegin(); it != seqs_.rend() && it->first > s.id; ++it) {
      Seq& o = *it->second;
      if (o.kv_open && o.state != Seq::State::kDone && (!over_budget || o.req.owner == s.req.owner)) {
        victim = &o;
        break;
      }
    }
    auto resume = std::make_shared<GenerationRequest>(make_resume(*victim));
    finish(*victim, FinishReason::kPreempted, events, st);
    events.back().resume = std::move(resume);
    if (victim == &s) return Prep::kFailed;
    st = kv_.reserve(s.kv, s.kv_len + 1);
  }
  BatchToken t;
  t.seq = s.kv;
  t.index = s.kv_len;
  t.token = s.pending_token;
  t.pos = {s.next_pos, s.next_pos, s.next_pos, 0};
  t.logits = true;
  batch.push_back(t);
  s.step_keys.assign(1, text_token_key(s.pending_token, s.next_pos));
  s.step_prefill = 0;
  ++s.next_pos;
  return Prep::kRan;
}

Runner::Prep Runner::plan_prefill(Seq& s, int32_t budget, std::vector<BatchToken>& batch,
                                  std::vector<Event>& events) {
  const Prompt& p = s.req.prompt;
  int32_t chunk = std::min(p.size() - s.n_done, budget);
  if (s.req.prompt_logits) {  // bound the logits buffer to ~256 MiB
    const int32_t cap = std::max<int32_t>(1, (64 << 20) / model_.hparams().n_vocab);
    chunk = std::min(chunk, cap);
  }
  Status st = kv_.reserve(s.kv, s.n_done + chunk);
  if (!st.ok()) {
    // Use the slots already reserved, if any; else wait for others to free blocks,
    // unless nobody else holds any: then this prompt can never fit.
    const int32_t have = kv_.seq_reserved(s.kv) - s.n_done;
    if (have > 0) {
      chunk = std::min(chunk, have);
    } else {
      // Over the owner's budget, only the owner's other sequences can free room;
      // with the pool full, anyone's can.
      const KvOwnerUsage u = kv_.owner_usage(s.req.owner);
      const bool over_budget = u.budget_bytes > 0 && u.bytes + kv_.block_bytes() > u.budget_bytes;
      bool others = false;
      for (const auto& [id, o] : seqs_) {
        if (o.get() == &s || !o->kv_open || o->state == Seq::State::kDone) continue;
        if (!over_budget || o->req.owner == s.req.owner) others = true;
      }
      if (others) return Prep::kWaiting;
      finish(s, FinishReason::kError, events, st);
      return Prep::kFailed;
    }
  }
  const bool completes = s.n_done + chunk == p.size();
  s.step_keys.clear();
  for (int32_t i = s.n_done; i < s.n_done + chunk; ++i) {
    BatchToken t;
    t.seq = s.kv;
    t.index = i;
    t.token = p[i].token;
    t.embd = p.embedding(i);
    t.pos = p[i].pos;
    t.logits = s.req.prompt_logits || (completes && i == p.size() - 1);
    batch.push_back(t);
    s.step_keys.push_back(p.key(i));
  }
  s.step_prefill = chunk;
  return Prep::kRan;
}

std::vector<Event> Runner::step() {
  std::vector<Event> events = std::move(pending_events_);
  pending_events_.clear();
  const auto t0 = std::chrono::steady_clock::now();
  stats_ = StepStats{};
  admit();
  events.insert(events.end(), std::make_move_iterator(pending_events_.begin()),
                std::make_move_iterator(pending_events_.end()));
  pending_events_.clear();

  std::vector<BatchToken> batch;
  std::vector<Seq*> in_batch;
  for (auto& [id, sp] : seqs_) {
    if (sp->state == Seq::State::kDecode && plan_decode(*sp, batch, events) == Prep::kRan) {
      in_batch.push_back(sp.get());
      stats_.n_decode++;
    }
  }
  Seq* waited = nullptr;
  for (auto& [id, sp] : seqs_) {
    const int32_t budget = config_.max_batch_tokens - static_cast<int32_t>(batch.size());
    if (budget <= 0) break;
    if (sp->state != Seq::State::kPrefill) continue;
    Prep r = plan_prefill(*sp, budget, batch, events);
    if (r == Prep::kRan) {
      in_batch.push_back(sp.get());
      stats_.n_prefill += sp->step_prefill;
    } else if (r == Prep::kWaiting) {
      waited = sp.get();  // the youngest one that waited
    }
  }
  if (batch.empty() && waited) {
    // Everyone is stuck waiting for memory: hand the youngest back so the others can go on.
    auto resume = std::make_shared<GenerationRequest>(make_resume(*waited));
    finish(*waited, FinishReason::kPreempted, events,
           Status::ResourceExhausted("KV cache full: sequence preempted to let others finish"));
    events.back().resume = std::move(resume);
  }
  stats_.n_sequences = static_cast<int32_t>(in_batch.size());

  if (!batch.empty()) {
    int64_t n_rows = 0;
    for (const BatchToken& t : batch) n_rows += t.logits;
    const int32_t n_vocab = model_.hparams().n_vocab;
    logits_.resize(static_cast<size_t>(n_rows) * n_vocab);
    Status st = model_.forward(batch, kv_, pool_, scratch_, logits_.data());
    if (!st.ok()) {
      for (Seq* s : in_batch) finish(*s, FinishReason::kError, events, st);
    } else {
      for (Seq* s : in_batch) {
        Status c = kv_.commit(s->kv, s->step_keys);
        if (!c.ok()) finish(*s, FinishReason::kError, events, c);
        s->kv_len += static_cast<int32_t>(s->step_keys.size());
        s->n_done += s->step_prefill;
      }
      // Logit rows are in batch order: walk the batch again to hand them out.
      int64_t row = 0;
      size_t b = 0;
      for (Seq* s : in_batch) {
        // The row that samples the next token: a decode token, or the last prompt token.
        const bool samples = s->step_prefill == 0 || s->n_done == s->req.prompt.size();
        const size_t n = s->step_keys.size();
        for (size_t i = 0; i < n; ++i, ++b) {
          if (!batch[b].logits) continue;
          const float* l = logits_.data() + row++ * n_vocab;
          if (s->state == Seq::State::kDone) continue;
          after_logits(*s, batch[b].index, l, samples && i == n - 1, events);
        }
      }
    }
  }
  remove_finished();
  stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return events;
}

void Runner::after_logits(Seq& s, int32_t index, const float* logits, bool last, std::vector<Event>& events) {
  const int32_t n_vocab = model_.hparams().n_vocab;
  if (s.req.on_logits) s.req.on_logits(index, std::span<const float>(logits, n_vocab));
  if (!last) return;
  if (s.n_generated() >= s.req.max_tokens) {
    finish(s, FinishReason::kMaxTokens, events);
    return;
  }
  sample_next(s, logits, events);
}

std::string Runner::emit_text(Seq& s, int32_t token, bool* stopped) {
  *stopped = false;
  if (!tokenizer_) return {};
  s.pending_bytes += tokenizer_->token_piece(token, s.req.render_special);
  Utf8Split split = split_complete_utf8(s.pending_bytes, /*final=*/false);
  s.pending_bytes.erase(0, split.consumed);
  StopStringMatcher::Output out = s.stop.feed(split.text);
  *stopped = out.stopped;
  return std::move(out.text);
}

void Runner::sample_next(Seq& s, const float* logits, std::vector<Event>& events) {
  const int32_t n_vocab = model_.hparams().n_vocab;
  const int32_t token = s.sampler.sample(std::span<const float>(logits, n_vocab));
  if (!s.req.sampling.greedy()) ++s.rng_draws;
  s.sampler.accept(token);
  s.generated.push_back(token);
  if (!s.req.ignore_eos && tokenizer_ && tokenizer_->is_eog(token)) {
    finish(s, FinishReason::kEndOfGeneration, events);
    events.back().token = token;
    return;
  }
  Event e;
  e.seq = s.id;
  e.kind = Event::Kind::kToken;
  e.token = token;
  bool stopped = false;
  e.text = emit_text(s, token, &stopped);
  events.push_back(std::move(e));
  if (stopped) {
    finish(s, FinishReason::kStopString, events);
  } else if (s.n_generated() >= s.req.max_tokens) {
    finish(s, FinishReason::kMaxTokens, events);
  } else if (s.kv_len + 1 > config_.n_ctx) {
    finish(s, FinishReason::kContextFull, events);
  } else {
    s.pending_token = token;
    s.state = Seq::State::kDecode;
  }
}

void Runner::finish(Seq& s, FinishReason reason, std::vector<Event>& events, Status error) {
  Event e;
  e.seq = s.id;
  e.kind = Event::Kind::kFinished;
  e.reason = reason;
  e.error = std::move(error);
  e.n_prompt = s.req.prompt.size();
  e.n_reused = s.n_reused;
  e.n_generated = s.n_generated();
  const bool flush = reason == FinishReason::kEndOfGeneration || reason == FinishReason::kMaxTokens ||
                     reason == FinishReason::kContextFull;
  if (flush) {
    Utf8Split split = split_complete_utf8(s.pending_bytes, /*final=*/true);
    s.pending_bytes.clear();
    StopStringMatcher::Output out = s.stop.feed(split.text);
    e.text = std::move(out.text);
    if (!out.stopped) e.text += s.stop.flush();
  }
  if (s.kv_open) {
    kv_.release(s.kv);
    s.kv_open = false;
  }
  s.state = Seq::State::kDone;
  events.push_back(std::move(e));
}

void Runner::remove_finished() {
  for (auto it = seqs_.begin(); it != seqs_.end();) {
    it = it->second->state == Seq::State::kDone ? seqs_.erase(it) : std::next(it);
  }
}

}  // namespace teamvl::engine
