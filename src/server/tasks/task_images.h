// The vision side of tasks: the files a member attached to a message become
// image embeddings (an image file one image, a PDF every page, in order).
// Runs the vision encoder on the engine's thread pool (its jobs interleave
// with the engine loop's steps kernel by kernel); embeddings are cached per
// member when MODEL_CACHE is on, so a follow-up question about the same image
// does not encode it again. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/kernels/thread_pool.h"
#include "engine/vision/embedding_cache.h"
#include "engine/vision/image_embedder.h"
#include "engine/vision/vision_model.h"
#include "server/blob_store.h"
#include "store/store.h"

namespace teamvl::server {

struct TaskImagesOptions {
  int max_image_side = 768;            // longest side fed to the encoder
  int64_t max_image_pixels = 50'000'000;
  int max_pdf_pages = 32;              // pages of one PDF fed to the model
  int64_t cache_bytes = 512LL << 20;   // embedding cache; 0 = none (MODEL_CACHE off)
};

class TaskImages {
 public:
  // `vision` may be null (no mmproj loaded): then any attached file is a
  // clear error. References must outlive this object.
  TaskImages(store::Store& store, std::string blob_root, const engine::VisionModel* vision, engine::ThreadPool& pool,
             TaskImagesOptions options);

  bool available() const { return embedder_ != nullptr; }

  // Embeddings of `file_ids` (each must be the member's file: NotFound
  // otherwise), in order. `max_side` <= 0 uses the configured side.
  Result<std::vector<engine::ImageEmbeddingPtr>> embed(int64_t user_id, const std::vector<int64_t>& file_ids,
                                                       int max_side = 0);

  // How many prompt rows `file_ids` will take (image tokens plus the
  // <|vision_start|>/<|vision_end|> pair each), from the stored image sizes,
  // without decoding anything: for the quota and memory checks at
  // submission. NotFound for a file that is not the member's.
  Result<int64_t> count_tokens(int64_t user_id, const std::vector<int64_t>& file_ids, int max_side = 0) const;

  // Encoder runs so far (cache hits do not count).
  int64_t encodes() const { return embedder_ ? embedder_->encodes() : 0; }

 private:
  store::Store& store_;
  BlobStore blobs_;
  TaskImagesOptions options_;
  std::unique_ptr<engine::EmbeddingCache> cache_;
  std::unique_ptr<engine::ImageEmbedder> embedder_;
};

}  // namespace teamvl::server
