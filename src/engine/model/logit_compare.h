// Test helpers (header-only, for *_test.cpp files): comparing our logits with
// a llama.cpp fixture's top-k lists, as the fixtures README's teacher-forcing
// rule says (every listed value within the tolerance; the argmax equal where
// the reference margin exceeds it).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace teamvl::engine::testing {

// Differences between engine and reference values, over a whole test.
struct DeltaStats {
  double max = 0.0;
  size_t count = 0;
  size_t over_tol = 0;
  void add(double ours, double ref, double tol) {
    const double d = std::fabs(ours - ref);
    max = std::max(max, d);
    ++count;
    over_tol += d > tol;
  }
};

// Checks one row of logits against a reference top-k list ([[id, logit]…],
// highest first): every value into `stats`, the argmax as a test expectation.
inline void compare_top(const float* row, const nlohmann::json& top, double tol, int32_t n_vocab,
                        const std::string& where, DeltaStats& stats) {
  for (const auto& e : top) stats.add(row[e[0].get<int>()], e[1].get<double>(), tol);
  const double margin = top[0][1].get<double>() - top[1][1].get<double>();
  if (margin > tol) {
    const int32_t best = static_cast<int32_t>(std::max_element(row, row + n_vocab) - row);
    EXPECT_EQ(best, top[0][0].get<int>()) << where << " (reference margin " << margin << ")";
  }
}

}  // namespace teamvl::engine::testing
