#include "engine/kv_cache/kv_cache.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace teamvl::engine {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t combine(uint64_t h, uint64_t v) { return splitmix64(h ^ splitmix64(v)); }

uint64_t owner_seed(const std::string& owner) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : owner) h = (h ^ c) * 0x100000001b3ull;
  return splitmix64(h);
}

uint64_t block_hash(uint64_t parent, std::span<const TokenKey> keys) {
  uint64_t h = parent;
  for (const TokenKey& k : keys) {
    h = combine(h, k.content);
    for (int32_t p : k.pos) h = combine(h, static_cast<uint32_t>(p));
  }
  return h;
}

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

TokenKey text_token_key(int32_t token, int32_t p) {
  TokenKey k;
  k.content = static_cast<uint32_t>(token);
  k.pos = {p, p, p, 0};
  return k;
}

Result<std::unique_ptr<KvCache>> KvCache::create(const KvCacheConfig& c) {
  if (c.n_layer <= 0 || c.n_kv_head <= 0 || c.head_dim <= 0 || c.block_size <= 0) {
    return Status::InvalidArgument("KV cache shape must be positive: n_layer=" + std::to_string(c.n_layer) +
                                   " n_kv_head=" + std::to_string(c.n_kv_head) + " head_dim=" +
                                   std::to_string(c.head_dim) + " block_size=" + std::to_string(c.block_size));
  }
  auto cache = std::unique_ptr<KvCache>(new KvCache(c));
  if (cache->capacity_blocks_ < 1) {
    return Status::ResourceExhausted("KV cache capacity " + mib(c.capacity_bytes) +
                                     " is smaller than one block (" + mib(cache->block_bytes_) + ")");
  }
  return cache;
}

KvCache::KvCache(const KvCacheConfig& c) : config_(c) {
  layer_half_floats_ = static_cast<int64_t>(c.n_kv_head) * c.block_size * c.head_dim;
  block_bytes_ = layer_half_floats_ * 2 * c.n_layer * static_cast<int64_t>(sizeof(float));
  capacity_blocks_ = c.capacity_bytes > 0 ? c.capacity_bytes / block_bytes_ : 0;
  // Block entries never move, so data pointers handed to the model stay valid.
  blocks_.reserve(static_cast<size_t>(capacity_blocks_));
}

KvCache::~KvCache() {
  for (Block& b : blocks_) std::free(b.data);
}

int32_t KvCache::owner_index_locked(const std::string& owner) {
  auto it = owner_ids_.find(owner);
  if (it != owner_ids_.end()) return it->second;
  int32_t id = static_cast<int32_t>(owners_.size());
  owners_.push_back(Owner{owner});
  owner_ids_.emplace(owner, id);
  return id;
}

void KvCache::set_owner_budget(const std::string& owner, int64_t bytes) {
  std::lock_guard lock(mu_);
  Owner& o = owners_[owner_index_locked(owner)];
  o.budget_bytes = bytes > 0 ? bytes : 0;
  o.budget_blocks = bytes > 0 ? bytes / block_bytes_ : 0;
  if (bytes > 0 && o.budget_blocks == 0) o.budget_blocks = -1;  // budget below one block: nothing fits
}

KvOwnerUsage KvCache::usage_locked(const Owner& o) const {
  KvOwnerUsage u;
  u.owner = o.name;
  u.blocks = o.live_blocks;
  u.bytes = o.live_blocks * block_bytes_;
  u.cached_blocks = o.cached_blocks;
  u.cached_bytes = o.cached_blocks * block_bytes_;
  u.budget_bytes = o.budget_bytes;
  u.sequences = o.sequences;
  return u;
}

KvOwnerUsage KvCache::owner_usage(const std::string& owner) const {
  std::lock_guard lock(mu_);
  auto it = owner_ids_.find(owner);
  if (it == owner_ids_.end()) {
    KvOwnerUsage u;
    u.owner = owner;
    return u;
  }
  return usage_locked(owners_[it->second]);
}

std::vector<KvOwnerUsage> KvCache::all_owner_usage() const {
  std::lock_guard lock(mu_);
  std::vector<KvOwnerUsage> out;
  for (const Owner& o : owners_) {
    if (o.live_blocks || o.cached_blocks || o.budget_bytes || o.sequences) out.push_back(usage_locked(o));
  }
  return out;
}

KvPoolUsage KvCache::pool_usage() const {
  std::lock_guard lock(mu_);
  KvPoolUsage p;
  p.block_bytes = block_bytes_;
  p.capacity_blocks = capacity_blocks_;
  p.used_blocks = used_blocks_;
  p.cached_blocks = static_cast<int64_t>(lru_.size());
  p.reused_tokens = reused_tokens_;
  return p;
}

