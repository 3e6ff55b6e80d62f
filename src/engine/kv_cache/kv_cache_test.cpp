#include "engine/kv_cache/kv_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace teamvl::engine {
namespace {

// 2 layers x 1 head x 4 dims x 4 slots: 2*2*4*4*4 = 256 bytes per block.
KvCacheConfig small_config(int64_t blocks) {
  KvCacheConfig c;
  c.n_layer = 2;
  c.n_kv_head = 1;
  c.head_dim = 4;
  c.block_size = 4;
  c.capacity_bytes = blocks * 256;
  return c;
}

std::vector<TokenKey> text_keys(const std::vector<int32_t>& ids, int32_t pos0 = 0) {
  std::vector<TokenKey> k;
  for (size_t i = 0; i < ids.size(); ++i) k.push_back(text_token_key(ids[i], pos0 + static_cast<int32_t>(i)));
  return k;
}

std::unique_ptr<KvCache> make(int64_t blocks) {
  auto c = KvCache::create(small_config(blocks));
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

// Opens a sequence, reserves and commits `ids` as if the model had run.
KvSeqId run_seq(KvCache& kv, const std::string& owner, const std::vector<int32_t>& ids, int32_t* reused = nullptr) {
  auto keys = text_keys(ids);
  int32_t n_reused = 0;
  auto id = kv.open(owner, keys, &n_reused);
  EXPECT_TRUE(id.ok());
  EXPECT_TRUE(kv.reserve(*id, static_cast<int32_t>(ids.size())).ok());
  EXPECT_TRUE(kv.commit(*id, std::span(keys).subspan(n_reused)).ok());
  if (reused) *reused = n_reused;
  return *id;
}

TEST(KvCacheTest, RejectsBadShapesAndTinyPools) {
  KvCacheConfig c = small_config(4);
  c.head_dim = 0;
  EXPECT_EQ(KvCache::create(c).status().code(), StatusCode::kInvalidArgument);
  c = small_config(0);
  c.capacity_bytes = 100;  // less than one 256-byte block
  EXPECT_EQ(KvCache::create(c).status().code(), StatusCode::kResourceExhausted);
}

TEST(KvCacheTest, BlocksAreChargedToTheOwner) {
  auto kv = make(16);
  EXPECT_EQ(kv->block_bytes(), 256);
  auto a = *kv->open("alice");
  ASSERT_TRUE(kv->reserve(a, 9).ok());  // 3 blocks
  auto b = *kv->open("bob");
  ASSERT_TRUE(kv->reserve(b, 4).ok());  // 1 block
  EXPECT_EQ(kv->owner_usage("alice").blocks, 3);
  EXPECT_EQ(kv->owner_usage("alice").bytes, 3 * 256);
  EXPECT_EQ(kv->owner_usage("bob").blocks, 1);
  EXPECT_EQ(kv->owner_usage("carol").blocks, 0);
  EXPECT_EQ(kv->pool_usage().used_blocks, 4);
  EXPECT_EQ(kv->all_owner_usage().size(), 2u);
  kv->release(a);
  EXPECT_EQ(kv->owner_usage("alice").blocks, 0);
  EXPECT_EQ(kv->pool_usage().used_blocks, 1);
}

TEST(KvCacheTest, OwnerBudgetExhaustionIsACleanError) {
  auto kv = make(16);
  kv->set_owner_budget("alice", 2 * 256);
  auto a = *kv->open("alice");
  ASSERT_TRUE(kv->reserve(a, 8).ok());
  Status s = kv->reserve(a, 9);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("alice"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("budget"), std::string::npos) << s.message();
  EXPECT_EQ(kv->owner_usage("alice").blocks, 2);  // nothing allocated by the failed call
  // Another owner is unaffected.
  auto b = *kv->open("bob");
  EXPECT_TRUE(kv->reserve(b, 16).ok());
  // Raising the budget lets alice continue.
  kv->set_owner_budget("alice", 0);
  EXPECT_TRUE(kv->reserve(a, 9).ok());
}

TEST(KvCacheTest, PoolExhaustionIsACleanError) {
  auto kv = make(3);
  auto a = *kv->open("alice");
  ASSERT_TRUE(kv->reserve(a, 8).ok());
  auto b = *kv->open("bob");
  Status s = kv->reserve(b, 8);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("pool"), std::string::npos) << s.message();
  EXPECT_EQ(kv->owner_usage("bob").blocks, 0);
  kv->release(a);  // cancel frees the blocks
  EXPECT_TRUE(kv->reserve(b, 8).ok());
}

TEST(KvCacheTest, CommitBeyondReservationFails) {
  auto kv = make(4);
  auto a = *kv->open("alice");
  ASSERT_TRUE(kv->reserve(a, 3).ok());  // one block of 4 slots
  auto keys = text_keys({1, 2, 3, 4, 5});
  EXPECT_EQ(kv->commit(a, keys).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(kv->commit(a, std::span(keys).first(4)).ok());
  EXPECT_EQ(kv->seq_length(a), 4);
}

TEST(KvCacheTest, FollowUpTurnReusesFullBlocksOfTheSameOwner) {
  auto kv = make(32);
  std::vector<int32_t> turn1 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // 2 full blocks + 2
  auto s1 = run_seq(*kv, "alice", turn1);
  kv->release(s1);
  EXPECT_EQ(kv->owner_usage("alice").blocks, 0);
  EXPECT_EQ(kv->owner_usage("alice").cached_blocks, 2);

  std::vector<int32_t> turn2 = turn1;
  for (int32_t t : {11, 12, 13}) turn2.push_back(t);
  int32_t reused = 0;
  auto s2 = run_seq(*kv, "alice", turn2, &reused);
  EXPECT_EQ(reused, 8);
  EXPECT_EQ(kv->seq_length(s2), 13);
  EXPECT_EQ(kv->owner_usage("alice").cached_blocks, 0);
  EXPECT_EQ(kv->owner_usage("alice").blocks, 4);
  EXPECT_EQ(kv->pool_usage().reused_tokens, 8);

  // Another owner with the same tokens gets nothing (no cross-member sharing).
  int32_t reused_bob = -1;
  auto s3 = run_seq(*kv, "bob", turn2, &reused_bob);
  EXPECT_EQ(reused_bob, 0);
  kv->release(s2);
  kv->release(s3);
}

TEST(KvCacheTest, LastPromptTokenIsNeverReused) {
  auto kv = make(32);
  std::vector<int32_t> p = {1, 2, 3, 4, 5, 6, 7, 8};  // exactly 2 blocks
  kv->release(run_seq(*kv, "alice", p));
  int32_t reused = 0;
  auto s = run_seq(*kv, "alice", p, &reused);
  EXPECT_EQ(reused, 4);  // the block holding the last token is recomputed
  kv->release(s);
}

TEST(KvCacheTest, DifferentPrefixOrPositionsDoNotMatch) {
  auto kv = make(32);
  kv->release(run_seq(*kv, "alice", {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  int32_t reused = -1;
  kv->release(run_seq(*kv, "alice", {1, 2, 3, 9, 5, 6, 7, 8, 9}, &reused));
  EXPECT_EQ(reused, 0);
  // Same ids, shifted positions (e.g. after an image): no match either.
  auto keys = text_keys({1, 2, 3, 4, 5, 6, 7, 8, 9}, 5);
  auto id = kv->open("alice", keys, &reused);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(reused, 0);
  kv->release(*id);
}

TEST(KvCacheTest, LiveSequencesShareBlocksAndChargeThemOnce) {
  auto kv = make(32);
  std::vector<int32_t> p = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto s1 = run_seq(*kv, "alice", p);  // 3 blocks
  int32_t reused = 0;
  auto s2 = run_seq(*kv, "alice", p, &reused);
  EXPECT_EQ(reused, 8);
  EXPECT_EQ(kv->block_table(s1)[0], kv->block_table(s2)[0]);
  EXPECT_EQ(kv->block_table(s1)[1], kv->block_table(s2)[1]);
  EXPECT_NE(kv->block_table(s1)[2], kv->block_table(s2)[2]);
  EXPECT_EQ(kv->owner_usage("alice").blocks, 4);  // 2 shared + 2 own last blocks
  kv->release(s1);
  EXPECT_EQ(kv->owner_usage("alice").blocks, 3);  // shared ones still live for s2
  kv->release(s2);
  EXPECT_EQ(kv->owner_usage("alice").blocks, 0);
}

TEST(KvCacheTest, CachedBlocksAreEvictedWhenThePoolNeedsThem) {
  auto kv = make(4);
  kv->release(run_seq(*kv, "alice", {1, 2, 3, 4, 5, 6, 7, 8, 9}));  // 2 cached + 1 free
  EXPECT_EQ(kv->pool_usage().cached_blocks, 2);
  auto b = *kv->open("bob");
  ASSERT_TRUE(kv->reserve(b, 16).ok());  // needs all 4: evicts alice's cache
  EXPECT_EQ(kv->pool_usage().cached_blocks, 0);
  EXPECT_EQ(kv->owner_usage("alice").cached_blocks, 0);
  kv->release(b);
  int32_t reused = -1;
  kv->release(run_seq(*kv, "alice", {1, 2, 3, 4, 5, 6, 7, 8, 9}, &reused));
  EXPECT_EQ(reused, 0);
}

TEST(KvCacheTest, BudgetLimitsReusedBlocksToo) {
  auto kv = make(32);
  kv->release(run_seq(*kv, "alice", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));  // 3 cached
  kv->set_owner_budget("alice", 2 * 256);
  int32_t reused = 0;
  auto keys = text_keys({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
  auto id = kv->open("alice", keys, &reused);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(reused, 8);
  EXPECT_EQ(kv->reserve(*id, 13).code(), StatusCode::kResourceExhausted);
  kv->release(*id);
}

TEST(KvCacheTest, TruncateDropsUncommittedTail) {
  auto kv = make(8);
  auto a = *kv->open("alice");
  ASSERT_TRUE(kv->reserve(a, 6).ok());
  auto keys = text_keys({1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(kv->commit(a, keys).ok());
  EXPECT_EQ(kv->truncate(a, 2).code(), StatusCode::kFailedPrecondition);  // inside a hashed block
  EXPECT_TRUE(kv->truncate(a, 5).ok());
  EXPECT_EQ(kv->seq_length(a), 5);
}

TEST(KvCacheTest, DataOfBlocksIsDistinctPerLayer) {
  auto kv = make(2);
  auto a = *kv->open("alice");
  ASSERT_TRUE(kv->reserve(a, 8).ok());
  const auto& table = kv->block_table(a);
  ASSERT_EQ(table.size(), 2u);
  // K and V of each layer of each block: 4 slots x 4 dims, non-overlapping.
  std::vector<float*> ptrs;
  for (int32_t b : table)
    for (int l = 0; l < 2; ++l) {
      ptrs.push_back(kv->k_data(b, l));
      ptrs.push_back(kv->v_data(b, l));
    }
  std::sort(ptrs.begin(), ptrs.end());
  for (size_t i = 1; i < ptrs.size(); ++i) EXPECT_GE(ptrs[i] - ptrs[i - 1], 16);
  for (float* p : ptrs) std::fill(p, p + 16, 1.0f);  // writable (ASan would catch overruns)
}

TEST(KvCacheTest, UsageIsReadableFromOtherThreads) {
  auto kv = make(64);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      auto all = kv->all_owner_usage();
      for (const auto& u : all) ASSERT_GE(u.blocks, 0);
    }
  });
  for (int i = 0; i < 200; ++i) {
    auto id = *kv->open("owner" + std::to_string(i % 5));
    ASSERT_TRUE(kv->reserve(*&id, 1 + i % 30).ok());
    kv->release(id);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(kv->pool_usage().used_blocks, 0);
}

}  // namespace
}  // namespace teamvl::engine
