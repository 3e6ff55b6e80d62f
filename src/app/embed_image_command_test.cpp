// `teamvl embed-image`: JSON shape and rows file on a random mmproj (always
// runs) and on the fixtures (rows equal llama.cpp's within the bar),
// exit codes 2 for bad usage and 1 for bad files.
#include "app/embed_image_command.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/vision/vision_test_util.h"

namespace teamvl::app {
namespace {

using nlohmann::json;
namespace vt = teamvl::engine::testing;

struct CliRun {
  int rc = 0;
  std::string out, err;
};

CliRun run(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CliRun r;
  r.rc = run_embed_image(args);
  std::fflush(stdout);
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

// A 24-bit BMP file of the pattern image.
std::string write_bmp(const std::string& name, int w, int h) {
  const engine::RgbImage img = vt::pattern_image(w, h);
  const int row = (w * 3 + 3) / 4 * 4;
  std::vector<uint8_t> b(54 + static_cast<size_t>(row) * h, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 'B';
  b[1] = 'M';
  put32(2, static_cast<uint32_t>(b.size()));
  put32(10, 54);
  put32(14, 40);
  put32(18, static_cast<uint32_t>(w));
  put32(22, static_cast<uint32_t>(h));
  b[26] = 1;
  b[28] = 24;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = img.pixel(x, h - 1 - y);
      uint8_t* o = &b[54 + static_cast<size_t>(y) * row + x * 3];
      o[0] = p[2];
      o[1] = p[1];
      o[2] = p[0];
    }
  }
  const std::string path = (vt::scratch_dir() / name).string();
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return path;
}

TEST(EmbedImageCommandTest, WritesRowsAndJson) {
  engine::RandomMmprojSpec spec;
  const std::string mmproj = vt::random_mmproj_path("cli", spec);
  ASSERT_FALSE(mmproj.empty());
  const std::string image = write_bmp("cli.bmp", 100, 60);
  const std::string out = (vt::scratch_dir() / "cli.bin").string();
  CliRun r = run({"--mmproj", mmproj, "--image", image, "--out", out, "--threads", "2", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = json::parse(r.out);
  const int n = j["n_tokens"], dim = j["dim"];
  EXPECT_EQ(dim, spec.projection_dim * 2);  // one DeepStack layer
  EXPECT_EQ(j["grid"][0].get<int>() * j["grid"][1].get<int>(), n);
  const auto rows = vt::read_f32_file(out);
  EXPECT_EQ(rows.size(), static_cast<size_t>(n) * dim);
  // A smaller cap gives fewer tokens.
  CliRun small = run({"--mmproj", mmproj, "--image", image, "--max-side", "32", "--json"});
  ASSERT_EQ(small.rc, 0) << small.err;
  EXPECT_LT(json::parse(small.out)["n_tokens"].get<int>(), n);
  // Without --json: one human-readable line.
  CliRun text = run({"--mmproj", mmproj, "--image", image});
  ASSERT_EQ(text.rc, 0);
  EXPECT_NE(text.out.find("image tokens"), std::string::npos);
}

TEST(EmbedImageCommandTest, ExitCodes) {
  engine::RandomMmprojSpec spec;
  const std::string mmproj = vt::random_mmproj_path("cli", spec);
  const std::string image = write_bmp("cli2.bmp", 40, 40);
  const std::string junk = (vt::scratch_dir() / "junk.bin").string();
  std::ofstream(junk) << "definitely not an image nor a gguf file";
  struct Case {
    std::vector<std::string> args;
    int rc;
    std::string expect;
  };
  const Case cases[] = {
      {{"--image", image}, 2, "--mmproj is required"},
      {{"--mmproj", mmproj}, 2, "--image is required"},
      {{"--mmproj", mmproj, "--image", image, "--bogus"}, 2, "unknown argument"},
      {{"--mmproj", mmproj, "--image", image, "--max-side", "abc"}, 2, "--max-side"},
      {{"--mmproj", mmproj, "--image", image, "--max-side"}, 2, "needs a value"},
      {{"--mmproj", mmproj, "--image", "/nonexistent/x.png"}, 1, "cannot read image"},
      {{"--mmproj", junk, "--image", image}, 1, ""},
      {{"--mmproj", mmproj, "--image", junk}, 1, junk},
      {{"--mmproj", mmproj, "--image", image, "--out", "/nonexistent/dir/out.bin"}, 1, "cannot write"},
  };
  for (const Case& c : cases) {
    CliRun r = run(c.args);
    EXPECT_EQ(r.rc, c.rc) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
}

TEST(EmbedImageCommandTest, FixtureImageMatchesLlamaCpp) {
  const std::string dir = vt::tiny_fixtures_dir();
  if (dir.empty()) GTEST_SKIP() << "fixtures not found (../shared/fixtures/qwen3vl-tiny): skipping";
  const std::string out = (vt::scratch_dir() / "a_64x48.bin").string();
  CliRun r = run({"--mmproj", dir + "/models/mmproj-qwen3vl-tiny-a-F32.gguf", "--image", dir + "/images/a_64x48.png",
                  "--out", out, "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["n_tokens"], 12);
  EXPECT_EQ(j["dim"], 1024);
  EXPECT_EQ(j["grid"], json::array({4, 3}));
  const auto ours = vt::read_f32_file(out);
  const auto ref = vt::read_f32_file(dir + "/vision/a_64x48.mmproj-F32.embd.f32");
  ASSERT_EQ(ours.size(), ref.size());
  EXPECT_LE(vt::rel_error(ours.data(), ref.data(), ref.size()), 1e-4);
}

}  // namespace
}  // namespace teamvl::app
