// Continuous batching on the demo model: batch invariance, chunked prefill,
// KV budgets and pool exhaustion, cancel, preempt/resume, prefix reuse, stop
// conditions, images as embedding rows.
#include "engine/runner/runner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/engine.h"
#include "engine/model/test_models.h"

namespace teamvl::engine {
namespace {

struct SeqResult {
  std::vector<int32_t> tokens;
  std::string text;
  std::optional<Event> finish;
};

// Steps `r` until idle; collects what each sequence produced.
std::map<SeqId, SeqResult> drain(Runner& r, int max_steps = 10000) {
  std::map<SeqId, SeqResult> out;
  for (int i = 0; i < max_steps && !r.idle(); ++i) {
    for (Event& e : r.step()) {
      SeqResult& s = out[e.seq];
      s.text += e.text;
      if (e.kind == Event::Kind::kToken) {
        s.tokens.push_back(e.token);
      } else {
        s.finish = std::move(e);
      }
    }
  }
  return out;
}

class RunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineOptions o;
    o.model_path = testing::demo_model_path("F32");
    o.n_threads = 1;
    o.n_ctx = 512;
    auto e = Engine::load(o);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    engine_ = std::move(e).value().release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    engine_->kv_cache().drop_cache();
  }

  std::unique_ptr<Runner> runner(int32_t max_batch = 512, int32_t n_ctx = 512) {
    RunnerConfig c;
    c.max_batch_tokens = max_batch;
    c.n_ctx = n_ctx;
    return engine_->create_runner(c);
  }
  std::vector<int32_t> ids(const std::string& text) const { return engine_->tokenize(text, true); }
  GenerationRequest request(const std::string& text, int32_t max_tokens, const std::string& owner = "alice") {
    GenerationRequest r;
    r.owner = owner;
    r.prompt = Prompt(ids(text));
    r.max_tokens = max_tokens;
    r.ignore_eos = true;
    return r;
  }
  std::vector<int32_t> greedy_alone(const std::string& text, int32_t n) {
    auto r = runner();
    EXPECT_TRUE(r->add(request(text, n)).ok());
    auto res = drain(*r);
    return res.begin()->second.tokens;
  }

  static Engine* engine_;
};
Engine* RunnerTest::engine_ = nullptr;

const std::vector<std::string> kPrompts = {
    "<|im_start|>user\nHello! How can I help?<|im_end|>\n<|im_start|>assistant\n",
    "The river flows from the mountains to the sea.",
    "def add(a, b):\n    return a + b",
    "你好，世界！",
    "Describe the weather today in one sentence, please, with as many words as you like.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9",
    "A picture of a cat",
    "SELECT name FROM tasks;",
};

TEST_F(RunnerTest, GreedyTokensAreTheSameAloneAndWithSevenOthers) {
  std::vector<std::vector<int32_t>> alone;
  for (const auto& p : kPrompts) alone.push_back(greedy_alone(p, 12));
  auto r = runner();
  std::vector<SeqId> ids;
  for (const auto& p : kPrompts) ids.push_back(*r->add(request(p, 12)));
  auto res = drain(*r);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(res[ids[i]].tokens, alone[i]) << "prompt " << i;
    ASSERT_TRUE(res[ids[i]].finish.has_value());
    EXPECT_EQ(res[ids[i]].finish->reason, FinishReason::kMaxTokens);
  }
}

TEST_F(RunnerTest, SequencesJoiningMidwayDoNotDisturbOthers) {
  const std::vector<int32_t> alone = greedy_alone(kPrompts[1], 20);
  auto r = runner();
  SeqId a = *r->add(request(kPrompts[1], 20));
  std::map<SeqId, SeqResult> res;
  for (int step = 0; !r->idle(); ++step) {
    if (step == 3) (void)r->add(request(kPrompts[4], 5));  // a prefill lands among decodes
    if (step == 6) (void)r->add(request(kPrompts[2], 5));
    for (Event& e : r->step())
      if (e.kind == Event::Kind::kToken) res[e.seq].tokens.push_back(e.token);
  }
  EXPECT_EQ(res[a].tokens, alone);
}

