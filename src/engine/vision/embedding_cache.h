// Image embeddings kept for reuse: a follow-up question about the same image
// does not run the encoder again. Entries are keyed by the image's content
// hash (plus preprocessing and model identity, see image_embedder.h) and
// owned per member (an opaque owner tag): one owner never gets another's
// entry. Bounded by a byte budget over all owners, optionally a smaller one
// per owner; least recently used entries go first.
// Thread-safe: every method may be called from any thread. get_or_compute
// runs the computation outside the lock, once per (owner, key) even when
// several threads ask at the same time.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "engine/vision/vision_model.h"

namespace teamvl::engine {

using ImageEmbeddingPtr = std::shared_ptr<const ImageEmbedding>;

struct EmbeddingCacheStats {
  int64_t entries = 0;
  int64_t bytes = 0;
  int64_t budget_bytes = 0;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t evictions = 0;
};

class EmbeddingCache {
 public:
  // budget_bytes <= 0 stores nothing (every lookup misses).
  explicit EmbeddingCache(int64_t budget_bytes);

  // The entry, or nullptr (counted as a hit or a miss). A hit becomes the most
  // recently used entry.
  ImageEmbeddingPtr find(const std::string& owner, const std::string& key);
  // Stores (or replaces) an entry, then evicts least recently used entries
  // until the owner's and the global budget hold. An entry larger than the
  // budget that applies is not stored.
  void insert(const std::string& owner, const std::string& key, ImageEmbeddingPtr value);
  // find(), else compute() (outside the lock) and insert() its result. While a
  // computation runs, other callers for the same (owner, key) wait for it
  // instead of computing again. Errors are returned, never cached.
  Result<ImageEmbeddingPtr> get_or_compute(const std::string& owner, const std::string& key,
                                           const std::function<Result<ImageEmbedding>()>& compute);

  void erase_owner(const std::string& owner);
  void clear();
  // New global budget (evicts at once if needed).
  void set_budget(int64_t bytes);
  // An owner's own cap (<= 0 removes it); the global budget still applies.
  void set_owner_budget(const std::string& owner, int64_t bytes);
  int64_t owner_bytes(const std::string& owner) const;
  EmbeddingCacheStats stats() const;

 private:
  struct Entry {
    std::string owner;
    std::string key;  // owner + '\x1f' + key
    ImageEmbeddingPtr value;
    int64_t bytes = 0;
  };
  using Lru = std::list<Entry>;  // front = most recently used

  static std::string full_key(const std::string& owner, const std::string& key) { return owner + '\x1f' + key; }
  void erase_locked(Lru::iterator it);
  void evict_locked(const std::string& owner);
  int64_t owner_bytes_locked(const std::string& owner) const;

  mutable std::mutex mu_;
  // State below is guarded by mu_.
  int64_t budget_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
  std::map<std::string, int64_t> owner_bytes_;
  std::map<std::string, int64_t> owner_budget_;
  std::map<std::string, std::shared_future<Result<ImageEmbeddingPtr>>> in_flight_;
  int64_t bytes_ = 0, hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace teamvl::engine
