// Uploaded files on disk, content-addressed: the bytes whose SHA-256 is
// "abcdef…" live at <root>/ab/cdef… (root is <data_dir>/files). Rows in the
// store (FileRecord) hold ownership; a blob is removed once no row names it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace teamvl::server {

// Thread-safe. Every instance in the process shares one lock around the
// "blob + row" steps below, so a blob is never removed while another request
// is adding a row that names it (one server per data directory).
class BlobStore {
 public:
  // `root` is created on the first write. Cheap: make one wherever needed.
  explicit BlobStore(std::string root);

  // Removes temporary files left by writes a crash interrupted (<root>/tmp).
  // Call once at startup, before any upload can be in flight.
  void remove_stale_temp_files();

  // <data_dir>/files: where the server keeps its blobs.
  static std::string root_for_data_dir(const std::string& data_dir);
  // 64 lowercase hex digits: anything else never reaches the file system.
  static bool valid_sha256(std::string_view sha256);

  const std::string& root() const { return root_; }
  // <root>/ab/cdef… (InvalidArgument for a malformed digest).
  Result<std::string> path(const std::string& sha256) const;
  bool contains(const std::string& sha256) const;
  // Writes `bytes` under `sha256` unless present: temp file, fsync, rename,
  // so a reader never sees half a blob. The caller vouches for the digest.
  Status put(const std::string& sha256, std::string_view bytes);
  Result<std::string> read(const std::string& sha256) const;  // NotFound
  // Ok when already absent.
  Status remove(const std::string& sha256);

  // --- blob and rows together ---
  // The member's row for these bytes: their existing one (*created = false)
  // or a new one written after the blob (*created = true). `record` has every
  // field but id filled, sha256 included.
  Result<store::FileRecord> add_file(store::Store& store, const store::FileRecord& record,
                                     std::string_view bytes, bool* created);
  // Deletes row `file_id` (and runs `also`, e.g. an audit entry) in one
  // transaction, then removes the blob once no row names it any more.
  Status delete_file(store::Store& store, int64_t file_id, const std::function<Status()>& also = nullptr);
  // After rows were removed in bulk (a member deleted): removes each of these
  // blobs that no row names any more.
  Status remove_unreferenced(store::Store& store, const std::vector<std::string>& sha256s);

 private:
  std::string root_;
};

}  // namespace teamvl::server