TEST_F(RunnerTest, AtMostMaxSequencesHoldMemoryTheRestWait) {
  RunnerConfig c;
  c.max_sequences = 2;
  auto r = engine_->create_runner(c);
  std::vector<SeqId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(*r->add(request(kPrompts[i], 4)));
  std::map<SeqId, SeqResult> res;
  while (!r->idle()) {
    for (Event& e : r->step()) {
      if (e.kind == Event::Kind::kFinished) res[e.seq].finish = e;
    }
    EXPECT_LE(r->n_active(), 2);
  }
  for (SeqId id : ids) EXPECT_EQ(res[id].finish->reason, FinishReason::kMaxTokens);
}

TEST_F(RunnerTest, ChunkedPrefillGivesTheSameLogits) {
  std::string long_text;
  for (int i = 0; i < 12; ++i) long_text += kPrompts[i % kPrompts.size()] + " ";
  const std::vector<int32_t> prompt = ids(long_text);
  ASSERT_GT(prompt.size(), 100u);
  auto last_logits = [&](int32_t chunk) {
    auto r = runner(chunk);
    std::vector<float> last;
    GenerationRequest q;
    q.owner = "chunk";
    q.prompt = Prompt(prompt);
    q.max_tokens = 0;
    q.reuse_prefix = false;  // else the second run starts from the first one's blocks
    q.on_logits = [&](int32_t index, std::span<const float> l) {
      if (index == static_cast<int32_t>(prompt.size()) - 1) last.assign(l.begin(), l.end());
    };
    EXPECT_TRUE(r->add(std::move(q)).ok());
    int steps = 0;
    while (!r->idle()) {
      r->step();
      ++steps;
    }
    EXPECT_GE(steps, static_cast<int>(prompt.size() / chunk));
    return last;
  };
  const std::vector<float> one = last_logits(512), chunked = last_logits(7);
  ASSERT_EQ(one.size(), chunked.size());
  double d = 0;
  for (size_t i = 0; i < one.size(); ++i) d = std::max(d, std::fabs(static_cast<double>(one[i]) - chunked[i]));
  EXPECT_LT(d, 1e-4);
}

TEST_F(RunnerTest, OwnerBudgetTooSmallIsACleanError) {
  engine_->set_owner_budget("small", engine_->kv_cache().block_bytes() * 2);  // 32 tokens
  auto r = runner();
  std::string text;
  for (int i = 0; i < 6; ++i) text += kPrompts[4];
  SeqId id = *r->add(request(text, 4, "small"));
  auto res = drain(*r);
  ASSERT_TRUE(res[id].finish.has_value());
  EXPECT_EQ(res[id].finish->reason, FinishReason::kError);
  EXPECT_EQ(res[id].finish->error.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(res[id].finish->error.message().find("small"), std::string::npos) << res[id].finish->error.message();
  EXPECT_EQ(engine_->owner_usage("small").blocks, 0);
  // Others are unaffected.
  SeqId ok = *r->add(request(kPrompts[0], 3, "bob"));
  res = drain(*r);
  EXPECT_EQ(res[ok].finish->reason, FinishReason::kMaxTokens);
  engine_->set_owner_budget("small", 0);
}

TEST_F(RunnerTest, SecondSequenceOfAnOwnerWaitsForItsBudget) {
  const int64_t bb = engine_->kv_cache().block_bytes();
  engine_->set_owner_budget("carol", bb * 3);  // 48 tokens: one sequence at a time
  auto r = runner();
  SeqId a = *r->add(request(kPrompts[4], 8, "carol"));
  SeqId b = *r->add(request(kPrompts[4] + " Again.", 8, "carol"));
  auto res = drain(*r);
  EXPECT_EQ(res[a].finish->reason, FinishReason::kMaxTokens);
  EXPECT_EQ(res[b].finish->reason, FinishReason::kMaxTokens);
  EXPECT_LE(engine_->owner_usage("carol").bytes, bb * 3);
  engine_->set_owner_budget("carol", 0);
}

TEST_F(RunnerTest, CancelFreesBlocksAndReportsOnce) {
  auto r = runner();
  SeqId id = *r->add(request(kPrompts[4], 200, "dave"));
  for (int i = 0; i < 3; ++i) r->step();
  EXPECT_GT(engine_->owner_usage("dave").blocks, 0);
  ASSERT_TRUE(r->cancel(id).ok());
  EXPECT_EQ(engine_->owner_usage("dave").blocks, 0);
  EXPECT_EQ(r->cancel(id).code(), StatusCode::kNotFound);
  auto events = r->step();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::kFinished);
  EXPECT_EQ(events[0].reason, FinishReason::kCancelled);
  EXPECT_TRUE(r->idle());
}

