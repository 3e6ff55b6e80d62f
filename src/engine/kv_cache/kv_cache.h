// Paged KV cache: fixed-size blocks of `block_size` token slots drawn from one
// pool shared by every sequence. Every block is charged to the owner (an opaque
// tag, e.g. a member id) of the sequences using it; owners can have a byte
// budget. Full blocks are content-hashed (chain of token keys, seeded by the
// owner), so a later sequence of the same owner starting with the same tokens
// reuses them instead of recomputing: a follow-up chat turn only prefills what
// is new. Unreferenced hashed blocks stay cached until the pool needs them (LRU).
//
// Threading: sequence calls (open/reserve/commit/release, and the data
// pointers the model reads and writes) come from one thread at a time, the
// runner's. Usage and budget calls are safe from any thread at any time.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace teamvl::engine {

struct KvCacheConfig {
  int32_t n_layer = 0;
  int32_t n_kv_head = 0;
  int32_t head_dim = 0;       // per head; K and V both use it
  int32_t block_size = 16;    // token slots per block
  int64_t capacity_bytes = 0; // pool size; rounded down to whole blocks
};

// What identifies a token's KV contents besides its predecessors: its input
// (a token id, or a hash of the embedding row fed instead) and its M-RoPE position.
struct TokenKey {
  uint64_t content = 0;
  std::array<int32_t, 4> pos{};  // t, h, w, e
  bool operator==(const TokenKey&) const = default;
};
// Key of a text token id at sequence position p: (p, p, p, 0).
TokenKey text_token_key(int32_t token, int32_t p);

using KvSeqId = int64_t;

// Memory held by one owner. `bytes` counts blocks referenced by the owner's open
// sequences (this is what the budget limits); `cached_bytes` counts finished
// sequences' blocks kept for prefix reuse, which the pool evicts when it needs room.
struct KvOwnerUsage {
  std::string owner;
  int64_t blocks = 0;
  int64_t bytes = 0;
  int64_t cached_blocks = 0;
  int64_t cached_bytes = 0;
  int64_t budget_bytes = 0;  // 0 = no budget of its own (only the pool limits)
  int32_t sequences = 0;
};

struct KvPoolUsage {
  int64_t block_bytes = 0;
  int64_t capacity_blocks = 0;
  int64_t used_blocks = 0;    // referenced by open sequences
  int64_t cached_blocks = 0;  // unreferenced, kept for reuse
  int64_t reused_tokens = 0;  // total prompt tokens served from the cache so far
};

class KvCache {
 public:
  // InvalidArgument for a bad shape; ResourceExhausted if not even one block fits.
  static Result<std::unique_ptr<KvCache>> create(const KvCacheConfig& config);
  ~KvCache();

  const KvCacheConfig& config() const { return config_; }
  int64_t block_bytes() const { return block_bytes_; }
  int64_t capacity_blocks() const { return capacity_blocks_; }

  // --- owners (any thread) ---
  // bytes <= 0 removes the owner's budget.
  void set_owner_budget(const std::string& owner, int64_t bytes);
  KvOwnerUsage owner_usage(const std::string& owner) const;
  std::vector<KvOwnerUsage> all_owner_usage() const;  // owners holding anything or with a budget
  KvPoolUsage pool_usage() const;

  // --- sequences (runner thread) ---
  // Opens a sequence for `owner`. With `prompt` keys given, the longest chain
  // of cached full blocks matching them is attached (at most up to the last
  // prompt token, which is always recomputed so its logits exist); the number
  // of reused tokens is returned in *n_reused and becomes the sequence length.
  Result<KvSeqId> open(const std::string& owner, std::span<const TokenKey> prompt = {},
                       int32_t* n_reused = nullptr);
  // Makes room for `n_tokens` tokens in total. ResourceExhausted (with the
  // numbers) when the owner's budget or the pool cannot supply the blocks;
  // nothing is allocated then.
  Status reserve(KvSeqId seq, int32_t n_tokens);
  // Records that the next keys.size() tokens are now written; full blocks
  // become reusable by later sequences of the same owner.
  Status commit(KvSeqId seq, std::span<const TokenKey> keys);
  // Drops the last tokens (e.g. after a failed step), keeping at least n_tokens.
  Status truncate(KvSeqId seq, int32_t n_tokens);
  // Ends the sequence: hashed blocks are kept as cache, the rest are freed.
  void release(KvSeqId seq);
  // Frees every cached block (e.g. when the model is unloaded or for tests).
  void drop_cache();

