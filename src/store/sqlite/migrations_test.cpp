#include "store/sqlite/migrations.h"

#include <gtest/gtest.h>

#include <vector>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class MigrationsTest : public StoreTest {
 protected:
  std::unique_ptr<Db> raw_db() {
    store_.reset();
    auto db = Db::open(path_, DbOptions{});
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // The (version, applied_at) rows recorded so far.
  static std::vector<std::pair<int64_t, int64_t>> recorded(Db& db) {
    auto stmt = db.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version");
    EXPECT_TRUE(stmt.ok());
    auto rows = stmt->collect([](const Statement& s) { return std::pair(s.int64(0), s.int64(1)); });
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<std::pair<int64_t, int64_t>>{};
  }

  static bool table_exists(Db& db, const std::string& name) {
    auto stmt = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(stmt->bind(name).ok());
    auto row = stmt->step();
    return row.ok() && *row;
  }
};

TEST(MigrationListTest, NumberedFromOneWithoutGaps) {
  auto list = sqlite_migrations();
  ASSERT_FALSE(list.empty());
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
    EXPECT_NE(std::string(list[i].name), "");
    EXPECT_NE(std::string(list[i].sql), "");
  }
}

TEST_F(MigrationsTest, FreshStoreIsAtLatestVersion) {
  EXPECT_EQ(store_->schema_version(), static_cast<int>(sqlite_migrations().size()));
}

TEST_F(MigrationsTest, ReopeningAppliesNothingTwice) {
  const int latest = static_cast<int>(sqlite_migrations().size());
  add_user("before");
  auto db = raw_db();
  ASSERT_NE(db, nullptr);
  const auto first = recorded(*db);
  ASSERT_EQ(first.size(), static_cast<size_t>(latest));
  db.reset();

  clock_.advance_seconds(1000);
  reopen();
  reopen();
  EXPECT_EQ(store_->schema_version(), latest);
  EXPECT_OK(store_->find_user("before"));
  db = raw_db();
  EXPECT_EQ(recorded(*db), first);  // same versions, original applied_at
}

TEST_F(MigrationsTest, AppliesOnlyPendingOnes) {
  // The store's own migrations ran in SetUp; use a fresh file for this list.
  path_ = dir_ + "/custom.db";
  auto db = raw_db();
  ASSERT_NE(db, nullptr);
  const Migration v1[] = {{1, "one", "CREATE TABLE a (x INTEGER)"}};
  const Migration v2[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                          {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (7)"}};
  auto v = apply_migrations(*db, v1, 10);
  ASSERT_OK(v);
  EXPECT_EQ(*v, 1);
  v = apply_migrations(*db, v2, 20);
  ASSERT_OK(v);
  EXPECT_EQ(*v, 2);
  EXPECT_TRUE(table_exists(*db, "b"));
  const std::vector<std::pair<int64_t, int64_t>> want = {{1, 10}, {2, 20}};
  EXPECT_EQ(recorded(*db), want);
  // Running again is a no-op (CREATE TABLE a would fail if re-run).
  v = apply_migrations(*db, v2, 30);
  ASSERT_OK(v);
  EXPECT_EQ(recorded(*db), want);
}

TEST_F(MigrationsTest, FailingMigrationLeavesNoTrace) {
  path_ = dir_ + "/failing.db";
  auto db = raw_db();
  ASSERT_NE(db, nullptr);
  const Migration list[] = {{1, "one", "CREATE TABLE a (x INTEGER)"},
                            {2, "bad", "CREATE TABLE half (x INTEGER); SELEKT nonsense"}};
  auto v = apply_migrations(*db, list, 1);
  EXPECT_CODE(v, StatusCode::kInternal);
  EXPECT_NE(v.status().message().find("migration 2"), std::string::npos) << v.status().message();
  EXPECT_TRUE(table_exists(*db, "a"));
  EXPECT_FALSE(table_exists(*db, "half"));
  auto now = current_schema_version(*db);
  ASSERT_OK(now);
  EXPECT_EQ(*now, 1);
}

TEST_F(MigrationsTest, RefusesBadNumberingAndNewerDatabases) {
  path_ = dir_ + "/numbering.db";
  auto db = raw_db();
  ASSERT_NE(db, nullptr);
  const Migration gap[] = {{1, "one", "SELECT 1"}, {3, "three", "SELECT 1"}};
  EXPECT_CODE(apply_migrations(*db, gap, 1), StatusCode::kInternal);
  const Migration two[] = {{1, "one", "SELECT 1"}, {2, "two", "SELECT 1"}};
  ASSERT_OK(apply_migrations(*db, two, 1));
  const Migration one[] = {{1, "one", "SELECT 1"}};
  EXPECT_CODE(apply_migrations(*db, one, 1), StatusCode::kFailedPrecondition);
}

TEST_F(MigrationsTest, StoreRefusesADatabaseFromTheFuture) {
  auto db = raw_db();
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     999, "future", 1));
  db.reset();
  SqliteStoreOptions options;
  EXPECT_CODE(open_sqlite_store(path_, options), StatusCode::kFailedPrecondition);
}

// A database written by the first release (schema 1) is brought up to date
// by opening it with this build, keeping its rows.
TEST_F(MigrationsTest, UpgradesAVersionOneDatabase) {
  path_ = dir_ + "/v1.db";
  auto db = raw_db();
  ASSERT_NE(db, nullptr);
  auto v = apply_migrations(*db, sqlite_migrations().first(1), 100);
  ASSERT_OK(v);
  ASSERT_EQ(*v, 1);
  EXPECT_FALSE(table_exists(*db, "tasks"));
  ASSERT_OK(db->exec("INSERT INTO users (username, role, created_at, updated_at) "
                     "VALUES ('old', 'member', 1, 1)"));
  db.reset();

  clock_.advance_seconds(50);
  reopen();
  EXPECT_EQ(store_->schema_version(), static_cast<int>(sqlite_migrations().size()));
  auto old = store_->find_user("old");
  ASSERT_OK(old);
  Task t;
  t.user_id = old->id;
  auto task = store_->create_task(t);
  ASSERT_OK(task);
  ChatSession s;
  s.user_id = old->id;
  EXPECT_OK(store_->create_chat_session(s));

  db = raw_db();
  ASSERT_NE(db, nullptr);
  for (const char* table : {"tasks", "chat_sessions", "chat_messages", "files", "presets"}) {
    EXPECT_TRUE(table_exists(*db, table)) << table;
  }
  const auto rows = recorded(*db);
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, 1);
  EXPECT_EQ(rows[0].second, 100);  // version 1 kept its original time
  EXPECT_EQ(rows[1].first, 2);
  EXPECT_EQ(rows[1].second, clock_.now_unix());
}

}  // namespace
}  // namespace teamvl::store::sqlite