TEST_F(RunnerTest, FollowUpTurnReusesThePrefixWithTheSameLogits) {
  const std::string turn1 = "<|im_start|>user\n" + kPrompts[4] + " " + kPrompts[1] + "<|im_end|>\n<|im_start|>assistant\n";
  auto r = runner();
  SeqId first = *r->add(request(turn1, 6, "erin"));
  auto res = drain(*r);
  const std::string turn2 = turn1 + res[first].text + "<|im_end|>\n<|im_start|>user\nAnd then?<|im_end|>\n<|im_start|>assistant\n";

  auto run_turn2 = [&](bool reuse, int32_t* reused) {
    std::vector<float> last;
    GenerationRequest q = request(turn2, 4, "erin");
    q.reuse_prefix = reuse;
    const int32_t n = q.prompt.size();
    q.on_logits = [&](int32_t index, std::span<const float> l) {
      if (index == n - 1) last.assign(l.begin(), l.end());
    };
    SeqId id = *r->add(std::move(q));
    auto out = drain(*r);
    *reused = out[id].finish->n_reused;
    return std::make_pair(last, out[id].tokens);
  };
  const int64_t reused_before = engine_->pool_usage().reused_tokens;
  int32_t reused = 0, not_reused = 0;
  auto [with, with_tokens] = run_turn2(true, &reused);
  EXPECT_GE(reused, 16);
  EXPECT_EQ(reused % 16, 0);
  EXPECT_EQ(engine_->pool_usage().reused_tokens - reused_before, reused);
  engine_->kv_cache().drop_cache();
  auto [without, without_tokens] = run_turn2(false, &not_reused);
  EXPECT_EQ(not_reused, 0);
  double d = 0;
  for (size_t i = 0; i < with.size(); ++i) d = std::max(d, std::fabs(static_cast<double>(with[i]) - without[i]));
  EXPECT_LT(d, 1e-4);
  EXPECT_EQ(with_tokens, without_tokens);
  // Another owner never sees erin's cache.
  SeqId other = *r->add(request(turn2, 1, "frank"));
  EXPECT_EQ(drain(*r)[other].finish->n_reused, 0);
}

TEST_F(RunnerTest, PreemptedSequenceResumesWhereItStopped) {
  GenerationRequest base = request(kPrompts[0], 24);
  base.sampling.temperature = 0.9f;
  base.sampling.top_k = 40;
  base.sampling.seed = 1234;
  base.stop = {"never-matches-this"};
  auto r = runner();
  SeqId full_id = *r->add(base);
  auto full = drain(*r)[full_id];

  SeqId id = *r->add(base);
  std::vector<int32_t> tokens;
  std::string text;
  while (tokens.size() < 9) {
    for (Event& e : r->step()) {
      if (e.kind == Event::Kind::kToken) tokens.push_back(e.token);
      text += e.text;
    }
  }
  auto resume = r->preempt(id);
  ASSERT_TRUE(resume.ok()) << resume.status().to_string();
  EXPECT_TRUE(r->idle());
  EXPECT_EQ(engine_->owner_usage("alice").blocks, 0);
  SeqId id2 = *r->add(std::move(resume).value());
  auto rest = drain(*r)[id2];
  tokens.insert(tokens.end(), rest.tokens.begin(), rest.tokens.end());
  text += rest.text;
  EXPECT_EQ(tokens, full.tokens);
  EXPECT_EQ(text, full.text);
  EXPECT_EQ(rest.finish->n_generated, 24);
}

