// The team workspace folder where runs write their outputs:
// <root>/<pipeline>/<run-id>/<item>/<step>.<ext> and
// <root>/<pipeline>/<run-id>/combined.<ext>. Every member may list and read
// it; nothing outside the root is ever reachable through it. Thread-safe
// (each write is a temp file renamed into place, so readers never see half
// a file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace teamvl::pipelines {

struct SharedEntry {
  std::string path;      // relative to the root, '/'-separated
  bool is_dir = false;
  int64_t size_bytes = 0;
  int64_t modified_at = 0;  // Unix seconds
};

class SharedStorage {
 public:
  explicit SharedStorage(std::string root);
  const std::string& root() const { return root_; }

  // InvalidArgument unless `rel` is a relative path of plain segments (no
  // "..", ".", empty segments, backslashes or control characters). "" is
  // the root itself.
  static Status check_relative(const std::string& rel);

  // Writes `content` at `rel` atomically, creating folders.
  Status write(const std::string& rel, const std::string& content);
  // Entries under the folder `rel` (recursively when asked), sorted by path.
  // NotFound when it does not exist.
  Result<std::vector<SharedEntry>> list(const std::string& rel, bool recursive) const;
  // A file's bytes; NotFound for a missing file or a folder.
  Result<std::string> read(const std::string& rel) const;

 private:
  // root/rel after the checks, refusing paths that resolve outside the root.
  Result<std::string> resolve(const std::string& rel) const;

  std::string root_;
};

}  // namespace teamvl::pipelines
