// Test helpers for the SQLite store: a fresh temporary directory per test
// and a store opened in it with a fake clock.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "base/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

inline const Status& status_of(const Status& s) { return s; }
template <typename T>
const Status& status_of(const Result<T>& r) { return r.status(); }

// Success when `s` (a Status or Result) is ok; otherwise says what it was.
template <typename S>
::testing::AssertionResult is_ok(const S& s) {
  if (status_of(s).ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status_of(s).to_string();
}

// Success when `s` failed with exactly `want`.
template <typename S>
::testing::AssertionResult has_code(const S& s, StatusCode want) {
  if (status_of(s).code() == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << status_code_name(want) << ", got "
                                       << status_of(s).to_string();
}

// Each evaluates `expr` once; more context can be streamed with <<.
#define ASSERT_OK(expr) ASSERT_TRUE(::teamvl::store::sqlite::is_ok(expr))
#define EXPECT_OK(expr) EXPECT_TRUE(::teamvl::store::sqlite::is_ok(expr))
#define EXPECT_CODE(expr, code) EXPECT_TRUE(::teamvl::store::sqlite::has_code((expr), (code)))

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "teamvl_store_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (std::filesystem::path(dir_) / "teamvl.db").string();
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Closes the store (if open) and opens the same file again.
  void reopen() {
    store_.reset();
    SqliteStoreOptions options;
    options.clock = &clock_;
    auto opened = open_sqlite_store(path_, options);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_ = std::move(opened).value();
  }

  std::unique_ptr<Store> open_another() {
    SqliteStoreOptions options;
    options.clock = &clock_;
    auto opened = open_sqlite_store(path_, options);
    EXPECT_TRUE(opened.ok()) << opened.status().to_string();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // Creates a member named `name` and returns its id (0 on failure).
  int64_t add_user(const std::string& name, Role role = Role::kMember) {
    User u;
    u.username = name;
    u.display_name = "User " + name;
    u.role = role;
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$" + name;
    auto created = store_->create_user(u);
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    return created.ok() ? created->id : 0;
  }

  FakeClock clock_{1'700'000'000};
  std::string dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

}  // namespace teamvl::store::sqlite
