// Accepting a file from a member: the real type is sniffed from the bytes,
// images are decoded under the pixel limit and PDFs opened (first page
// rendered) before anything is stored, then the blob and the member's row are
// written (blob_store.h). Used by the file upload route and by OpenAI
// `image_url` data URLs, so both refuse the same files with the same errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/blob_store.h"
#include "server/json_io.h"
#include "store/store.h"

namespace teamvl::server {

struct UploadLimits {
  int64_t max_image_pixels = 50'000'000;
  int max_image_side = 768;  // PDF pages are measured rendered at this size
};

struct AcceptedUpload {
  store::FileRecord file;
  bool created = false;      // false: the member already had these bytes
  std::string mime;          // what the bytes are
};

// `name` is already a clean file name or empty (then "upload.<ext>").
// InvalidArgument for empty, corrupt or encrypted files and for anything that
// is neither an image nor a PDF ("unsupported file type: ..."), TooLarge over
// the pixel limit; each message says what was found.
Result<AcceptedUpload> accept_upload(store::Store& store, BlobStore& blobs, const UploadLimits& limits,
                                     int64_t user_id, std::string name, std::string_view bytes);

// The file `file_id` when it belongs to `user_id`; NotFound otherwise (also
// for another member's file: never tell them apart).
Result<store::FileRecord> member_file(store::Store& store, int64_t user_id, int64_t file_id);

// JSON of a file row, as every route shows it.
Json file_json(const store::FileRecord& f);

}  // namespace teamvl::server
