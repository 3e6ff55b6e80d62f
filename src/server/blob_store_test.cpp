#include "server/blob_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/image/sha256.h"

namespace teamvl::server {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/teamvl-blob-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = store::open_sqlite_store(dir_ + "/teamvl.db");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
    blobs_ = std::make_unique<BlobStore>(BlobStore::root_for_data_dir(dir_));
    alice_ = make_user("alice");
    bob_ = make_user("bob");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  int64_t make_user(const std::string& name) {
    store::User u;
    u.username = name;
    u.display_name = name;
    u.password_hash = "x";
    auto created = store_->create_user(u);
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    return created.ok() ? created->id : 0;
  }

  store::FileRecord record(int64_t user, const std::string& bytes, const std::string& name) {
    store::FileRecord f;
    f.user_id = user;
    f.sha256 = engine::sha256_hex(bytes);
    f.name = name;
    f.mime = "image/png";
    f.kind = "image";
    f.size_bytes = static_cast<int64_t>(bytes.size());
    f.width = f.height = f.pages = 1;
    return f;
  }

  size_t files_on_disk() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_ + "/files", ec); !ec && it != fs::end(it); ++it)
      if (it->is_regular_file()) ++n;
    return n;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<BlobStore> blobs_;
  int64_t alice_ = 0, bob_ = 0;
};

