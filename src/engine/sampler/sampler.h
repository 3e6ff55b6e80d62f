// Token sampling: penalties, filters and a seeded draw over one row of logits.
// One Sampler per sequence (it keeps the token history for penalties and its
// own RNG state); not thread-safe, but separate samplers are independent.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace teamvl::engine {

// How the next token is chosen. The defaults are plain greedy decoding.
// The chain follows llama.cpp's default order: logit bias -> penalties -> top-k -> top-p ->
// min-p -> temperature -> draw. top-p and min-p therefore act on the
// distribution at temperature 1.
struct SamplingParams {
  float temperature = 0.0f;         // <= 0: greedy (argmax, ties to the lowest id)
  int32_t top_k = 0;                // keep the k most likely tokens; 0 = off
  float top_p = 1.0f;               // nucleus: smallest set with mass >= top_p; 1 = off
  float min_p = 0.0f;               // keep p >= min_p * p_max; 0 = off
  float repetition_penalty = 1.0f;  // CTRL-style: logit>0 ? logit/r : logit*r; 1 = off
  float presence_penalty = 0.0f;    // subtracted once from every token seen
  float frequency_penalty = 0.0f;   // subtracted per occurrence
  int32_t penalty_last_n = 64;      // history window for the penalties; -1 = all
  uint64_t seed = 0;                // RNG seed: same seed + same logits = same tokens
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to those ids' logits first

  bool greedy() const { return temperature <= 0.0f; }
  // InvalidArgument naming the field when a value is out of range.
  Status validate() const;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // Adds a token to the penalty history (prompt tokens and sampled ones).
  void accept(int32_t token);
  // Chooses a token from `logits` (n_vocab floats). Does not call accept().
  // `logits` is not modified; a private copy is used for penalties.
  int32_t sample(std::span<const float> logits);

  const SamplingParams& params() const { return params_; }
  const std::vector<int32_t>& history() const { return history_; }
  // The RNG state, so a preempted sequence can resume its random stream.
  const std::mt19937_64& rng() const { return rng_; }
  void set_rng(const std::mt19937_64& rng) { rng_ = rng; }

 private:
  void apply_penalties(std::vector<float>& logits) const;
  double uniform01();

  SamplingParams params_;
  std::vector<int32_t> history_;
  std::mt19937_64 rng_;
  std::vector<float> work_;           // scratch: penalized logits
  std::vector<int32_t> candidates_;   // scratch: candidate ids
  std::vector<double> probs_;         // scratch: candidate probabilities
};

// Index of the largest value, the lowest index on ties. n must be > 0.
int32_t argmax(std::span<const float> logits);

}  // namespace teamvl::engine
