#include "pipelines/shared_storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace teamvl::pipelines {
namespace fs = std::filesystem;

namespace {
std::atomic<uint64_t> g_temp_counter{0};

int64_t mtime_of(const fs::path& p) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  auto sys = std::chrono::time_point_cast<std::chrono::seconds>(t - fs::file_time_type::clock::now() +
                                                                std::chrono::system_clock::now());
  return sys.time_since_epoch().count();
}
}  // namespace

SharedStorage::SharedStorage(std::string root) : root_(std::move(root)) {}

Status SharedStorage::check_relative(const std::string& rel) {
  if (rel.empty()) return Status::Ok();
  if (rel.size() > 1024) return Status::InvalidArgument("'path' is longer than 1024 bytes");
  if (rel[0] == '/') return Status::InvalidArgument("'path' must be relative to the shared folder");
  for (unsigned char c : rel)
    if (c < 0x20 || c == 0x7f || c == '\\')
      return Status::InvalidArgument("'path' contains a control character or a backslash");
  size_t start = 0;
  while (start <= rel.size()) {
    size_t slash = rel.find('/', start);
    std::string seg = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() && slash != std::string::npos) return Status::InvalidArgument("'path' has an empty segment");
    if (seg == "." || seg == "..") return Status::InvalidArgument("'path' must not contain '.' or '..' segments");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Result<std::string> SharedStorage::resolve(const std::string& rel) const {
  TEAMVL_RETURN_IF_ERROR(check_relative(rel));
  std::string trimmed = rel;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  fs::path p = fs::path(root_) / trimmed;
  // A symlink planted inside the folder must not lead outside it.
  std::error_code ec;
  fs::path real_root = fs::weakly_canonical(root_, ec);
  fs::path real = fs::weakly_canonical(p, ec);
  if (ec) return Status::NotFound("no such shared path '" + rel + "'");
  auto [r, _] = std::mismatch(real_root.begin(), real_root.end(), real.begin(), real.end());
  if (r != real_root.end()) return Status::InvalidArgument("'path' leads outside the shared folder");
  return p.string();
}

Status SharedStorage::write(const std::string& rel, const std::string& content) {
  if (rel.empty()) return Status::InvalidArgument("a shared file needs a path");
  TEAMVL_ASSIGN_OR_RETURN(std::string path, resolve(rel));
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::Internal("cannot create the folder for '" + rel + "': " + ec.message());
  std::string tmp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(++g_temp_counter);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("cannot write '" + rel + "'");
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Internal("cannot write '" + rel + "' (disk full?)");
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    return Status::Internal("cannot move '" + rel + "' into place: " + ec.message());
  }
  return Status::Ok();
}

Result<std::vector<SharedEntry>> SharedStorage::list(const std::string& rel, bool recursive) const {
  TEAMVL_ASSIGN_OR_RETURN(std::string path, resolve(rel));
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (rel.empty()) return std::vector<SharedEntry>{};  // nothing written yet
    return Status::NotFound("no shared folder '" + rel + "'");
  }
  std::vector<SharedEntry> out;
  auto add = [&](const fs::directory_entry& e) {
    std::string name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) return;  // a write in progress
    SharedEntry se;
    se.path = fs::relative(e.path(), root_, ec).generic_string();
    se.is_dir = e.is_directory(ec);
    se.size_bytes = se.is_dir ? 0 : static_cast<int64_t>(e.file_size(ec));
    se.modified_at = mtime_of(e.path());
    out.push_back(se);
  };
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(path, ec)) add(e);
  } else {
    for (const auto& e : fs::directory_iterator(path, ec)) add(e);
  }
  std::sort(out.begin(), out.end(), [](const SharedEntry& a, const SharedEntry& b) { return a.path < b.path; });
  return out;
}

Result<std::string> SharedStorage::read(const std::string& rel) const {
  TEAMVL_ASSIGN_OR_RETURN(std::string path, resolve(rel));
  std::error_code ec;
  if (rel.empty() || !fs::is_regular_file(path, ec)) return Status::NotFound("no shared file '" + rel + "'");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no shared file '" + rel + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace teamvl::pipelines
