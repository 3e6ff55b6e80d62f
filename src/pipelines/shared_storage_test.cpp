#include "pipelines/shared_storage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace teamvl::pipelines {
namespace {
namespace fs = std::filesystem;

class SharedStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "teamvl_shared_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(SharedStorageTest, WritesListsAndReadsRunOutputs) {
  SharedStorage s(dir_ + "/shared");
  auto empty = s.list("", true);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty()) << "nothing written yet is an empty listing";
  ASSERT_TRUE(s.write("manuals/1/doc-a/describe.md", "page 3: drawing").ok());
  ASSERT_TRUE(s.write("manuals/1/combined.html", "<h1>x</h1>").ok());
  ASSERT_TRUE(s.write("manuals/1/combined.html", "<h1>y</h1>").ok()) << "rewrites replace";
  auto all = s.list("manuals/1", true);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> paths;
  for (const auto& e : *all) paths.push_back(e.path + (e.is_dir ? "/" : ""));
  EXPECT_EQ(paths, (std::vector<std::string>{"manuals/1/combined.html", "manuals/1/doc-a/",
                                             "manuals/1/doc-a/describe.md"}));
  auto top = s.list("manuals/1/", false);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->size(), 2u);
  EXPECT_EQ(*s.read("manuals/1/combined.html"), "<h1>y</h1>");
  EXPECT_EQ(s.read("manuals/1").status().code(), StatusCode::kNotFound) << "a folder is not a file";
  EXPECT_EQ(s.read("manuals/2/x.md").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.list("nothing", false).status().code(), StatusCode::kNotFound);
  // No temp files are left behind.
  for (const auto& e : fs::recursive_directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST_F(SharedStorageTest, NothingOutsideTheRootIsReachable) {
  fs::create_directories(dir_ + "/shared");
  std::ofstream(dir_ + "/secret.txt") << "private";
  SharedStorage s(dir_ + "/shared");
  for (const char* bad : {"../secret.txt", "/etc/passwd", "a/../../secret.txt", "a//b", "./x", "a\\..\\b", "a\nb", ".."}) {
    EXPECT_EQ(s.read(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.write(bad, "x").code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.list(bad, false).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // A symlink planted inside must not lead out either.
  fs::create_directory_symlink(dir_, dir_ + "/shared/link");
  EXPECT_EQ(s.read("link/secret.txt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.write("link/planted.txt", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ + "/planted.txt"));
}

}  // namespace
}  // namespace teamvl::pipelines
