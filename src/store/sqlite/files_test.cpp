#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

// A valid digest made of one repeated hex digit.
std::string digest(char c) { return std::string(64, c); }

class FilesTest : public StoreTest {
 protected:
  FileRecord make(int64_t user_id, const std::string& sha, const std::string& name = "a.png") {
    FileRecord f;
    f.user_id = user_id;
    f.sha256 = sha;
    f.name = name;
    f.mime = "image/png";
    f.kind = "image";
    f.size_bytes = 2048;
    f.width = 640;
    f.height = 480;
    f.pages = 1;
    return f;
  }
};

TEST_F(FilesTest, CreateFillsIdAndTimeAndReadsBack) {
  const int64_t uid = add_user("ann");
  FileRecord pdf = make(uid, digest('a'), "report.pdf");
  pdf.mime = "application/pdf";
  pdf.kind = "pdf";
  pdf.size_bytes = 1'000'000;
  pdf.pages = 12;
  auto made = store_->create_file(pdf);
  ASSERT_OK(made);
  EXPECT_GT(made->id, 0);
  EXPECT_EQ(made->created_at, clock_.now_unix());
  auto got = store_->get_file(made->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->user_id, uid);
  EXPECT_EQ(got->sha256, digest('a'));
  EXPECT_EQ(got->name, "report.pdf");
  EXPECT_EQ(got->mime, "application/pdf");
  EXPECT_EQ(got->kind, "pdf");
  EXPECT_EQ(got->size_bytes, 1'000'000);
  EXPECT_EQ(got->width, 640);
  EXPECT_EQ(got->height, 480);
  EXPECT_EQ(got->pages, 12);
  EXPECT_EQ(got->created_at, made->created_at);
}

TEST_F(FilesTest, RefusesBadRows) {
  const int64_t uid = add_user("bo");
  const struct {
    const char* what;
    void (*change)(FileRecord&);
    StatusCode code;
  } cases[] = {
      {"empty digest", [](FileRecord& f) { f.sha256 = ""; }, StatusCode::kInvalidArgument},
      {"short digest", [](FileRecord& f) { f.sha256 = std::string(63, 'a'); },
       StatusCode::kInvalidArgument},
      {"long digest", [](FileRecord& f) { f.sha256 = std::string(65, 'a'); },
       StatusCode::kInvalidArgument},
      {"upper case", [](FileRecord& f) { f.sha256 = std::string(64, 'A'); },
       StatusCode::kInvalidArgument},
      {"path", [](FileRecord& f) { f.sha256 = "../" + std::string(61, 'a'); },
       StatusCode::kInvalidArgument},
      {"unknown kind", [](FileRecord& f) { f.kind = "video"; }, StatusCode::kInvalidArgument},
      {"negative size", [](FileRecord& f) { f.size_bytes = -1; }, StatusCode::kInvalidArgument},
      {"negative width", [](FileRecord& f) { f.width = -1; }, StatusCode::kInvalidArgument},
      {"negative pages", [](FileRecord& f) { f.pages = -3; }, StatusCode::kInvalidArgument},
      {"no such user", [](FileRecord& f) { f.user_id += 50; }, StatusCode::kNotFound},
  };
  for (const auto& c : cases) {
    FileRecord f = make(uid, digest('b'));
    c.change(f);
    EXPECT_CODE(store_->create_file(f), c.code) << c.what;
  }
  EXPECT_TRUE(store_->list_files(uid)->empty());
  EXPECT_CODE(store_->get_file(3), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_file(3), StatusCode::kNotFound);
}

TEST_F(FilesTest, SameMemberSameContentIsOneRow) {
  const int64_t uid = add_user("cy");
  auto first = store_->create_file(make(uid, digest('c'), "cat.png"));
  ASSERT_OK(first);
  clock_.advance_seconds(60);
  auto again = store_->create_file(make(uid, digest('c'), "cat (1).png"));
  ASSERT_OK(again);
  // The existing row comes back unchanged.
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->name, "cat.png");
  EXPECT_EQ(again->created_at, first->created_at);
  EXPECT_EQ(store_->list_files(uid)->size(), 1u);
  EXPECT_EQ(*store_->count_file_references(digest('c')), 1);

  // Also inside a transaction, where the row is read back from it.
  ASSERT_OK(store_->in_transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(FileRecord f, store_->create_file(make(uid, digest('c'), "x.png")));
    EXPECT_EQ(f.id, first->id);
    return Status::Ok();
  }));
}

TEST_F(FilesTest, ReferencesAreCountedAcrossMembers) {
  const int64_t a = add_user("di");
  const int64_t b = add_user("ed");
  const int64_t fa = store_->create_file(make(a, digest('d')))->id;
  const int64_t fb = store_->create_file(make(b, digest('d')))->id;
  const int64_t other = store_->create_file(make(a, digest('e')))->id;
  EXPECT_NE(fa, fb);
  EXPECT_EQ(*store_->count_file_references(digest('d')), 2);
  EXPECT_EQ(*store_->count_file_references(digest('e')), 1);
  EXPECT_EQ(*store_->count_file_references(digest('f')), 0);

  ASSERT_OK(store_->delete_file(fa));
  EXPECT_EQ(*store_->count_file_references(digest('d')), 1);  // b still needs the blob
  EXPECT_CODE(store_->get_file(fa), StatusCode::kNotFound);
  EXPECT_OK(store_->get_file(fb));
  ASSERT_OK(store_->delete_file(fb));
  EXPECT_EQ(*store_->count_file_references(digest('d')), 0);  // now the blob may go
  EXPECT_CODE(store_->delete_file(fb), StatusCode::kNotFound);
  EXPECT_EQ(*store_->count_file_references(digest('e')), 1);
  EXPECT_OK(store_->get_file(other));

  // After deleting, the same member may upload the content again.
  auto back = store_->create_file(make(a, digest('d')));
  ASSERT_OK(back);
  EXPECT_GT(back->id, other);
}

TEST_F(FilesTest, ListIsPerMemberNewestFirst) {
  const int64_t a = add_user("flo");
  const int64_t b = add_user("gil");
  const int64_t f1 = store_->create_file(make(a, digest('1')))->id;
  const int64_t g1 = store_->create_file(make(b, digest('2')))->id;
  const int64_t f2 = store_->create_file(make(a, digest('3')))->id;
  auto mine = store_->list_files(a);
  ASSERT_OK(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, f2);
  EXPECT_EQ((*mine)[1].id, f1);
  auto theirs = store_->list_files(b);
  ASSERT_OK(theirs);
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ((*theirs)[0].id, g1);
  EXPECT_TRUE(store_->list_files(b + 10)->empty());
}

}  // namespace
}  // namespace teamvl::store::sqlite
