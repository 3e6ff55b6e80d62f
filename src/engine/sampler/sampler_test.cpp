#include "engine/sampler/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace teamvl::engine {
namespace {

std::vector<float> ramp(int n) {  // logits 0, 0.1, 0.2, ...: the last id is the best
  std::vector<float> l(n);
  for (int i = 0; i < n; ++i) l[i] = 0.1f * static_cast<float>(i);
  return l;
}

std::set<int32_t> draw_set(const SamplingParams& p, const std::vector<float>& logits, int draws) {
  Sampler s(p);
  std::set<int32_t> seen;
  for (int i = 0; i < draws; ++i) seen.insert(s.sample(logits));
  return seen;
}

TEST(SamplerTest, GreedyPicksArgmaxAndLowestIdOnTies) {
  Sampler s(SamplingParams{});
  EXPECT_EQ(s.sample(std::vector<float>{0.f, 3.f, 1.f, 3.f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{-5.f, -1.f, -1.f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{7.f}), 0);
}

TEST(SamplerTest, SameSeedSameTokensDifferentSeedDifferentTokens) {
  std::vector<float> logits(1000, 0.0f);  // uniform: maximal randomness
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  Sampler a(p), b(p);
  p.seed = 43;
  Sampler c(p);
  std::vector<int32_t> ta, tb, tc;
  for (int i = 0; i < 50; ++i) {
    ta.push_back(a.sample(logits));
    tb.push_back(b.sample(logits));
    tc.push_back(c.sample(logits));
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

TEST(SamplerTest, TopKKeepsOnlyTheKBest) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 3;
  auto seen = draw_set(p, ramp(50), 400);
  EXPECT_EQ(seen, (std::set<int32_t>{47, 48, 49}));
}

TEST(SamplerTest, TopPKeepsSmallestNucleus) {
  // probabilities 0.5, 0.3, 0.15, 0.05 (as logits of their logs)
  std::vector<float> l = {std::log(0.05f), std::log(0.5f), std::log(0.15f), std::log(0.3f)};
  struct Case { float top_p; std::set<int32_t> expected; };
  for (const Case& c : {Case{0.4f, {1}}, Case{0.7f, {1, 3}}, Case{0.9f, {1, 3, 2}}, Case{1.0f, {0, 1, 2, 3}}}) {
    SamplingParams p;
    p.temperature = 1.0f;
    p.top_p = c.top_p;
    EXPECT_EQ(draw_set(p, l, 2000), c.expected) << "top_p=" << c.top_p;
  }
}

TEST(SamplerTest, TopPOnLargeVocabularyNeedsMoreThanTheFirstChunk) {
  std::vector<float> l(5000, 0.0f);  // uniform: 0.5 mass needs 2500 tokens
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.5f;
  auto seen = draw_set(p, l, 400);
  EXPECT_GT(seen.size(), 250u);
  EXPECT_LT(*seen.rbegin(), 2501);  // ties broken by id: ids >= 2500 are cut
}

TEST(SamplerTest, MinPCutsTokensBelowFractionOfTheBest) {
  std::vector<float> l = {std::log(0.6f), std::log(0.25f), std::log(0.1f), std::log(0.05f)};
  SamplingParams p;
  p.temperature = 1.0f;
  p.min_p = 0.2f;  // threshold 0.12: keeps 0.6 and 0.25
  EXPECT_EQ(draw_set(p, l, 2000), (std::set<int32_t>{0, 1}));
}

TEST(SamplerTest, TemperatureSharpensDistribution) {
  std::vector<float> l = {0.0f, 1.0f};
  auto count_best = [&](float t) {
    SamplingParams p;
    p.temperature = t;
    p.seed = 7;
    Sampler s(p);
    int n = 0;
    for (int i = 0; i < 4000; ++i) n += s.sample(l) == 1;
    return n / 4000.0;
  };
  // p(best) = 1/(1+e^-1/t): 0.731 at t=1, 0.9933 at t=0.2
  EXPECT_NEAR(count_best(1.0f), 0.731, 0.03);
  EXPECT_NEAR(count_best(0.2f), 0.9933, 0.01);
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  Sampler s(p);
  // token 0: 3.0 -> 1.5 after the penalty, so 1 (2.0) wins
  s.accept(0);
  EXPECT_EQ(s.sample(std::vector<float>{3.0f, 2.0f}), 1);
  // negative logits get more negative: -1 -> -2, so 1 (-1.5) wins
  Sampler s2(p);
  s2.accept(0);
  EXPECT_EQ(s2.sample(std::vector<float>{-1.0f, -1.5f}), 1);
}

TEST(SamplerTest, PresenceAndFrequencyPenalties) {
  SamplingParams p;
  p.presence_penalty = 0.5f;
  Sampler s(p);
  s.accept(0);
  s.accept(0);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 0.6f}), 1);  // 1.0 - 0.5 < 0.6
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 0.4f}), 0);  // counted once, not twice

  SamplingParams f;
  f.frequency_penalty = 0.3f;
  Sampler s3(f);
  s3.accept(0);
  s3.accept(0);
  EXPECT_EQ(s3.sample(std::vector<float>{1.0f, 0.5f}), 1);  // 1.0 - 0.6 < 0.5
}

TEST(SamplerTest, PenaltyWindowOnlyCoversLastN) {
  SamplingParams p;
  p.presence_penalty = 10.0f;
  p.penalty_last_n = 2;
  Sampler s(p);
  s.accept(0);  // falls out of the window
  s.accept(2);
  s.accept(2);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 0.5f, 3.0f}), 0);
}

TEST(SamplerTest, LogitBiasShiftsChosenIds) {
  SamplingParams p;
  p.logit_bias = {{0, 5.0f}, {7, 1.0f}};  // id 7 is out of range: ignored
  Sampler s(p);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 4.0f, 3.0f}), 0);
  p.logit_bias = {{-1, 1.0f}};
  EXPECT_FALSE(p.validate().ok());
}

TEST(SamplerTest, PenaltiesDoNotModifyCallerLogits) {
  SamplingParams p;
  p.repetition_penalty = 3.0f;
  Sampler s(p);
  s.accept(0);
  std::vector<float> l = {3.0f, 2.0f};
  (void)s.sample(l);
  EXPECT_EQ(l[0], 3.0f);
}

TEST(SamplerTest, ValidateRejectsOutOfRangeValues) {
  struct Case { const char* name; SamplingParams p; };
  std::vector<Case> bad;
  SamplingParams p;
  p.top_p = 0.0f; bad.push_back({"top_p=0", p}); p = {};
  p.top_p = 1.5f; bad.push_back({"top_p=1.5", p}); p = {};
  p.top_k = -1; bad.push_back({"top_k=-1", p}); p = {};
  p.min_p = 2.0f; bad.push_back({"min_p=2", p}); p = {};
  p.repetition_penalty = 0.0f; bad.push_back({"rep=0", p}); p = {};
  p.temperature = NAN; bad.push_back({"temp=nan", p}); p = {};
  for (const auto& c : bad) EXPECT_FALSE(c.p.validate().ok()) << c.name;
  EXPECT_TRUE(SamplingParams{}.validate().ok());
}

TEST(SamplerTest, RngStateCanBeCarriedOver) {
  std::vector<float> logits(100, 0.0f);
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 3;
  Sampler a(p);
  for (int i = 0; i < 5; ++i) (void)a.sample(logits);
  Sampler b(p);
  b.set_rng(a.rng());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.sample(logits), b.sample(logits));
}

}  // namespace
}  // namespace teamvl::engine
