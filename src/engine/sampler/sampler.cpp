#include "engine/sampler/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace teamvl::engine {

Status SamplingParams::validate() const {
  if (!std::isfinite(temperature)) return Status::InvalidArgument("temperature must be a finite number");
  if (top_k < 0) return Status::InvalidArgument("top_k must be >= 0, got " + std::to_string(top_k));
  if (!(top_p > 0.0f && top_p <= 1.0f))
    return Status::InvalidArgument("top_p must be in (0, 1], got " + std::to_string(top_p));
  if (!(min_p >= 0.0f && min_p <= 1.0f))
    return Status::InvalidArgument("min_p must be in [0, 1], got " + std::to_string(min_p));
  if (!(repetition_penalty > 0.0f) || !std::isfinite(repetition_penalty))
    return Status::InvalidArgument("repetition_penalty must be > 0, got " + std::to_string(repetition_penalty));
  if (!std::isfinite(presence_penalty) || !std::isfinite(frequency_penalty))
    return Status::InvalidArgument("presence/frequency penalties must be finite numbers");
  for (const auto& [id, bias] : logit_bias) {
    if (id < 0 || !std::isfinite(bias)) {
      return Status::InvalidArgument("logit_bias needs token ids >= 0 and finite values");
    }
  }
  if (penalty_last_n < -1)
    return Status::InvalidArgument("penalty_last_n must be >= -1, got " + std::to_string(penalty_last_n));
  return Status::Ok();
}

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

void Sampler::accept(int32_t token) { history_.push_back(token); }

double Sampler::uniform01() {
  // 53 random bits -> [0, 1); independent of the standard library's distributions,
  // so a seed gives the same stream everywhere.
  return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
}

void Sampler::apply_penalties(std::vector<float>& logits) const {
  const bool active = params_.repetition_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                      params_.frequency_penalty != 0.0f;
  if (!active || params_.penalty_last_n == 0 || history_.empty()) return;
  size_t n = history_.size();
  if (params_.penalty_last_n > 0) n = std::min(n, static_cast<size_t>(params_.penalty_last_n));
  std::unordered_map<int32_t, int> counts;
  for (size_t i = history_.size() - n; i < history_.size(); ++i) ++counts[history_[i]];
  for (const auto& [tok, count] : counts) {
    if (tok < 0 || static_cast<size_t>(tok) >= logits.size()) continue;
    float& l = logits[tok];
    if (params_.repetition_penalty != 1.0f) {
      l = l > 0.0f ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    }
    l -= params_.presence_penalty + params_.frequency_penalty * static_cast<float>(count);
  }
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) return 0;
  work_.assign(logits.begin(), logits.end());
  for (const auto& [id, bias] : params_.logit_bias) {
    if (id >= 0 && static_cast<size_t>(id) < work_.size()) work_[id] += bias;
  }
  apply_penalties(work_);
  if (params_.greedy()) return argmax(work_);

  const std::vector<float>& l = work_;
  // Higher logit first, lower id on ties: a total order, so results never
  // depend on the sort algorithm.
  auto before = [&l](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); };
  const int32_t n = static_cast<int32_t>(l.size());
  candidates_.resize(n);
  for (int32_t i = 0; i < n; ++i) candidates_[i] = i;

  // top-k: keep the k best, sorted.
  size_t n_sorted = 0;  // candidates_[0, n_sorted) are in `before` order
  if (params_.top_k > 0 && params_.top_k < n) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + params_.top_k, candidates_.end(), before);
    candidates_.resize(params_.top_k);
    n_sorted = candidates_.size();
  }

  // top-p over the remaining candidates at temperature 1.
  if (params_.top_p < 1.0f) {
    float max_l = l[candidates_[0]];
    for (int32_t c : candidates_) max_l = std::max(max_l, l[c]);
    double total = 0.0;
    for (int32_t c : candidates_) total += std::exp(static_cast<double>(l[c] - max_l));
    const double target = static_cast<double>(params_.top_p) * total;
    size_t chunk = std::min<size_t>(candidates_.size(), 256);
    for (;;) {
      if (n_sorted < chunk) {
        std::partial_sort(candidates_.begin() + n_sorted, candidates_.begin() + chunk, candidates_.end(), before);
        n_sorted = chunk;
      }
      double cum = 0.0;
      size_t keep = 0;
      while (keep < n_sorted) {
        cum += std::exp(static_cast<double>(l[candidates_[keep]] - max_l));
        ++keep;
        if (cum >= target) break;
      }
      if (cum >= target || n_sorted == candidates_.size()) {
        candidates_.resize(keep);
        break;
      }
      chunk = std::min(candidates_.size(), chunk * 4);
    }
  }

  // min-p: p >= min_p * p_max  <=>  logit >= max_logit + log(min_p).
  if (params_.min_p > 0.0f) {
    float max_l = l[candidates_[0]];
    for (int32_t c : candidates_) max_l = std::max(max_l, l[c]);
    const float threshold = max_l + std::log(params_.min_p);
    std::erase_if(candidates_, [&](int32_t c) { return l[c] < threshold; });
  }

  // Temperature, then a draw over the survivors in a fixed (id) order.
  std::sort(candidates_.begin(), candidates_.end());
  float max_l = l[candidates_[0]];
  for (int32_t c : candidates_) max_l = std::max(max_l, l[c]);
  probs_.resize(candidates_.size());
  double total = 0.0;
  const double inv_t = 1.0 / params_.temperature;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    probs_[i] = std::exp((static_cast<double>(l[candidates_[i]]) - max_l) * inv_t);
    total += probs_[i];
  }
  const double u = uniform01() * total;
  double cum = 0.0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cum += probs_[i];
    if (u < cum) return candidates_[i];
  }
  return candidates_.back();
}

}  // namespace teamvl::engine
