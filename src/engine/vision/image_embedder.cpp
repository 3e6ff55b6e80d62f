#include "engine/vision/image_embedder.h"

#include <optional>

#include "engine/gguf/gguf.h"
#include "engine/image/content_hash.h"

namespace teamvl::engine {
namespace {

// 64-bit FNV-1a of a cache key (a content hash): the image's identity in
// prefix-cache keys. Never 0 (0 means unknown).
uint64_t hash_prefix(const std::string& key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ull;
  return h ? h : 1;
}

}  // namespace

ImageEmbedder::ImageEmbedder(const VisionModel& model, ThreadPool& pool, EmbeddingCache* cache)
    : model_(model), pool_(pool), cache_(cache) {
  const GgufFile& f = model.file();
  model_id_ = f.path() + "#" + std::to_string(f.file_size()) + "#" + model.hparams().name;
}

Result<ImageLayout> ImageEmbedder::plan(int width, int height, const ImageEmbedOptions& options) const {
  const PreprocessParams p = params(options);
  TEAMVL_RETURN_IF_ERROR(validate_preprocess_params(p));
  return plan_image_layout(width, height, p);
}

Result<ImageEmbedding> ImageEmbedder::encode(const RgbImage& image, const ImageEmbedOptions& options, uint64_t hash) {
  const PreprocessParams p = params(options);
  TEAMVL_RETURN_IF_ERROR(validate_preprocess_params(p));
  TEAMVL_ASSIGN_OR_RETURN(PreprocessedImage pre, preprocess_image(image, p));
  ++encodes_;
  TEAMVL_ASSIGN_OR_RETURN(ImageEmbedding e, model_.encode(pre, pool_));
  e.content_hash = hash;
  return e;
}

Result<ImageEmbeddingPtr> ImageEmbedder::cached(const std::string& owner, const std::string& key,
                                                const std::function<Result<ImageEmbedding>()>& compute) {
  if (cache_ && !key.empty()) return cache_->get_or_compute(owner, model_id_ + "|" + key, compute);
  TEAMVL_ASSIGN_OR_RETURN(ImageEmbedding e, compute());
  return ImageEmbeddingPtr(std::make_shared<const ImageEmbedding>(std::move(e)));
}

Result<ImageEmbeddingPtr> ImageEmbedder::embed_file(std::span<const uint8_t> bytes, const std::string& owner,
                                                    const ImageEmbedOptions& options) {
  const std::string key = image_content_hash(bytes, options.decode, params(options));
  return cached(owner, key, [&]() -> Result<ImageEmbedding> {
    TEAMVL_ASSIGN_OR_RETURN(RgbImage image, decode_image(bytes, options.decode));
    return encode(image, options, hash_prefix(key));
  });
}

Result<std::vector<ImageEmbeddingPtr>> ImageEmbedder::embed_pdf(std::span<const uint8_t> bytes,
                                                               const std::string& owner, PdfRenderOptions pdf,
                                                               const ImageEmbedOptions& options) {
  if (options.max_side > 0) pdf.max_side = options.max_side;
  std::vector<ImageEmbeddingPtr> out;
  if (!cache_) {  // nothing to look up: render and encode every page in one pass
    TEAMVL_RETURN_IF_ERROR(render_pdf_pages(bytes, pdf, [&](PdfPage page) -> Status {
      const std::string key = pdf_page_content_hash(bytes, page.index, pdf, params(options));
      TEAMVL_ASSIGN_OR_RETURN(ImageEmbedding e, encode(page.image, options, hash_prefix(key)));
      out.push_back(std::make_shared<const ImageEmbedding>(std::move(e)));
      return Status::Ok();
    }));
    return out;
  }
  // Look each page up before rendering it: a follow-up question about the
  // same document renders nothing.
  TEAMVL_ASSIGN_OR_RETURN(auto range, pdf_page_range(bytes, pdf));
  for (int index = range.first; index < range.second; ++index) {
    const std::string key = pdf_page_content_hash(bytes, index, pdf, params(options));
    TEAMVL_ASSIGN_OR_RETURN(ImageEmbeddingPtr e, cached(owner, key, [&]() -> Result<ImageEmbedding> {
      PdfRenderOptions one = pdf;
      one.first_page = index;
      one.max_pages = 1;
      std::optional<ImageEmbedding> rendered;
      TEAMVL_RETURN_IF_ERROR(render_pdf_pages(bytes, one, [&](PdfPage page) -> Status {
        TEAMVL_ASSIGN_OR_RETURN(ImageEmbedding emb, encode(page.image, options, hash_prefix(key)));
        rendered = std::move(emb);
        return Status::Ok();
      }));
      if (!rendered) return Status::DataLoss("PDF page " + std::to_string(index + 1) + " did not render");
      return std::move(*rendered);
    }));
    out.push_back(std::move(e));
  }
  return out;
}

Result<ImageEmbeddingPtr> ImageEmbedder::embed_rgb(const RgbImage& image, const std::string& owner,
                                                   const std::string& cache_key, const ImageEmbedOptions& options) {
  const uint64_t hash = cache_key.empty() ? 0 : hash_prefix(cache_key);
  return cached(owner, cache_key, [&] { return encode(image, options, hash); });
}

}  // namespace teamvl::engine
