#include "server/tasks/task_images.h"

#include <algorithm>
#include <span>

#include "server/uploads.h"

namespace teamvl::server {

TaskImages::TaskImages(store::Store& store, std::string blob_root, const engine::VisionModel* vision,
                       engine::ThreadPool& pool, TaskImagesOptions options)
    : store_(store), blobs_(std::move(blob_root)), options_(options) {
  if (!vision) return;
  if (options_.cache_bytes > 0) cache_ = std::make_unique<engine::EmbeddingCache>(options_.cache_bytes);
  embedder_ = std::make_unique<engine::ImageEmbedder>(*vision, pool, cache_.get());
}

Result<int64_t> TaskImages::count_tokens(int64_t user_id, const std::vector<int64_t>& file_ids, int max_side) const {
  if (file_ids.empty()) return int64_t{0};
  if (!embedder_)
    return Status::FailedPrecondition(
        "image input needs the vision projector (mmproj), which this server has not loaded");
  engine::ImageEmbedOptions eo;
  eo.max_side = max_side > 0 ? max_side : options_.max_image_side;
  int64_t total = 0;
  for (int64_t id : file_ids) {
    TEAMVL_ASSIGN_OR_RETURN(store::FileRecord f, member_file(store_, user_id, id));
    // A PDF's pages are counted at its first page's size (stored at upload).
    const int64_t images = f.kind == "pdf" ? std::min<int64_t>(f.pages, options_.max_pdf_pages) : 1;
    auto layout = embedder_->plan(std::max(1, f.width), std::max(1, f.height), eo);
    if (!layout.ok()) return Status::InvalidArgument("file " + std::to_string(id) + ": " + layout.status().message());
    total += images * (layout->n_tokens + 2);
  }
  return total;
}

Result<std::vector<engine::ImageEmbeddingPtr>> TaskImages::embed(int64_t user_id, const std::vector<int64_t>& file_ids,
                                                                 int max_side) {
  std::vector<engine::ImageEmbeddingPtr> out;
  if (file_ids.empty()) return out;
  if (!embedder_)
    return Status::FailedPrecondition(
        "image input needs the vision projector (mmproj), which this server has not loaded");
  engine::ImageEmbedOptions eo;
  eo.max_side = max_side > 0 ? max_side : options_.max_image_side;
  eo.decode.max_pixels = options_.max_image_pixels;
  // Cache entries belong to the member: one member never gets another's.
  const std::string owner = "user:" + std::to_string(user_id);
  for (int64_t id : file_ids) {
    TEAMVL_ASSIGN_OR_RETURN(store::FileRecord f, member_file(store_, user_id, id));
    auto bytes = blobs_.read(f.sha256);
    if (!bytes.ok()) return Status::DataLoss("the content of file " + std::to_string(id) + " is missing on disk");
    std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
    const std::string what = "file " + std::to_string(id) + " (" + f.name + "): ";
    if (f.kind == "pdf") {
      engine::PdfRenderOptions pdf;
      pdf.max_pages = options_.max_pdf_pages;
      auto pages = embedder_->embed_pdf(data, owner, pdf, eo);
      if (!pages.ok()) return Status::InvalidArgument(what + pages.status().message());
      out.insert(out.end(), pages->begin(), pages->end());
    } else {
      auto e = embedder_->embed_file(data, owner, eo);
      if (!e.ok()) return Status::InvalidArgument(what + e.status().message());
      out.push_back(*e);
    }
  }
  return out;
}

}  // namespace teamvl::server