  // Tokens committed so far, and the block table (block ids in order).
  int32_t seq_length(KvSeqId seq) const;
  const std::vector<int32_t>& block_table(KvSeqId seq) const;
  int32_t seq_reserved(KvSeqId seq) const;  // slots available = blocks * block_size

  // K and V of one layer in a block: n_kv_head * block_size * head_dim floats
  // each; the model decides the layout inside (see model/attention.h).
  float* k_data(int32_t block, int32_t layer) { return block_base(block, layer); }
  float* v_data(int32_t block, int32_t layer) { return block_base(block, layer) + layer_half_floats_; }
  const float* k_data(int32_t block, int32_t layer) const { return const_cast<KvCache*>(this)->k_data(block, layer); }
  const float* v_data(int32_t block, int32_t layer) const { return const_cast<KvCache*>(this)->v_data(block, layer); }

 private:
  struct Block {
    float* data = nullptr;       // owned, block_bytes_ long
    int32_t ref = 0;
    int32_t owner = -1;          // index into owners_
    uint64_t hash = 0;
    bool hashed = false;         // registered in by_hash_
    std::vector<TokenKey> keys;  // of a hashed block, to rule out hash collisions
    std::list<int32_t>::iterator lru_it;
  };
  struct Owner {
    std::string name;
    int64_t budget_blocks = 0;   // 0 = none
    int64_t budget_bytes = 0;
    int64_t live_blocks = 0;
    int64_t cached_blocks = 0;
    int32_t sequences = 0;
  };
  struct Sequence {
    int32_t owner = -1;
    int32_t length = 0;
    std::vector<int32_t> blocks;
    uint64_t chain_hash = 0;     // hash of the last committed full block's chain
    int32_t hashed_blocks = 0;   // leading full blocks whose hash is chained
    std::vector<TokenKey> tail;  // keys of the tokens in the partly filled block
  };

  explicit KvCache(const KvCacheConfig& config);
  float* block_base(int32_t block, int32_t layer) {
    return blocks_[block].data + static_cast<int64_t>(layer) * 2 * layer_half_floats_;
  }
  int32_t owner_index_locked(const std::string& owner);
  KvOwnerUsage usage_locked(const Owner& o) const;
  Result<int32_t> take_free_block_locked();  // may evict the LRU cached block
  void unref_block_locked(int32_t b);
  void uncache_block_locked(int32_t b);
  Sequence* find_seq(KvSeqId id);
  const Sequence* find_seq(KvSeqId id) const;

  const KvCacheConfig config_;
  int64_t layer_half_floats_ = 0;  // n_kv_head * block_size * head_dim
  int64_t block_bytes_ = 0;
  int64_t capacity_blocks_ = 0;

  mutable std::mutex mu_;
  // State below is guarded by mu_.
  std::vector<Block> blocks_;          // allocated so far (<= capacity_blocks_)
  std::vector<int32_t> free_;          // allocated blocks with ref 0 and no hash
  std::list<int32_t> lru_;             // cached blocks, least recently used first
  std::unordered_map<uint64_t, int32_t> by_hash_;
  std::vector<Owner> owners_;
  std::unordered_map<std::string, int32_t> owner_ids_;
  std::unordered_map<KvSeqId, Sequence> seqs_;
  KvSeqId next_seq_ = 1;
  int64_t used_blocks_ = 0;
  int64_t reused_tokens_ = 0;
};

}  // namespace teamvl::engine