TEST_F(RunnerTest, FullPoolPreemptsAndTheSequenceCanResume) {
  // A small pool: 12 blocks of 16 tokens for two sequences that want ~10 each.
  EngineOptions o = engine_->options();
  o.kv_cache_bytes = engine_->kv_cache().block_bytes() * 12;
  auto small = Engine::load(o);
  ASSERT_TRUE(small.ok());
  auto r = (*small)->create_runner(RunnerConfig{});
  GenerationRequest q = request(kPrompts[4], 130);
  const std::vector<int32_t> expected = greedy_alone(kPrompts[4], 130);
  SeqId a = *r->add(q);
  SeqId b = *r->add(q);
  std::map<SeqId, SeqResult> res = drain(*r);
  std::shared_ptr<GenerationRequest> resume;
  for (SeqId id : {a, b}) {
    ASSERT_TRUE(res[id].finish.has_value());
    if (res[id].finish->reason == FinishReason::kPreempted) {
      EXPECT_EQ(res[id].finish->error.code(), StatusCode::kResourceExhausted);
      resume = res[id].finish->resume;
    } else {
      EXPECT_EQ(res[id].finish->reason, FinishReason::kMaxTokens);
      EXPECT_EQ(res[id].tokens, expected);
    }
  }
  ASSERT_TRUE(resume) << "one of the two should have been preempted";
  const SeqId preempted = res[a].finish->reason == FinishReason::kPreempted ? a : b;
  EXPECT_EQ(preempted, b) << "the younger sequence gives way";
  SeqId c = *r->add(*resume);
  auto rest = drain(*r)[c];
  std::vector<int32_t> all = res[preempted].tokens;
  all.insert(all.end(), rest.tokens.begin(), rest.tokens.end());
  EXPECT_EQ(all, expected);
}

TEST_F(RunnerTest, StopStringEndsGenerationAcrossTokenBoundaries) {
  auto r = runner();
  SeqId id = *r->add(request(kPrompts[1], 24));
  auto free_run = drain(*r)[id];
  // Pick a stop string that spans the boundary between tokens 3 and 4.
  std::string before;
  for (int i = 0; i < 3; ++i) before += engine_->tokenizer().token_piece(free_run.tokens[i]);
  const std::string piece3 = engine_->tokenizer().token_piece(free_run.tokens[3]);
  const std::string piece4 = engine_->tokenizer().token_piece(free_run.tokens[4]);
  ASSERT_FALSE(piece3.empty());
  ASSERT_FALSE(piece4.empty());
  const std::string stop = piece3.substr(piece3.size() - 1) + piece4.substr(0, 1);
  const size_t at = free_run.text.find(stop);
  ASSERT_NE(at, std::string::npos);
  GenerationRequest q = request(kPrompts[1], 24);
  q.stop = {stop};
  SeqId id2 = *r->add(std::move(q));
  auto stopped = drain(*r)[id2];
  ASSERT_TRUE(stopped.finish.has_value());
  EXPECT_EQ(stopped.finish->reason, FinishReason::kStopString);
  EXPECT_EQ(stopped.text, free_run.text.substr(0, at));
  EXPECT_LE(stopped.tokens.size(), 5u);
}

