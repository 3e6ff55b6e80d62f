// Uploaded files: ownership rows for content-addressed blobs. One row per
// (member, sha256); several members may point at the same blob.
#include <string>
#include <utility>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

constexpr const char* kFileColumns =
    "SELECT id, user_id, sha256, name, mime, kind, size_bytes, width, height, pages, created_at "
    "FROM files ";

FileRecord read_file(const Statement& s) {
  FileRecord f;
  f.id = s.int64(0);
  f.user_id = s.int64(1);
  f.sha256 = s.text(2);
  f.name = s.text(3);
  f.mime = s.text(4);
  f.kind = s.text(5);
  f.size_bytes = s.int64(6);
  f.width = static_cast<int32_t>(s.int64(7));
  f.height = static_cast<int32_t>(s.int64(8));
  f.pages = static_cast<int32_t>(s.int64(9));
  f.created_at = s.int64(10);
  return f;
}

// The digest names a file on disk, so only its exact shape is accepted.
bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status check_file(const FileRecord& f) {
  if (!is_sha256_hex(f.sha256)) {
    return Status::InvalidArgument("file sha256 must be 64 lowercase hex digits");
  }
  if (f.kind != "image" && f.kind != "pdf") {
    return Status::InvalidArgument("file kind must be image or pdf, not '" + f.kind + "'");
  }
  if (f.size_bytes < 0 || f.width < 0 || f.height < 0 || f.pages < 0) {
    return Status::InvalidArgument("file sizes must not be negative");
  }
  return Status::Ok();
}

template <typename... Args>
Result<std::vector<FileRecord>> query_files(Db& db, const std::string& rest,
                                            const Args&... args) {
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db.prepare(std::string(kFileColumns) + rest));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(args...));
  return stmt.collect(read_file);
}

std::string file_not_found(int64_t id) { return "no file with id " + std::to_string(id); }

}  // namespace

Result<FileRecord> SqliteStore::create_file(const FileRecord& f) {
  TEAMVL_RETURN_IF_ERROR(check_file(f));
  Lock lock(mu_);
  FileRecord out = f;
  if (out.created_at == 0) out.created_at = now();
  // DO NOTHING on the member's own duplicate, then read whichever row won:
  // a second upload of the same content is the first one.
  Status st = db_->exec(
      "INSERT INTO files (user_id, sha256, name, mime, kind, size_bytes, width, height, pages, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (user_id, sha256) DO NOTHING",
      out.user_id, out.sha256, out.name, out.mime, out.kind, out.size_bytes, out.width,
      out.height, out.pages, out.created_at);
  if (!st.ok()) {
    return with_message(std::move(st), StatusCode::kNotFound,
                        "no user with id " + std::to_string(f.user_id));
  }
  if (db_->changes() == 1) {
    out.id = db_->last_insert_rowid();
    return out;
  }
  TEAMVL_ASSIGN_OR_RETURN(
      auto existing, query_files(*db_, "WHERE user_id = ? AND sha256 = ?", f.user_id, f.sha256));
  if (existing.empty()) return Status::Internal("file row vanished during its upload");
  return std::move(existing.front());
}

Result<FileRecord> SqliteStore::get_file(int64_t id) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(auto files, query_files(*db_, "WHERE id = ?", id));
  if (files.empty()) return Status::NotFound(file_not_found(id));
  return std::move(files.front());
}

Result<std::vector<FileRecord>> SqliteStore::list_files(int64_t user_id) {
  Lock lock(mu_);
  return query_files(*db_, "WHERE user_id = ? ORDER BY id DESC", user_id);
}

Status SqliteStore::delete_file(int64_t id) {
  Lock lock(mu_);
  TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM files WHERE id = ?", id));
  if (db_->changes() == 0) return Status::NotFound(file_not_found(id));
  return Status::Ok();
}

Result<int64_t> SqliteStore::count_file_references(const std::string& sha256) {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt,
                          db_->prepare("SELECT COUNT(*) FROM files WHERE sha256 = ?"));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(sha256));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? stmt.int64(0) : 0;
}

}  // namespace teamvl::store::sqlite
