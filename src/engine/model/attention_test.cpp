// Attention: SIMD inner loops against the scalar reference on random shapes,
// and attend_kv_head against a direct softmax(q k^T) v over a paged cache.
#include "engine/model/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace teamvl::engine {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(AttentionTest, SimdKernelsMatchScalarOnRandomShapes) {
  std::mt19937 rng(5);
  const AttentionKernels& ref = attention_kernels_scalar();
  std::vector<std::pair<const char*, const AttentionKernels*>> levels = {{"avx2", attention_kernels_avx2()},
                                                                         {"avx512", attention_kernels_avx512()}};
  int tested = 0;
  for (auto [name, k] : levels) {
    if (!k) continue;
    ++tested;
    for (int32_t hd : {16, 24, 64, 72, 128}) {
      for (int32_t bs : {8, 16, 32}) {
        for (int32_t n : {1, 5, bs}) {
          for (int32_t nq : {1, 2, 3, 8, 11, 16}) {
            const int64_t stride = n + 3;
            auto qv = random_vec(nq * hd, rng), kt = random_vec(static_cast<size_t>(hd) * bs, rng);
            std::vector<const float*> q;
            for (int32_t r = 0; r < nq; ++r) q.push_back(qv.data() + r * hd);
            std::vector<float> s_ref(nq * stride, -7.0f), s_simd(nq * stride, -7.0f);
            ref.qk(q.data(), nq, kt.data(), bs, n, hd, 0.125f, s_ref.data(), stride);
            k->qk(q.data(), nq, kt.data(), bs, n, hd, 0.125f, s_simd.data(), stride);
            for (size_t i = 0; i < s_ref.size(); ++i) {
              ASSERT_NEAR(s_simd[i], s_ref[i], 1e-4) << name << " qk hd=" << hd << " bs=" << bs << " n=" << n;
            }
            auto v = random_vec(static_cast<size_t>(n) * hd, rng);
            auto o_ref = random_vec(nq * hd, rng);
            auto o_simd = o_ref;
            std::vector<float*> out_ref, out_simd;
            for (int32_t r = 0; r < nq; ++r) {
              out_ref.push_back(o_ref.data() + r * hd);
              out_simd.push_back(o_simd.data() + r * hd);
            }
            ref.pv(s_ref.data(), nq, stride, v.data(), n, hd, out_ref.data());
            k->pv(s_ref.data(), nq, stride, v.data(), n, hd, out_simd.data());
            for (size_t i = 0; i < o_ref.size(); ++i) {
              ASSERT_NEAR(o_simd[i], o_ref[i], 1e-4) << name << " pv hd=" << hd << " n=" << n << " nq=" << nq;
            }
          }
        }
      }
    }
  }
  if (tested == 0) GTEST_SKIP() << "no SIMD level on this CPU";
}

TEST(AttentionTest, PagedAttentionEqualsDirectSoftmax) {
  const int32_t hd = 32, bs = 4, n_kv = 2, group = 2, n_keys = 11;
  KvCacheConfig c{1, n_kv, hd, bs, 1 << 20};
  auto kv = std::move(KvCache::create(c)).value();
  auto seq = *kv->open("t");
  ASSERT_TRUE(kv->reserve(seq, n_keys).ok());
  std::mt19937 rng(9);
  auto keys = random_vec(static_cast<size_t>(n_keys) * n_kv * hd, rng);
  auto vals = random_vec(keys.size(), rng);
  const auto& table = kv->block_table(seq);
  for (int32_t j = 0; j < n_keys; ++j) {
    for (int32_t g = 0; g < n_kv; ++g) {
      for (int32_t d = 0; d < hd; ++d) {
        kv->k_data(table[j / bs], 0)[k_offset(g, d, j % bs, hd, bs)] = keys[(j * n_kv + g) * hd + d];
        kv->v_data(table[j / bs], 0)[v_offset(g, j % bs, hd, bs) + d] = vals[(j * n_kv + g) * hd + d];
      }
    }
  }
  // Two query heads of KV head 1 for three tokens at slots 8, 9, 10 (causal lengths 9, 10, 11).
  const int32_t g = 1;
  auto qv = random_vec(3 * group * hd, rng);
  std::vector<float> out(3 * group * hd);
  std::vector<const float*> q;
  std::vector<float*> o;
  std::vector<int32_t> len;
  for (int32_t t = 0; t < 3; ++t) {
    for (int32_t h = 0; h < group; ++h) {
      q.push_back(qv.data() + (t * group + h) * hd);
      o.push_back(out.data() + (t * group + h) * hd);
      len.push_back(n_keys - 2 + t);
    }
  }
  AttentionArgs a;
  a.kv = kv.get();
  a.blocks = table.data();
  a.kv_head = g;
  a.head_dim = hd;
  a.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::vector<float> scores(q.size() * n_keys, 123.0f);
  attend(a, q.data(), o.data(), len.data(), static_cast<int32_t>(q.size()), scores.data());
  for (size_t r = 0; r < q.size(); ++r) {
    std::vector<double> p(len[r]);
    double mx = -1e30, sum = 0;
    for (int32_t j = 0; j < len[r]; ++j) {
      double s = 0;
      for (int32_t d = 0; d < hd; ++d) s += q[r][d] * keys[(j * n_kv + g) * hd + d];
      p[j] = s * a.scale;
      mx = std::max(mx, p[j]);
    }
    for (auto& x : p) sum += (x = std::exp(x - mx));
    for (int32_t d = 0; d < hd; ++d) {
      double expect = 0;
      for (int32_t j = 0; j < len[r]; ++j) expect += p[j] / sum * vals[(j * n_kv + g) * hd + d];
      EXPECT_NEAR(o[r][d], expect, 1e-5) << "row " << r;
    }
  }
}

}  // namespace
}  // namespace teamvl::engine