TEST_F(RunnerTest, EndOfGenerationStopsUnlessIgnored) {
  const int32_t im_end = *engine_->tokenizer().special_id("<|im_end|>");
  auto r = runner();
  GenerationRequest q = request(kPrompts[0], 10);
  q.ignore_eos = false;
  q.sampling.logit_bias = {{im_end, 1000.0f}};
  SeqId id = *r->add(q);
  auto res = drain(*r)[id];
  EXPECT_EQ(res.finish->reason, FinishReason::kEndOfGeneration);
  EXPECT_TRUE(res.tokens.empty());
  EXPECT_EQ(res.finish->token, im_end);
  q.ignore_eos = true;
  q.render_special = true;
  SeqId id2 = *r->add(q);
  res = drain(*r)[id2];
  EXPECT_EQ(res.finish->reason, FinishReason::kMaxTokens);
  EXPECT_EQ(res.tokens, std::vector<int32_t>(10, im_end));
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "<|im_end|>";
  EXPECT_EQ(res.text, expected);
}

TEST_F(RunnerTest, ContextFullAndBadRequests) {
  const std::vector<int32_t> p = ids(kPrompts[1]);
  const int32_t n = static_cast<int32_t>(p.size());
  auto r = runner(512, n + 3);
  SeqId id = *r->add(request(kPrompts[1], 100));
  auto res = drain(*r)[id];
  EXPECT_EQ(res.finish->reason, FinishReason::kContextFull);
  EXPECT_EQ(res.tokens.size(), 4u);  // the last prompt slot predicts one, 3 more slots

  auto tiny = runner(512, n - 1);
  auto too_long = tiny->add(request(kPrompts[1], 1));
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("does not fit the context window"), std::string::npos);

  GenerationRequest bad;
  bad.prompt = Prompt(std::vector<int32_t>{1, engine_->hparams().n_vocab + 5});
  EXPECT_EQ(r->add(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r->add(GenerationRequest{}).status().code(), StatusCode::kInvalidArgument);  // empty
  GenerationRequest bad_sampling = request(kPrompts[0], 1);
  bad_sampling.sampling.top_p = 2.0f;
  EXPECT_EQ(r->add(bad_sampling).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RunnerTest, ImageRowsRunAndAreKeyedByContent) {
  const TextHparams& h = engine_->hparams();
  const int32_t gx = 4, gy = 5, n = gx * gy;
  auto rows = std::make_shared<std::vector<float>>(static_cast<size_t>(n) * h.n_embd_inp());
  for (size_t i = 0; i < rows->size(); ++i) (*rows)[i] = 0.01f * std::sin(0.37f * static_cast<float>(i));
  auto make = [&](std::shared_ptr<const std::vector<float>> img) {
    GenerationRequest q = request("<|im_start|>user\n<|vision_start|>", 3, "gina");
    EXPECT_TRUE(q.prompt.add_image(img, h.n_embd_inp(), gx, gy).ok());
    q.prompt.add_text(ids("<|vision_end|>What is this?<|im_end|>\n<|im_start|>assistant\n"));
    return q;
  };
  GenerationRequest q = make(rows);
  EXPECT_EQ(q.prompt.next_pos(), q.prompt.size() - n + std::max(gx, gy));  // positions jump after the image
  auto r = runner();
  SeqId a = *r->add(q);
  auto first = drain(*r)[a];
  EXPECT_EQ(first.finish->reason, FinishReason::kMaxTokens);
  SeqId b = *r->add(make(rows));
  auto again = drain(*r)[b];
  EXPECT_GT(again.finish->n_reused, 0);
  EXPECT_EQ(again.tokens, first.tokens);
  auto other = std::make_shared<std::vector<float>>(*rows);
  (*other)[5] += 1.0f;  // a different image: only the text before it may be reused
  SeqId c = *r->add(make(other));
  auto different = drain(*r)[c];
  EXPECT_LT(different.finish->n_reused, again.finish->n_reused);
  // Wrong row width is rejected.
  GenerationRequest bad = request("x", 1);
  ASSERT_TRUE(bad.prompt.add_image(std::make_shared<std::vector<float>>(4 * 10), 10, 2, 2).ok());
  EXPECT_EQ(r->add(bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace teamvl::engine