KvCache::Sequence* KvCache::find_seq(KvSeqId id) {
  auto it = seqs_.find(id);
  return it == seqs_.end() ? nullptr : &it->second;
}

const KvCache::Sequence* KvCache::find_seq(KvSeqId id) const {
  auto it = seqs_.find(id);
  return it == seqs_.end() ? nullptr : &it->second;
}

void KvCache::uncache_block_locked(int32_t b) {
  Block& blk = blocks_[b];
  lru_.erase(blk.lru_it);
  owners_[blk.owner].cached_blocks--;
}

Result<int32_t> KvCache::take_free_block_locked() {
  int32_t b = -1;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else if (static_cast<int64_t>(blocks_.size()) < capacity_blocks_) {
    b = static_cast<int32_t>(blocks_.size());
    blocks_.emplace_back();
  } else if (!lru_.empty()) {  // evict the least recently used cached block
    b = lru_.front();
    uncache_block_locked(b);
    by_hash_.erase(blocks_[b].hash);
    blocks_[b].hashed = false;
    blocks_[b].keys.clear();
  } else {
    return Status::ResourceExhausted("KV cache pool exhausted");
  }
  Block& blk = blocks_[b];
  if (!blk.data) {
    size_t bytes = (static_cast<size_t>(block_bytes_) + 63) / 64 * 64;
    blk.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!blk.data) {
      free_.push_back(b);
      return Status::ResourceExhausted("out of memory allocating a KV block of " + mib(block_bytes_));
    }
  }
  blk.owner = -1;
  blk.ref = 0;
  return b;
}

Result<KvSeqId> KvCache::open(const std::string& owner, std::span<const TokenKey> prompt, int32_t* n_reused) {
  std::lock_guard lock(mu_);
  const int32_t oi = owner_index_locked(owner);
  Owner& o = owners_[oi];
  Sequence seq;
  seq.owner = oi;
  seq.chain_hash = owner_seed(owner);
  const int32_t bs = config_.block_size;
  // Reuse full blocks only, and never the block holding the last prompt token.
  const int64_t max_blocks = prompt.empty() ? 0 : (static_cast<int64_t>(prompt.size()) - 1) / bs;
  for (int64_t i = 0; i < max_blocks; ++i) {
    auto keys = prompt.subspan(i * bs, bs);
    uint64_t h = block_hash(seq.chain_hash, keys);
    auto it = by_hash_.find(h);
    if (it == by_hash_.end()) break;
    Block& blk = blocks_[it->second];
    if (blk.owner != oi || !std::equal(keys.begin(), keys.end(), blk.keys.begin(), blk.keys.end())) break;
    if (blk.ref == 0) {
      if (o.budget_blocks != 0 && o.live_blocks + 1 > o.budget_blocks) break;
      uncache_block_locked(it->second);
      o.live_blocks++;
      used_blocks_++;
    }
    blk.ref++;
    seq.blocks.push_back(it->second);
    seq.chain_hash = h;
    seq.hashed_blocks++;
  }
  seq.length = seq.hashed_blocks * bs;
  reused_tokens_ += seq.length;
  if (n_reused) *n_reused = seq.length;
  o.sequences++;
  KvSeqId id = next_seq_++;
  seqs_.emplace(id, std::move(seq));
  return id;
}

Status KvCache::reserve(KvSeqId id, int32_t n_tokens) {
  std::lock_guard lock(mu_);
  Sequence* s = find_seq(id);
  if (!s) return Status::NotFound("KV sequence " + std::to_string(id) + " is not open");
  const int32_t bs = config_.block_size;
  const int64_t want = (static_cast<int64_t>(n_tokens) + bs - 1) / bs;
  const int64_t need = want - static_cast<int64_t>(s->blocks.size());
  if (need <= 0) return Status::Ok();
  Owner& o = owners_[s->owner];
  if (o.budget_blocks != 0 && o.live_blocks + need > o.budget_blocks) {
    return Status::ResourceExhausted(
        "KV cache budget of owner '" + o.name + "' exhausted: needs " + std::to_string(need) +
        " more blocks (" + mib(need * block_bytes_) + "), holds " + std::to_string(o.live_blocks) +
        " blocks (" + mib(o.live_blocks * block_bytes_) + ") of a " + mib(o.budget_bytes) + " budget");
  }
  if (used_blocks_ + need > capacity_blocks_) {
    return Status::ResourceExhausted(
        "KV cache pool exhausted: needs " + std::to_string(need) + " more blocks (" +
        mib(need * block_bytes_) + "), " + std::to_string(used_blocks_) + " of " +
        std::to_string(capacity_blocks_) + " blocks (" + mib(capacity_blocks_ * block_bytes_) + ") in use");
  }
  for (int64_t i = 0; i < need; ++i) {
    auto b = take_free_block_locked();
    if (!b.ok()) return b.status();  // blocks taken so far stay with the sequence
    Block& blk = blocks_[*b];
    blk.ref = 1;
    blk.owner = s->owner;
    o.live_blocks++;
    used_blocks_++;
    s->blocks.push_back(*b);
  }
  return Status::Ok();
}

