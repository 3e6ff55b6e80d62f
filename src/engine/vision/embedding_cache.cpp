#include "engine/vision/embedding_cache.h"

namespace teamvl::engine {

EmbeddingCache::EmbeddingCache(int64_t budget_bytes) : budget_(budget_bytes) {}

ImageEmbeddingPtr EmbeddingCache::find(const std::string& owner, const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(full_key(owner, key));
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void EmbeddingCache::erase_locked(Lru::iterator it) {
  bytes_ -= it->bytes;
  auto ob = owner_bytes_.find(it->owner);
  if (ob != owner_bytes_.end() && (ob->second -= it->bytes) <= 0) owner_bytes_.erase(ob);
  index_.erase(it->key);
  lru_.erase(it);
}

// Evicts from the back: first `owner`'s own entries while it is over its cap,
// then anybody's while the total is over the budget.
void EmbeddingCache::evict_locked(const std::string& owner) {
  auto cap = owner_budget_.find(owner);
  if (cap != owner_budget_.end()) {
    auto it = lru_.end();
    while (owner_bytes_locked(owner) > cap->second && it != lru_.begin()) {
      --it;
      if (it->owner != owner) continue;
      auto victim = it++;
      erase_locked(victim);
      ++evictions_;
    }
  }
  while (bytes_ > budget_ && !lru_.empty()) {
    erase_locked(std::prev(lru_.end()));
    ++evictions_;
  }
}

void EmbeddingCache::insert(const std::string& owner, const std::string& key, ImageEmbeddingPtr value) {
  if (!value) return;
  const int64_t bytes = value->bytes() + static_cast<int64_t>(key.size() + owner.size() + sizeof(ImageEmbedding));
  std::lock_guard lock(mu_);
  const std::string fk = full_key(owner, key);
  if (auto it = index_.find(fk); it != index_.end()) erase_locked(it->second);
  auto cap = owner_budget_.find(owner);
  if (bytes > budget_ || (cap != owner_budget_.end() && bytes > cap->second)) return;
  lru_.push_front(Entry{owner, fk, std::move(value), bytes});
  index_[fk] = lru_.begin();
  bytes_ += bytes;
  owner_bytes_[owner] += bytes;
  evict_locked(owner);
}

Result<ImageEmbeddingPtr> EmbeddingCache::get_or_compute(const std::string& owner, const std::string& key,
                                                         const std::function<Result<ImageEmbedding>()>& compute) {
  const std::string fk = full_key(owner, key);
  std::promise<Result<ImageEmbeddingPtr>> promise;
  {
    std::unique_lock lock(mu_);
    if (auto it = index_.find(fk); it != index_.end()) {
      ++hits_;
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->value;
    }
    if (auto fl = in_flight_.find(fk); fl != in_flight_.end()) {
      ++hits_;  // served by the computation already running
      auto future = fl->second;
      lock.unlock();
      return future.get();
    }
    ++misses_;
    in_flight_.emplace(fk, promise.get_future().share());
  }
  Result<ImageEmbeddingPtr> result = Status::Internal("embedding computation did not run");
  Result<ImageEmbedding> computed = compute();
  if (computed.ok()) {
    result = ImageEmbeddingPtr(std::make_shared<const ImageEmbedding>(std::move(computed).value()));
    insert(owner, key, result.value());
  } else {
    result = computed.status();
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(fk);
  }
  promise.set_value(result);
  return result;
}

void EmbeddingCache::erase_owner(const std::string& owner) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto cur = it++;
    if (cur->owner == owner) erase_locked(cur);
  }
  owner_budget_.erase(owner);
}

void EmbeddingCache::clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  index_.clear();
  owner_bytes_.clear();
  bytes_ = 0;
}

void EmbeddingCache::set_budget(int64_t bytes) {
  std::lock_guard lock(mu_);
  budget_ = bytes;
  evict_locked("");
}

void EmbeddingCache::set_owner_budget(const std::string& owner, int64_t bytes) {
  std::lock_guard lock(mu_);
  if (bytes <= 0) {
    owner_budget_.erase(owner);
    return;
  }
  owner_budget_[owner] = bytes;
  evict_locked(owner);
}

int64_t EmbeddingCache::owner_bytes_locked(const std::string& owner) const {
  auto it = owner_bytes_.find(owner);
  return it == owner_bytes_.end() ? 0 : it->second;
}

int64_t EmbeddingCache::owner_bytes(const std::string& owner) const {
  std::lock_guard lock(mu_);
  return owner_bytes_locked(owner);
}

EmbeddingCacheStats EmbeddingCache::stats() const {
  std::lock_guard lock(mu_);
  return {static_cast<int64_t>(lru_.size()), bytes_, budget_, hits_, misses_, evictions_};
}

}  // namespace teamvl::engine