TEST_F(BlobStoreTest, PathIsShardedByDigestAndMalformedDigestsAreRefused) {
  std::string sha = engine::sha256_hex("hello");
  auto p = blobs_->path(sha);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, dir_ + "/files/" + sha.substr(0, 2) + "/" + sha.substr(2));
  for (std::string bad : {std::string(""), std::string("../../etc/passwd"), std::string(64, 'A'),
                          std::string(63, 'a'), std::string(65, 'a'), std::string(62, 'a') + "/."}) {
    EXPECT_FALSE(BlobStore::valid_sha256(bad)) << bad;
    EXPECT_EQ(blobs_->path(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(blobs_->put(bad, "x").ok()) << bad;
    EXPECT_FALSE(blobs_->remove(bad).ok()) << bad;
  }
}

TEST_F(BlobStoreTest, PutReadRemoveRoundTripsBinaryBytes) {
  std::string bytes("\x00\x01\xff\r\n binary", 12);
  std::string sha = engine::sha256_hex(bytes);
  EXPECT_FALSE(blobs_->contains(sha));
  EXPECT_EQ(blobs_->read(sha).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(blobs_->put(sha, bytes).ok());
  EXPECT_TRUE(blobs_->contains(sha));
  EXPECT_EQ(*blobs_->read(sha), bytes);
  ASSERT_TRUE(blobs_->put(sha, bytes).ok()) << "a second put is a no-op";
  EXPECT_EQ(files_on_disk(), 1u) << "no temporary file is left behind";
  ASSERT_TRUE(blobs_->remove(sha).ok());
  EXPECT_FALSE(blobs_->contains(sha));
  EXPECT_TRUE(blobs_->remove(sha).ok()) << "removing an absent blob is fine";
}

TEST_F(BlobStoreTest, LeftoverTemporaryFilesAreClearedAtStart) {
  fs::create_directories(dir_ + "/files/tmp");
  std::ofstream(dir_ + "/files/tmp/upload-abc") << "half a file";
  BlobStore fresh(BlobStore::root_for_data_dir(dir_));
  EXPECT_TRUE(fs::exists(dir_ + "/files/tmp/upload-abc")) << "making a BlobStore touches nothing";
  fresh.remove_stale_temp_files();
  EXPECT_FALSE(fs::exists(dir_ + "/files/tmp/upload-abc"));
}

TEST_F(BlobStoreTest, SameMemberSameBytesGetsTheSameRow) {
  bool created = false;
  auto first = blobs_->add_file(*store_, record(alice_, "png-bytes", "a.png"), "png-bytes", &created);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(created);
  auto again = blobs_->add_file(*store_, record(alice_, "png-bytes", "renamed.png"), "png-bytes", &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->name, "a.png");
  auto bobs = blobs_->add_file(*store_, record(bob_, "png-bytes", "b.png"), "png-bytes", &created);
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(created);
  EXPECT_NE(bobs->id, first->id);
  EXPECT_EQ(files_on_disk(), 1u) << "one blob for both rows";
}

TEST_F(BlobStoreTest, BlobGoesWithTheLastReference) {
  bool created = false;
  auto a = blobs_->add_file(*store_, record(alice_, "shared", "a.png"), "shared", &created);
  auto b = blobs_->add_file(*store_, record(bob_, "shared", "b.png"), "shared", &created);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(blobs_->delete_file(*store_, a->id).ok());
  EXPECT_TRUE(blobs_->contains(a->sha256)) << "bob's row still names it";
  EXPECT_EQ(store_->get_file(a->id).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(blobs_->delete_file(*store_, b->id).ok());
  EXPECT_FALSE(blobs_->contains(a->sha256));
  EXPECT_EQ(blobs_->delete_file(*store_, b->id).code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, FailingExtraStepKeepsRowAndBlob) {
  bool created = false;
  auto a = blobs_->add_file(*store_, record(alice_, "kept", "a.png"), "kept", &created);
  ASSERT_TRUE(a.ok());
  Status st = blobs_->delete_file(*store_, a->id, [] { return Status::Internal("audit failed"); });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_TRUE(store_->get_file(a->id).ok()) << "the transaction rolled back";
  EXPECT_TRUE(blobs_->contains(a->sha256));
}

TEST_F(BlobStoreTest, RefusedRowLeavesNoBlob) {
  bool created = false;
  store::FileRecord bad = record(alice_, "orphan", "a.png");
  bad.kind = "spreadsheet";  // the store refuses it
  auto r = blobs_->add_file(*store_, bad, "orphan", &created);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(blobs_->contains(bad.sha256));
}

TEST_F(BlobStoreTest, RemoveUnreferencedAfterAMemberIsDeleted) {
  bool created = false;
  auto a = blobs_->add_file(*store_, record(alice_, "only-alice", "a.png"), "only-alice", &created);
  auto s = blobs_->add_file(*store_, record(alice_, "both", "s.png"), "both", &created);
  auto b = blobs_->add_file(*store_, record(bob_, "both", "s.png"), "both", &created);
  ASSERT_TRUE(a.ok() && s.ok() && b.ok());
  ASSERT_TRUE(store_->delete_user(alice_).ok());
  ASSERT_TRUE(blobs_->remove_unreferenced(*store_, {a->sha256, s->sha256}).ok());
  EXPECT_FALSE(blobs_->contains(a->sha256));
  EXPECT_TRUE(blobs_->contains(s->sha256));
}

// A member's upload of bytes that another member is deleting at the same
// moment must never end with a row whose blob is gone (every "blob + row"
// step holds the process-wide blob lock).
TEST_F(BlobStoreTest, ConcurrentUploadAndDeleteNeverLeaveARowWithoutItsBlob) {
  // One thread keeps deleting alice's row while another keeps re-adding bob's:
  // whenever bob has a row, the blob is on disk.
  bool created = false;
  auto first = blobs_->add_file(*store_, record(alice_, "race", "a.png"), "race", &created);
  ASSERT_TRUE(first.ok());
  std::thread deleter([&] {
    for (int i = 0; i < 200; ++i) {
      bool c = false;
      auto a = blobs_->add_file(*store_, record(alice_, "race", "a.png"), "race", &c);
      if (a.ok()) (void)blobs_->delete_file(*store_, a->id);
    }
  });
  for (int i = 0; i < 200; ++i) {
    bool c = false;
    auto b = blobs_->add_file(*store_, record(bob_, "race", "b.png"), "race", &c);
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(blobs_->contains(b->sha256)) << i;
    ASSERT_TRUE(blobs_->delete_file(*store_, b->id).ok());
  }
  deleter.join();
}

}  // namespace
}  // namespace teamvl::server
