// From image bytes to image embeddings: decode, preprocess for the model,
// look up the per-owner embedding cache, run the encoder on a miss. What the
// CLI, the server and the scheduler call; the pieces stay usable alone.
// Thread-safe when the model, pool and cache are (they are): calls from
// several threads share the pool, whose jobs run one at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/image/decode.h"
#include "engine/image/pdf.h"
#include "engine/image/preprocess.h"
#include "engine/vision/embedding_cache.h"
#include "engine/vision/vision_model.h"

namespace teamvl::engine {

struct ImageEmbedOptions {
  DecodeOptions decode;  // pixel limit, EXIF orientation
  int max_side = 768;    // longest side after resizing (0: only the model's pixel bounds)
};

class ImageEmbedder {
 public:
  // `model` and `pool` must outlive the embedder; `cache` may be nullptr (no
  // caching, e.g. MODEL_CACHE off) and must outlive it otherwise.
  ImageEmbedder(const VisionModel& model, ThreadPool& pool, EmbeddingCache* cache = nullptr);

  const VisionModel& model() const { return model_; }
  PreprocessParams params(const ImageEmbedOptions& options) const { return model_.preprocess_params(options.max_side); }

  // The token grid an image of width x height becomes (counting image tokens
  // before any pixel is decoded, e.g. for quotas).
  Result<ImageLayout> plan(int width, int height, const ImageEmbedOptions& options = {}) const;

  // An image file (JPEG, PNG, WebP, BMP, GIF). Errors from decoding (clear
  // messages for corrupt, truncated, oversized or unknown data) pass through.
  Result<ImageEmbeddingPtr> embed_file(std::span<const uint8_t> bytes, const std::string& owner,
                                       const ImageEmbedOptions& options = {});
  // Pages of a PDF (rendered with pdf.max_side set from options.max_side), in order.
  Result<std::vector<ImageEmbeddingPtr>> embed_pdf(std::span<const uint8_t> bytes, const std::string& owner,
                                                   PdfRenderOptions pdf = {}, const ImageEmbedOptions& options = {});
  // Pixels already decoded. `cache_key` identifies them for the cache ("" = not cached).
  Result<ImageEmbeddingPtr> embed_rgb(const RgbImage& image, const std::string& owner, const std::string& cache_key,
                                      const ImageEmbedOptions& options = {});

  // Encoder runs so far (cache hits do not count).
  int64_t encodes() const { return encodes_.load(); }

 private:
  Result<ImageEmbeddingPtr> cached(const std::string& owner, const std::string& key,
                                   const std::function<Result<ImageEmbedding>()>& compute);
  Result<ImageEmbedding> encode(const RgbImage& image, const ImageEmbedOptions& options, uint64_t hash);

  const VisionModel& model_;
  ThreadPool& pool_;
  EmbeddingCache* cache_;
  std::string model_id_;  // part of every cache key: embeddings of another mmproj never match
  std::atomic<int64_t> encodes_{0};
};

}  // namespace teamvl::engine
