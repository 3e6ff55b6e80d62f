// The embedding cache: owners isolated, LRU eviction under the global and
// per-owner budgets, one computation for concurrent requests, errors not
// cached; and the ImageEmbedder using it: a second look at the same image by
// the same owner does not run the encoder again.
#include "engine/vision/embedding_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/image/test_pdf.h"
#include "engine/kernels/thread_pool.h"
#include "engine/vision/image_embedder.h"
#include "engine/vision/vision_test_util.h"

namespace teamvl::engine {
namespace {

ImageEmbeddingPtr make(int32_t n_floats, float value) {
  auto e = std::make_shared<ImageEmbedding>();
  e->n_tokens = 1;
  e->dim = n_floats;
  e->grid_x = e->grid_y = 1;
  e->rows.assign(n_floats, value);
  return e;
}

// Bytes the cache charges for an entry (payload plus bookkeeping).
int64_t charge(const ImageEmbeddingPtr& e, const std::string& owner, const std::string& key) {
  return e->bytes() + static_cast<int64_t>(owner.size() + key.size() + 1 + sizeof(ImageEmbedding));
}

TEST(EmbeddingCacheTest, OwnersAreIsolated) {
  EmbeddingCache cache(1 << 20);
  cache.insert("alice", "img", make(10, 1.0f));
  EXPECT_NE(cache.find("alice", "img"), nullptr);
  EXPECT_EQ(cache.find("bob", "img"), nullptr);
  cache.insert("bob", "img", make(10, 2.0f));
  EXPECT_EQ(cache.find("alice", "img")->rows[0], 1.0f);
  EXPECT_EQ(cache.find("bob", "img")->rows[0], 2.0f);
  cache.erase_owner("alice");
  EXPECT_EQ(cache.find("alice", "img"), nullptr);
  EXPECT_NE(cache.find("bob", "img"), nullptr);
  EXPECT_EQ(cache.owner_bytes("alice"), 0);
  const auto s = cache.stats();
  EXPECT_EQ(s.entries, 1);
  EXPECT_EQ(s.hits, 4);
  EXPECT_EQ(s.misses, 2);
}

TEST(EmbeddingCacheTest, EvictsLeastRecentlyUsedWithinBudget) {
  const auto probe = make(1000, 0.0f);
  const int64_t one = charge(probe, "a", "k0");
  EmbeddingCache cache(3 * one);  // room for three entries
  for (int i = 0; i < 3; ++i) cache.insert("a", "k" + std::to_string(i), make(1000, static_cast<float>(i)));
  ASSERT_NE(cache.find("a", "k0"), nullptr);  // k0 becomes the most recent: k1 is now the oldest
  cache.insert("a", "k3", make(1000, 3.0f));
  EXPECT_EQ(cache.find("a", "k1"), nullptr);
  EXPECT_NE(cache.find("a", "k0"), nullptr);
  EXPECT_NE(cache.find("a", "k2"), nullptr);
  EXPECT_NE(cache.find("a", "k3"), nullptr);
  EXPECT_EQ(cache.stats().evictions, 1);
  EXPECT_LE(cache.stats().bytes, 3 * one);
  // Larger than the whole budget: not stored, nothing evicted.
  cache.insert("a", "huge", make(10000, 0.0f));
  EXPECT_EQ(cache.find("a", "huge"), nullptr);
  EXPECT_EQ(cache.stats().entries, 3);
  // A smaller budget evicts at once.
  cache.set_budget(one);
  EXPECT_EQ(cache.stats().entries, 1);
  cache.set_budget(0);
  EXPECT_EQ(cache.stats().entries, 0);
}

TEST(EmbeddingCacheTest, OwnerBudgetEvictsOnlyThatOwner) {
  const int64_t one = charge(make(1000, 0.0f), "a", "k0");
  EmbeddingCache cache(100 * one);
  cache.insert("b", "k0", make(1000, 0.0f));
  cache.set_owner_budget("a", 2 * one);
  for (int i = 0; i < 5; ++i) cache.insert("a", "k" + std::to_string(i), make(1000, 0.0f));
  EXPECT_LE(cache.owner_bytes("a"), 2 * one);
  EXPECT_NE(cache.find("a", "k4"), nullptr);
  EXPECT_NE(cache.find("a", "k3"), nullptr);
  EXPECT_EQ(cache.find("a", "k0"), nullptr);
  EXPECT_NE(cache.find("b", "k0"), nullptr);  // untouched
}

TEST(EmbeddingCacheTest, ConcurrentRequestsComputeOnce) {
  EmbeddingCache cache(1 << 20);
  std::atomic<int> computed{0};
  auto compute = [&]() -> Result<ImageEmbedding> {
    ++computed;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ImageEmbedding e = *make(8, 5.0f);
    return e;
  };
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = cache.get_or_compute("a", "img", compute);
      if (r.ok() && (*r)->rows[0] == 5.0f) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed.load(), 1);
  EXPECT_EQ(ok.load(), 4);
  // Errors are returned and not cached.
  int failures = 0;
  auto failing = [&]() -> Result<ImageEmbedding> {
    ++failures;
    return Status::DataLoss("corrupt image");
  };
  EXPECT_FALSE(cache.get_or_compute("a", "bad", failing).ok());
  EXPECT_FALSE(cache.get_or_compute("a", "bad", failing).ok());
  EXPECT_EQ(failures, 2);
}

TEST(EmbeddingCacheTest, EmbedderEncodesEachImageOncePerOwner) {
  RandomMmprojSpec spec;
  auto m = VisionModel::open(testing::random_mmproj_path("F32", spec));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ThreadPool pool(2);
  EmbeddingCache cache(64 << 20);
  ImageEmbedder embedder(**m, pool, &cache);
  // A BMP file made by hand (the decoder reads it like any upload).
  const RgbImage img = testing::pattern_image(40, 30);
  std::vector<uint8_t> bmp(54 + 40 * 30 * 3);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bmp[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  bmp[0] = 'B';
  bmp[1] = 'M';
  put32(2, static_cast<uint32_t>(bmp.size()));
  put32(10, 54);
  put32(14, 40);
  put32(18, 40);
  put32(22, 30);
  bmp[26] = 1;
  bmp[28] = 24;
  for (int y = 0; y < 30; ++y) {  // bottom-up rows, BGR, 120 bytes per row (no padding needed)
    for (int x = 0; x < 40; ++x) {
      const uint8_t* p = img.pixel(x, 29 - y);
      uint8_t* o = &bmp[54 + (y * 40 + x) * 3];
      o[0] = p[2];
      o[1] = p[1];
      o[2] = p[0];
    }
  }
  auto first = embedder.embed_file(bmp, "alice");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(embedder.encodes(), 1);
  auto again = embedder.embed_file(bmp, "alice");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(embedder.encodes(), 1);  // served from the cache
  EXPECT_EQ(first->get(), again->get());
  auto other = embedder.embed_file(bmp, "bob");  // another member: encoded for them
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(embedder.encodes(), 2);
  EXPECT_EQ((*other)->rows, (*first)->rows);
  ImageEmbedOptions smaller;
  smaller.max_side = 32;  // other preprocessing: another entry
  auto small = embedder.embed_file(bmp, "alice", smaller);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(embedder.encodes(), 3);
  EXPECT_NE((*first)->content_hash, 0u);
  // Without a cache every call encodes.
  ImageEmbedder uncached(**m, pool);
  ASSERT_TRUE(uncached.embed_file(bmp, "alice").ok());
  ASSERT_TRUE(uncached.embed_file(bmp, "alice").ok());
  EXPECT_EQ(uncached.encodes(), 2);
  // Over the pixel limit: refused before decoding, with its own code. (A cached
  // embedding would be served without decoding: the limit guards decoding.)
  ImageEmbedOptions tiny_limit;
  tiny_limit.decode.max_pixels = 100;
  auto big = uncached.embed_file(bmp, "alice", tiny_limit);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kTooLarge);
  // Bad bytes give a clear error and are not cached.
  const std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  auto bad = embedder.embed_file(junk, "alice");
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(bad.status().message().empty());
}

// A follow-up question about the same PDF is served page by page from the
// cache (nothing rendered or encoded again), and the cached pages equal what
// an embedder without a cache computes.
TEST(EmbeddingCacheTest, EmbedderServesPdfPagesFromTheCache) {
  RandomMmprojSpec spec;
  auto m = VisionModel::open(testing::random_mmproj_path("F32", spec));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ThreadPool pool(2);
  EmbeddingCache cache(64 << 20);
  ImageEmbedder cached(**m, pool, &cache), plain(**m, pool);
  const std::vector<uint8_t> pdf = testing::two_page_pdf();
  ImageEmbedOptions small;
  small.max_side = 64;
  auto first = cached.embed_pdf(pdf, "alice", {}, small);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(cached.encodes(), 2);
  auto again = cached.embed_pdf(pdf, "alice", {}, small);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(cached.encodes(), 2) << "served from the cache";
  EXPECT_EQ((*first)[1].get(), (*again)[1].get());
  auto reference = plain.embed_pdf(pdf, "alice", {}, small);
  ASSERT_TRUE(reference.ok());
  ASSERT_EQ(reference->size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ((*first)[i]->rows, (*reference)[i]->rows) << "page " << i;
  PdfRenderOptions second_only;
  second_only.first_page = 1;
  auto one = cached.embed_pdf(pdf, "alice", second_only, small);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].get(), (*first)[1].get());
  second_only.first_page = 2;
  EXPECT_EQ(cached.embed_pdf(pdf, "alice", second_only, small).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace teamvl::engine