Status KvCache::commit(KvSeqId id, std::span<const TokenKey> keys) {
  std::lock_guard lock(mu_);
  Sequence* s = find_seq(id);
  if (!s) return Status::NotFound("KV sequence " + std::to_string(id) + " is not open");
  const int32_t bs = config_.block_size;
  if (s->length + static_cast<int64_t>(keys.size()) > static_cast<int64_t>(s->blocks.size()) * bs) {
    return Status::FailedPrecondition("KV commit of " + std::to_string(keys.size()) + " tokens past the " +
                                      std::to_string(s->blocks.size() * bs) + " reserved slots");
  }
  std::vector<TokenKey>& tail = s->tail;
  for (const TokenKey& k : keys) {
    tail.push_back(k);
    s->length++;
    if (static_cast<int32_t>(tail.size()) < bs) continue;
    // A block just filled up: chain its hash and make it findable.
    const int32_t b = s->blocks[s->hashed_blocks];
    const uint64_t h = block_hash(s->chain_hash, tail);
    Block& blk = blocks_[b];
    if (!blk.hashed && by_hash_.find(h) == by_hash_.end()) {
      blk.hashed = true;
      blk.hash = h;
      blk.keys = tail;
      by_hash_.emplace(h, b);
    }
    s->chain_hash = h;
    s->hashed_blocks++;
    tail.clear();
  }
  return Status::Ok();
}

Status KvCache::truncate(KvSeqId id, int32_t n_tokens) {
  std::lock_guard lock(mu_);
  Sequence* s = find_seq(id);
  if (!s) return Status::NotFound("KV sequence " + std::to_string(id) + " is not open");
  const int32_t full = s->hashed_blocks * config_.block_size;
  if (n_tokens < full || n_tokens > s->length) {
    return Status::FailedPrecondition("KV truncate to " + std::to_string(n_tokens) + " tokens: allowed range is [" +
                                      std::to_string(full) + ", " + std::to_string(s->length) + "]");
  }
  s->tail.resize(n_tokens - full);
  s->length = n_tokens;
  return Status::Ok();
}

void KvCache::unref_block_locked(int32_t b) {
  Block& blk = blocks_[b];
  if (--blk.ref > 0) return;
  Owner& o = owners_[blk.owner];
  o.live_blocks--;
  used_blocks_--;
  if (blk.hashed) {
    blk.lru_it = lru_.insert(lru_.end(), b);
    o.cached_blocks++;
  } else {
    blk.owner = -1;
    free_.push_back(b);
  }
}

void KvCache::release(KvSeqId id) {
  std::lock_guard lock(mu_);
  Sequence* s = find_seq(id);
  if (!s) return;
  // Later blocks first, so the LRU evicts a chain from its end and the start
  // of a shared prefix survives longest.
  for (auto it = s->blocks.rbegin(); it != s->blocks.rend(); ++it) unref_block_locked(*it);
  owners_[s->owner].sequences--;
  seqs_.erase(id);
}

void KvCache::drop_cache() {
  std::lock_guard lock(mu_);
  while (!lru_.empty()) {
    int32_t b = lru_.front();
    uncache_block_locked(b);
    by_hash_.erase(blocks_[b].hash);
    blocks_[b].hashed = false;
    blocks_[b].keys.clear();
    blocks_[b].owner = -1;
    free_.push_back(b);
  }
  for (int32_t b : free_) {  // give the memory back too
    std::free(blocks_[b].data);
    blocks_[b].data = nullptr;
  }
}

int32_t KvCache::seq_length(KvSeqId id) const {
  std::lock_guard lock(mu_);
  const Sequence* s = find_seq(id);
  return s ? s->length : 0;
}

int32_t KvCache::seq_reserved(KvSeqId id) const {
  std::lock_guard lock(mu_);
  const Sequence* s = find_seq(id);
  return s ? static_cast<int32_t>(s->blocks.size()) * config_.block_size : 0;
}

const std::vector<int32_t>& KvCache::block_table(KvSeqId id) const {
  static const std::vector<int32_t> kEmpty;
  std::lock_guard lock(mu_);
  const Sequence* s = find_seq(id);
  return s ? s->blocks : kEmpty;
}

}  // namespace teamvl::engine
