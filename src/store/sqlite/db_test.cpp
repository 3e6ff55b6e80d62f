#include "store/sqlite/db.h"

#include <sqlite3.h>
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

TEST(StatusFromSqliteTest, MapsCodes) {
  const struct {
    int rc;
    StatusCode want;
  } cases[] = {
      {SQLITE_OK, StatusCode::kOk},
      {SQLITE_DONE, StatusCode::kOk},
      {SQLITE_CONSTRAINT_UNIQUE, StatusCode::kAlreadyExists},
      {SQLITE_CONSTRAINT_PRIMARYKEY, StatusCode::kAlreadyExists},
      {SQLITE_CONSTRAINT_FOREIGNKEY, StatusCode::kNotFound},
      {SQLITE_CONSTRAINT_CHECK, StatusCode::kInvalidArgument},
      {SQLITE_CONSTRAINT_NOTNULL, StatusCode::kInvalidArgument},
      {SQLITE_BUSY, StatusCode::kUnavailable},
      {SQLITE_BUSY_SNAPSHOT, StatusCode::kUnavailable},
      {SQLITE_LOCKED, StatusCode::kUnavailable},
      {SQLITE_CORRUPT, StatusCode::kDataLoss},
      {SQLITE_NOTADB, StatusCode::kDataLoss},
      {SQLITE_ERROR, StatusCode::kInternal},
      {SQLITE_IOERR_WRITE, StatusCode::kInternal},
      {SQLITE_FULL, StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    Status st = status_from_sqlite(c.rc, "msg");
    EXPECT_EQ(st.code(), c.want) << "rc " << c.rc;
    if (!st.ok()) {
      EXPECT_EQ(st.message(), "sqlite: msg");
    }
  }
}

class DbTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_.reset();
    auto db = Db::open(path_, DbOptions{});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_OK(db_->exec_script(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, s TEXT, "
        "n BIGINT, c INTEGER CHECK (c >= 0) NOT NULL DEFAULT 0)"));
  }
  void TearDown() override {
    db_.reset();
    StoreTest::TearDown();
  }
  int64_t count() {
    auto stmt = db_->prepare("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(stmt->step().ok());
    return stmt->int64(0);
  }
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, OpensInWalWithForeignKeys) {
  auto stmt = db_->prepare("PRAGMA journal_mode");
  ASSERT_OK(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->text(0), "wal");
  auto fk = db_->prepare("PRAGMA foreign_keys");
  ASSERT_OK(fk);
  ASSERT_TRUE(*fk->step());
  EXPECT_EQ(fk->int64(0), 1);
}

TEST_F(DbTest, BindsAndReadsEveryType) {
  const std::string with_nul("a\0b", 3);
  ASSERT_OK(db_->exec("INSERT INTO t (id, i, r, s, n) VALUES (?, ?, ?, ?, ?)", 1,
                      int64_t{-9'000'000'000'000}, 2.5, with_nul, nullptr));
  ASSERT_OK(db_->exec("INSERT INTO t (id, i, r, s, n) VALUES (?, ?, ?, ?, ?)", 2, true,
                      std::optional<double>{}, "plain", std::optional<int64_t>{42}));
  auto stmt = db_->prepare("SELECT i, r, s, n FROM t ORDER BY id");
  ASSERT_OK(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->int64(0), -9'000'000'000'000);
  EXPECT_EQ(stmt->real(1), 2.5);
  EXPECT_EQ(stmt->text(2), with_nul);
  EXPECT_TRUE(stmt->is_null(3));
  EXPECT_FALSE(stmt->opt_int64(3).has_value());
  ASSERT_TRUE(*stmt->step());
  EXPECT_TRUE(stmt->boolean(0));
  EXPECT_FALSE(stmt->opt_real(1).has_value());
  EXPECT_EQ(stmt->text(2), "plain");
  EXPECT_EQ(stmt->opt_int64(3), 42);
  EXPECT_FALSE(*stmt->step());
}

TEST_F(DbTest, ValuesAreNeverSqlText) {
  const std::string evil = "x'); DROP TABLE t; --";
  ASSERT_OK(db_->exec("INSERT INTO t (s) VALUES (?)", evil));
  auto stmt = db_->prepare("SELECT s FROM t WHERE s = ?");
  ASSERT_OK(stmt);
  ASSERT_OK(stmt->bind(evil));
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->text(0), evil);
}

