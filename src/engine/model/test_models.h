// Test helpers (header-only, for *_test.cpp files): demo models written once
// per test process into a temporary directory, and the fixtures directory.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "engine/model/demo_model.h"

namespace teamvl::engine::testing {

// A per-process scratch directory, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("teamvl-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                      ("teamvl-test-" + std::to_string(::getpid())),
                                  ec);
    });
    return d;
  }();
  return dir;
}

// Path of a demo model of `file_type` (default tiny shapes), written on first use.
// Returns "" (and the test should fail) if writing failed.
inline std::string demo_model_path(const std::string& file_type = "F32") {
  static std::mutex mu;
  static std::map<std::string, std::string> paths;
  std::lock_guard lock(mu);
  auto it = paths.find(file_type);
  if (it != paths.end()) return it->second;
  DemoModelSpec spec;
  spec.file_type = file_type;
  const std::string path = (scratch_dir() / ("demo-" + file_type + ".gguf")).string();
  const Status st = write_demo_model(spec, path);
  paths[file_type] = st.ok() ? path : "";
  return paths[file_type];
}

// ../shared/fixtures/qwen3vl-tiny, or "" when absent.
inline std::string tiny_fixtures_dir() {
#ifdef TEAMVL_FIXTURES_DIR
  const std::string dir = std::string(TEAMVL_FIXTURES_DIR) + "/qwen3vl-tiny";
  if (std::filesystem::exists(dir + "/README.md")) return dir;
#endif
  return "";
}

}  // namespace teamvl::engine::testing
