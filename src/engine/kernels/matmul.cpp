// matmul entry points: validation, kernel choice per SIMD level, activation
// conversion, and the split of (rows x tokens) work over the thread pool.
#include "engine/kernels/matmul.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "engine/kernels/matmul_internal.h"

namespace teamvl::engine {

using matmul_internal::ActLayout;
using matmul_internal::ActScratch;
using matmul_internal::MatmulKernel;
using matmul_internal::PreparedAct;

Status validate_weight(const WeightView& w) {
  if (!is_supported_type(w.type) || w.type == GgmlType::kQ8_K) {
    return Status::InvalidArgument("matmul: unsupported weight type " + type_name(w.type));
  }
  if (w.cols <= 0 || w.rows <= 0) {
    return Status::InvalidArgument("matmul: bad weight shape " + std::to_string(w.cols) + "x" +
                                   std::to_string(w.rows));
  }
  if (w.cols % block_size(w.type) != 0) {
    return Status::InvalidArgument("matmul: " + std::to_string(w.cols) + " columns is not a multiple of " +
                                   type_name(w.type) + "'s block size " +
                                   std::to_string(block_size(w.type)));
  }
  if (!w.data) return Status::InvalidArgument("matmul: weight has no data");
  return Status::Ok();
}

namespace {

struct Choice {
  MatmulKernel kernel = nullptr;
  ActLayout layout;
  bool whole_tokens = false;  // a task must cover every token (packed kernels)
};

Choice choose(GgmlType t, SimdLevel level, int64_t n_tokens) {
  if (!simd_level_supported(level)) level = simd_level();
  if (level == SimdLevel::kAvx512 && n_tokens >= matmul_internal::kPackedMinTokens) {
    if (MatmulKernel k = matmul_internal::avx512_packed_kernel(t)) {
      return {k, matmul_internal::avx512_packed_layout(), true};
    }
  }
  if (level == SimdLevel::kAvx512) {
    if (MatmulKernel k = matmul_internal::avx512_kernel(t)) return {k, matmul_internal::avx512_layout()};
    level = SimdLevel::kAvx2;
  }
  if (level == SimdLevel::kAvx2) {
    if (MatmulKernel k = matmul_internal::avx2_kernel(t)) return {k, matmul_internal::avx2_layout()};
  }
  return {matmul_internal::scalar_kernel(t), ActLayout{}};
}

void fill_nan(float* y, int64_t n_tokens, int64_t rows, int64_t ldy) {
  if (!y || rows <= 0 || ldy < rows) return;
  for (int64_t t = 0; t < n_tokens; ++t) {
    std::fill(y + t * ldy, y + t * ldy + rows, std::numeric_limits<float>::quiet_NaN());
  }
}

// Rows per task, a multiple of 16: about 4 tasks per thread, or 8 for a few
// tokens (decode: one product takes tens of microseconds, and the threads
// wait for the slowest at its end, so smaller last tasks matter).
int64_t row_chunk(int64_t rows, int64_t n_tokens, int threads) {
  const int64_t token_chunks = n_tokens > 64 ? (n_tokens + 63) / 64 : 1;
  const int64_t want_tasks = (n_tokens <= 4 ? 8 : 4) * static_cast<int64_t>(threads);
  int64_t per_token_chunk = std::max<int64_t>(1, want_tasks / token_chunks);
  int64_t rc = (rows + per_token_chunk - 1) / per_token_chunk;
  rc = std::clamp<int64_t>(rc, 16, n_tokens > 64 ? 128 : 1024);
  return (rc + 15) / 16 * 16;
}

// Rows per packed task (every token): 32, or 16 when that is needed for
// about 4 tasks per thread.
int64_t packed_row_chunk(int64_t rows, int threads) {
  return rows >= 32 * 4 * static_cast<int64_t>(threads) ? 32 : 16;
}

}  // namespace

void matmul_shared(std::span<const MatmulJob> jobs, const float* x, int64_t n_tokens,
                   ThreadPool& pool, SimdLevel level) {
  if (n_tokens <= 0 || jobs.empty()) return;
  constexpr size_t kMaxTypes = 4;  // distinct weight types converted per round
  struct Group {
    GgmlType type;
    Choice choice;
    PreparedAct act;
  };
  thread_local ActScratch scratch[kMaxTypes];
  std::vector<size_t> pending;  // valid jobs not yet run
  const int64_t cols = jobs[0].w.cols;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const MatmulJob& job = jobs[j];
    const int64_t ldy = job.ldy ? job.ldy : job.w.rows;
    if (!job.y || ldy <= 0) continue;  // nothing we may write to
    if (!validate_weight(job.w).ok() || ldy < job.w.rows || job.w.cols != cols) {
      // Stay inside the n_tokens x ldy buffer the caller described.
      fill_nan(job.y, n_tokens, std::clamp<int64_t>(job.w.rows, 0, ldy), ldy);
    } else {
      pending.push_back(j);
    }
  }
  while (!pending.empty()) {
    // Convert the input once per distinct weight type (up to kMaxTypes per round).
    std::vector<Group> groups;
    std::vector<size_t> round, later;
    for (size_t j : pending) {
      const GgmlType t = jobs[j].w.type;
      auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.type == t; });
      if (it == groups.end() && groups.size() == kMaxTypes) {
        later.push_back(j);
        continue;
      }
      if (it == groups.end()) {
        Group g{t, choose(t, level, n_tokens), {}};
        g.act = matmul_internal::prepare_activations(t, x, n_tokens, cols, g.choice.layout,
                                                     scratch[groups.size()], &pool);
        groups.push_back(g);
      }
      round.push_back(j);
    }
    // One pool job for all products of the round: tasks are (job, row chunk, token chunk).
    int64_t total_rows = 0;
    for (size_t j : round) total_rows += jobs[j].w.rows;
    struct Split {
      const MatmulJob* job;
      const Group* group;
      int64_t rc, tc, n_rc;
    };
    std::vector<Split> splits;
    std::vector<int64_t> first_task(1, 0);
    for (size_t j : round) {
      const MatmulJob& job = jobs[j];
      const Group* g = &*std::find_if(groups.begin(), groups.end(),
                                      [&](const Group& gr) { return gr.type == job.w.type; });
      Split sp{&job, g, 0, 0, 0};
      if (g->choice.whole_tokens) {
        sp.rc = packed_row_chunk(total_rows, pool.size());
        sp.tc = n_tokens;
      } else {
        sp.rc = row_chunk(total_rows, n_tokens, pool.size());
        sp.tc = 64;
      }
      sp.n_rc = (job.w.rows + sp.rc - 1) / sp.rc;
      splits.push_back(sp);
      first_task.push_back(first_task.back() + sp.n_rc * ((n_tokens + sp.tc - 1) / sp.tc));
    }
    pool.parallel_for(first_task.back(), [&](int64_t begin, int64_t end) {
      size_t i = 0;
      for (int64_t task = begin; task < end; ++task) {
        while (task >= first_task[i + 1]) ++i;
        const Split& sp = splits[i];
        const WeightView& w = sp.job->w;
        const int64_t local = task - first_task[i];
        const int64_t r0 = (local % sp.n_rc) * sp.rc, t0 = (local / sp.n_rc) * sp.tc;
        sp.group->choice.kernel(w, sp.group->act, r0, std::min(w.rows, r0 + sp.rc), t0,
                                std::min(n_tokens, t0 + sp.tc), sp.job->y,
                                sp.job->ldy ? sp.job->ldy : w.rows);
      }
    });
    pending = std::move(later);
  }
}

void matmul_shared(std::span<const MatmulJob> jobs, const float* x, int64_t n_tokens,
                   ThreadPool& pool) {
  matmul_shared(jobs, x, n_tokens, pool, simd_level());
}

void matmul_strided(const WeightView& w, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                    ThreadPool& pool, SimdLevel level) {
  const MatmulJob job{w, y, ldy};
  matmul_shared(std::span<const MatmulJob>(&job, 1), x, n_tokens, pool, level);
}

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            SimdLevel level) {
  matmul_strided(w, x, n_tokens, y, w.rows, pool, level);
}

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  matmul_strided(w, x, n_tokens, y, w.rows, pool, simd_level());
}

void matmul_reference(const WeightView& w, const float* x, int64_t n_tokens, float* y) {
  if (n_tokens <= 0) return;
  if (!validate_weight(w).ok()) {
    fill_nan(y, n_tokens, w.rows, w.rows);
    return;
  }
  ActScratch scratch;
  const PreparedAct a =
      matmul_internal::prepare_activations(w.type, x, n_tokens, w.cols, ActLayout{}, scratch, nullptr);
  matmul_internal::scalar_kernel(w.type)(w, a, 0, w.rows, 0, n_tokens, y, w.rows);
}

}  // namespace teamvl::engine
