// Users and first-run setup.
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace teamvl::store::sqlite {

namespace {

constexpr const char* kUserColumns =
    "id, username, display_name, role, password_hash, must_change_password, disabled, "
    "created_at, updated_at";

User read_user(const Statement& s) {
  User u;
  u.id = s.int64(0);
  u.username = s.text(1);
  u.display_name = s.text(2);
  // The CHECK constraint admits only known names; fall back to least privilege.
  u.role = parse_role(s.text(3)).value_or(Role::kViewer);
  u.password_hash = s.text(4);
  u.must_change_password = s.boolean(5);
  u.disabled = s.boolean(6);
  u.created_at = s.int64(7);
  u.updated_at = s.int64(8);
  return u;
}

// Runs a query that selects kUserColumns and returns its first row.
template <typename Arg>
Result<User> query_user(Db& db, const std::string& where, const Arg& arg,
                        const std::string& not_found) {
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db.prepare(std::string("SELECT ") + kUserColumns +
                                                     " FROM users WHERE " + where));
  TEAMVL_RETURN_IF_ERROR(stmt.bind(arg));
  TEAMVL_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return Status::NotFound(not_found);
  return read_user(stmt);
}

Status check_user(const User& u) {
  if (u.username.empty()) return Status::InvalidArgument("username must not be empty");
  return Status::Ok();
}

}  // namespace

Result<User> SqliteStore::create_user(const User& user) {
  TEAMVL_RETURN_IF_ERROR(check_user(user));
  Lock lock(mu_);
  User out = user;
  out.created_at = out.updated_at = now();
  Status st = db_->exec(
      "INSERT INTO users (username, display_name, role, password_hash, must_change_password, "
      "disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      out.username, out.display_name, role_name(out.role), out.password_hash,
      out.must_change_password, out.disabled, out.created_at, out.updated_at);
  if (!st.ok()) {
    return with_message(st, StatusCode::kAlreadyExists,
                        "username '" + user.username + "' is taken");
  }
  out.id = db_->last_insert_rowid();
  return out;
}

Result<User> SqliteStore::get_user(int64_t id) {
  Lock lock(mu_);
  return query_user(*db_, "id = ?", id, "no user with id " + std::to_string(id));
}

Result<User> SqliteStore::find_user(const std::string& username) {
  Lock lock(mu_);
  return query_user(*db_, "username = ?", username, "no user named '" + username + "'");
}

Result<std::vector<User>> SqliteStore::list_users() {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare(std::string("SELECT ") + kUserColumns +
                                                       " FROM users ORDER BY id"));
  return stmt.collect(read_user);
}

Status SqliteStore::update_user(const User& user) {
  TEAMVL_RETURN_IF_ERROR(check_user(user));
  Lock lock(mu_);
  // updated_at is the caller's like every other field; 0 means "now".
  const int64_t updated_at = user.updated_at != 0 ? user.updated_at : now();
  Status st = db_->exec(
      "UPDATE users SET username = ?, display_name = ?, role = ?, password_hash = ?, "
      "must_change_password = ?, disabled = ?, updated_at = ? WHERE id = ?",
      user.username, user.display_name, role_name(user.role), user.password_hash,
      user.must_change_password, user.disabled, updated_at, user.id);
  if (!st.ok()) {
    return with_message(st, StatusCode::kAlreadyExists,
                        "username '" + user.username + "' is taken");
  }
  if (db_->changes() == 0) return Status::NotFound("no user with id " + std::to_string(user.id));
  return Status::Ok();
}

Status SqliteStore::delete_user(int64_t id) {
  Lock lock(mu_);
  // Sessions, keys, quota and usage go with the row (ON DELETE CASCADE).
  TEAMVL_RETURN_IF_ERROR(db_->exec("DELETE FROM users WHERE id = ?", id));
  if (db_->changes() == 0) return Status::NotFound("no user with id " + std::to_string(id));
  return Status::Ok();
}

Result<bool> SqliteStore::setup_done() {
  Lock lock(mu_);
  TEAMVL_ASSIGN_OR_RETURN(Statement stmt, db_->prepare("SELECT 1 FROM setup_state WHERE id = 1"));
  return stmt.step();
}

Result<User> SqliteStore::complete_setup(const User& admin) {
  TEAMVL_RETURN_IF_ERROR(check_user(admin));
  Lock lock(mu_);
  User created;
  TEAMVL_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    TEAMVL_ASSIGN_OR_RETURN(bool done, setup_done());
    if (done) return Status::FailedPrecondition("setup has already been completed");
    User first = admin;
    first.role = Role::kAdmin;
    TEAMVL_ASSIGN_OR_RETURN(created, create_user(first));
    Status st = db_->exec(
        "INSERT INTO setup_state (id, completed_at, admin_user_id) VALUES (1, ?, ?)", now(),
        created.id);
    if (st.code() == StatusCode::kAlreadyExists) {
      return Status::FailedPrecondition("setup has already been completed");
    }
    return st;
  }));
  return created;
}

}  // namespace teamvl::store::sqlite