TEST_F(DbTest, MapsConstraintErrors) {
  ASSERT_OK(db_->exec("INSERT INTO t (id) VALUES (?)", 1));
  EXPECT_CODE(db_->exec("INSERT INTO t (id) VALUES (?)", 1), StatusCode::kAlreadyExists);
  EXPECT_CODE(db_->exec("INSERT INTO t (id, c) VALUES (?, ?)", 2, -1),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(db_->exec("INSERT INTO t (id, c) VALUES (?, ?)", 3, nullptr),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(db_->exec("SELECT nope FROM t"), StatusCode::kInternal);
  EXPECT_CODE(db_->exec("SELECT 1; SELECT 2"), StatusCode::kInternal);
  EXPECT_CODE(db_->exec("SELECT ?", 1, 2), StatusCode::kInternal);  // too many values
}

TEST_F(DbTest, CachedStatementCanBeUsedReentrantly) {
  ASSERT_OK(db_->exec("INSERT INTO t (id, i) VALUES (1, 10), (2, 20)"));
  const char* sql = "SELECT i FROM t WHERE id = ?";
  auto outer = db_->prepare(sql);
  ASSERT_OK(outer);
  ASSERT_OK(outer->bind(1));
  ASSERT_TRUE(*outer->step());
  {
    // Same SQL while the first is mid-row: a second statement, not the same.
    auto inner = db_->prepare(sql);
    ASSERT_OK(inner);
    ASSERT_OK(inner->bind(2));
    ASSERT_TRUE(*inner->step());
    EXPECT_EQ(inner->int64(0), 20);
  }
  EXPECT_EQ(outer->int64(0), 10);
  // A statement given back comes back reset, with no bindings left over.
  auto again = db_->prepare(sql);
  ASSERT_OK(again);
  EXPECT_FALSE(*again->step());  // id = NULL matches nothing
}

TEST_F(DbTest, TransactionCommitRollbackAndSavepoints) {
  ASSERT_OK(db_->transaction([&] { return db_->exec("INSERT INTO t (id) VALUES (1)"); }));
  EXPECT_EQ(count(), 1);
  EXPECT_FALSE(db_->in_transaction());

  EXPECT_CODE(db_->transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(db_->exec("INSERT INTO t (id) VALUES (2)"));
    return Status::Internal("no");
  }),
              StatusCode::kInternal);
  EXPECT_EQ(count(), 1);

  ASSERT_OK(db_->transaction([&]() -> Status {
    EXPECT_TRUE(db_->in_transaction());
    TEAMVL_RETURN_IF_ERROR(db_->exec("INSERT INTO t (id) VALUES (3)"));
    Status inner = db_->transaction([&]() -> Status {
      TEAMVL_RETURN_IF_ERROR(db_->exec("INSERT INTO t (id) VALUES (4)"));
      return Status::Cancelled("inner");
    });
    EXPECT_EQ(inner.code(), StatusCode::kCancelled);
    return db_->transaction([&] { return db_->exec("INSERT INTO t (id) VALUES (5)"); });
  }));
  auto ids = db_->prepare("SELECT id FROM t ORDER BY id");
  ASSERT_OK(ids);
  auto got = ids->collect([](const Statement& s) { return s.int64(0); });
  ASSERT_OK(got);
  EXPECT_EQ(*got, (std::vector<int64_t>{1, 3, 5}));
}

TEST_F(DbTest, TransactionRollsBackOnException) {
  EXPECT_THROW((void)db_->transaction([&]() -> Status {
                 (void)db_->exec("INSERT INTO t (id) VALUES (1)");
                 throw std::logic_error("x");
               }),
               std::logic_error);
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(count(), 0);
}

TEST(DbOpenTest, SyncModeFollowsOptions) {
  const std::string path = ::testing::TempDir() + "/teamvl_sync_mode.db";
  for (bool full : {true, false}) {
    DbOptions options;
    options.sync_every_commit = full;
    auto db = Db::open(path, options);
    ASSERT_OK(db);
    auto stmt = (*db)->prepare("PRAGMA synchronous");
    ASSERT_OK(stmt);
    ASSERT_TRUE(*stmt->step());
    EXPECT_EQ(stmt->int64(0), full ? 2 : 1);  // FULL = 2, NORMAL = 1
  }
  std::remove(path.c_str());
}

TEST(DbOpenTest, NotADatabaseIsDataLossAndMissingDirIsAnError) {
  const std::string dir = ::testing::TempDir();
  const std::string junk = dir + "/teamvl_not_a_db.bin";
  {
    std::ofstream out(junk, std::ios::binary);
    out << std::string(4096, 'z');
  }
  EXPECT_CODE(Db::open(junk, DbOptions{}), StatusCode::kDataLoss);
  std::remove(junk.c_str());
  auto missing = Db::open(dir + "/no/such/dir/x.db", DbOptions{});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no/such/dir"), std::string::npos)
      << missing.status().message();
}

}  // namespace
}  // namespace teamvl::store::sqlite
