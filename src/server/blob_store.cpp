#include "server/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "base/log.h"

namespace teamvl::server {
namespace {

namespace fs = std::filesystem;

// One lock for every BlobStore of the process: see the class comment.
std::mutex& blob_mutex() {
  static std::mutex mu;
  return mu;
}

Status errno_status(const std::string& what, const std::string& path) {
  return Status::Internal(what + " '" + path + "': " + std::strerror(errno));
}

// Writes all of `bytes` to `fd` and flushes it to disk.
Status write_and_sync(int fd, std::string_view bytes, const std::string& path) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_status("cannot write", path);
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return errno_status("cannot sync", path);
  return Status::Ok();
}

// Makes a rename inside `dir` durable; best effort (some file systems refuse).
void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

BlobStore::BlobStore(std::string root) : root_(std::move(root)) {}

void BlobStore::remove_stale_temp_files() {
  std::error_code ec;
  fs::remove_all(fs::path(root_) / "tmp", ec);
}

std::string BlobStore::root_for_data_dir(const std::string& data_dir) {
  return (fs::path(data_dir) / "files").string();
}

bool BlobStore::valid_sha256(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<std::string> BlobStore::path(const std::string& sha256) const {
  if (!valid_sha256(sha256)) return Status::InvalidArgument("not a SHA-256 digest: '" + sha256.substr(0, 80) + "'");
  return (fs::path(root_) / sha256.substr(0, 2) / sha256.substr(2)).string();
}

bool BlobStore::contains(const std::string& sha256) const {
  auto p = path(sha256);
  std::error_code ec;
  return p.ok() && fs::is_regular_file(*p, ec);
}

Status BlobStore::put(const std::string& sha256, std::string_view bytes) {
  TEAMVL_ASSIGN_OR_RETURN(std::string final_path, path(sha256));
  if (contains(sha256)) return Status::Ok();
  std::error_code ec;
  fs::path tmp_dir = fs::path(root_) / "tmp";
  fs::path shard = fs::path(final_path).parent_path();
  fs::create_directories(tmp_dir, ec);
  if (!ec) fs::create_directories(shard, ec);
  if (ec) return Status::Internal("cannot create '" + shard.string() + "': " + ec.message());

  std::string tmp = (tmp_dir / "upload-XXXXXX").string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return errno_status("cannot create a temporary file in", tmp_dir.string());
  Status st = write_and_sync(fd, bytes, tmp);
  if (::close(fd) != 0 && st.ok()) st = errno_status("cannot close", tmp);
  if (st.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) st = errno_status("cannot rename into", final_path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  sync_dir(shard.string());
  return Status::Ok();
}

Result<std::string> BlobStore::read(const std::string& sha256) const {
  TEAMVL_ASSIGN_OR_RETURN(std::string p, path(sha256));
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::NotFound("the stored file " + sha256.substr(0, 12) + "… is missing from disk");
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status::Internal("cannot read '" + p + "'");
  return out.str();
}

Status BlobStore::remove(const std::string& sha256) {
  TEAMVL_ASSIGN_OR_RETURN(std::string p, path(sha256));
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) return Status::Internal("cannot remove '" + p + "': " + ec.message());
  return Status::Ok();  // the shard folder stays: at most 256 of them
}

Result<store::FileRecord> BlobStore::add_file(store::Store& store, const store::FileRecord& record,
                                              std::string_view bytes, bool* created) {
  std::lock_guard<std::mutex> lock(blob_mutex());
  TEAMVL_ASSIGN_OR_RETURN(auto existing, store.list_files(record.user_id));
  for (const auto& f : existing) {
    if (f.sha256 != record.sha256) continue;
    TEAMVL_RETURN_IF_ERROR(put(record.sha256, bytes));  // heals a blob lost from disk
    *created = false;
    return f;
  }
  TEAMVL_RETURN_IF_ERROR(put(record.sha256, bytes));
  auto row = store.create_file(record);
  if (!row.ok()) {
    auto refs = store.count_file_references(record.sha256);
    if (refs.ok() && *refs == 0) (void)remove(record.sha256);
    return row.status();
  }
  *created = true;
  return row;
}

Status BlobStore::delete_file(store::Store& store, int64_t file_id, const std::function<Status()>& also) {
  std::lock_guard<std::mutex> lock(blob_mutex());
  std::string sha;
  int64_t refs = 0;
  TEAMVL_RETURN_IF_ERROR(store.in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(auto f, store.get_file(file_id));
    sha = f.sha256;
    TEAMVL_RETURN_IF_ERROR(store.delete_file(file_id));
    if (also) TEAMVL_RETURN_IF_ERROR(also());
    TEAMVL_ASSIGN_OR_RETURN(refs, store.count_file_references(sha));
    return Status::Ok();
  }));
  if (refs > 0) return Status::Ok();
  // The row is gone for good; a blob that cannot be removed only costs disk.
  if (Status st = remove(sha); !st.ok()) log_warn("files", st.message());
  return Status::Ok();
}

Status BlobStore::remove_unreferenced(store::Store& store, const std::vector<std::string>& sha256s) {
  std::lock_guard<std::mutex> lock(blob_mutex());
  for (const auto& sha : sha256s) {
    TEAMVL_ASSIGN_OR_RETURN(int64_t refs, store.count_file_references(sha));
    if (refs == 0) TEAMVL_RETURN_IF_ERROR(remove(sha));
  }
  return Status::Ok();
}

}  // namespace teamvl::server
