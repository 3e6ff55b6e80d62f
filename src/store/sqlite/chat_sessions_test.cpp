#include <gtest/gtest.h>

#include <vector>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class ChatSessionsTest : public StoreTest {
 protected:
  int64_t add_chat(int64_t user_id, const std::string& title) {
    ChatSession s;
    s.user_id = user_id;
    s.title = title;
    auto made = store_->create_chat_session(s);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    return made.ok() ? made->id : 0;
  }
  Result<ChatMessage> say(int64_t session_id, const std::string& role,
                          const std::string& content) {
    ChatMessage m;
    m.session_id = session_id;
    m.role = role;
    m.content = content;
    return store_->add_chat_message(m);
  }
  std::vector<int64_t> session_ids(int64_t user_id) {
    std::vector<int64_t> out;
    auto list = store_->list_chat_sessions(user_id);
    EXPECT_TRUE(list.ok()) << list.status().to_string();
    if (list.ok()) {
      for (const ChatSession& s : *list) out.push_back(s.id);
    }
    return out;
  }
};

TEST_F(ChatSessionsTest, CreateFillsIdAndTimesAndReadsBack) {
  const int64_t uid = add_user("ann");
  ChatSession s;
  s.user_id = uid;
  s.title = "Receipts";
  auto made = store_->create_chat_session(s);
  ASSERT_OK(made);
  EXPECT_GT(made->id, 0);
  EXPECT_EQ(made->created_at, clock_.now_unix());
  EXPECT_EQ(made->updated_at, clock_.now_unix());
  auto got = store_->get_chat_session(made->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->user_id, uid);
  EXPECT_EQ(got->title, "Receipts");
  EXPECT_EQ(got->created_at, made->created_at);
  EXPECT_EQ(got->updated_at, made->updated_at);
}

TEST_F(ChatSessionsTest, MissingRowsAreNotFound) {
  ChatSession orphan;
  orphan.user_id = 42;
  EXPECT_CODE(store_->create_chat_session(orphan), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_chat_session(5), StatusCode::kNotFound);
  EXPECT_CODE(store_->rename_chat_session(5, "x"), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_chat_session(5), StatusCode::kNotFound);
  EXPECT_CODE(store_->list_chat_messages(5), StatusCode::kNotFound);
  EXPECT_CODE(say(5, "user", "hello"), StatusCode::kNotFound);
  EXPECT_CODE(store_->update_chat_message_content(5, "x"), StatusCode::kNotFound);
  EXPECT_TRUE(store_->list_chat_sessions(42)->empty());
}

TEST_F(ChatSessionsTest, ListIsPerMemberMostRecentlyActiveFirst) {
  const int64_t a = add_user("bo");
  const int64_t b = add_user("cy");
  const int64_t s1 = add_chat(a, "first");
  clock_.advance_seconds(1);
  const int64_t s2 = add_chat(a, "second");
  clock_.advance_seconds(1);
  const int64_t other = add_chat(b, "theirs");
  EXPECT_EQ(session_ids(a), (std::vector<int64_t>{s2, s1}));
  EXPECT_EQ(session_ids(b), (std::vector<int64_t>{other}));

  // A message moves its session to the top; a rename does not.
  clock_.advance_seconds(1);
  ASSERT_OK(say(s1, "user", "back to this one"));
  EXPECT_EQ(session_ids(a), (std::vector<int64_t>{s1, s2}));
  clock_.advance_seconds(1);
  ASSERT_OK(store_->rename_chat_session(s2, "renamed"));
  EXPECT_EQ(session_ids(a), (std::vector<int64_t>{s1, s2}));
  EXPECT_EQ(store_->get_chat_session(s2)->title, "renamed");

  // Same activity time: the newer session first.
  const int64_t s3 = add_chat(a, "same second");
  const int64_t s4 = add_chat(a, "same second too");
  EXPECT_EQ(session_ids(a), (std::vector<int64_t>{s4, s3, s1, s2}));
}

TEST_F(ChatSessionsTest, MessagesKeepTheirOrderFilesAndTask) {
  const int64_t uid = add_user("di");
  const int64_t sid = add_chat(uid, "chat");
  Task t;
  t.user_id = uid;
  t.session_id = sid;
  const int64_t task_id = store_->create_task(t)->id;

  ASSERT_OK(say(sid, "system", "be brief"));
  ChatMessage user;
  user.session_id = sid;
  user.role = "user";
  user.content = "what is in these?";
  user.file_ids = {7, 3, 12};
  auto u = store_->add_chat_message(user);
  ASSERT_OK(u);
  EXPECT_GT(u->id, 0);
  EXPECT_EQ(u->created_at, clock_.now_unix());
  ChatMessage answer;
  answer.session_id = sid;
  answer.role = "assistant";
  answer.task_id = task_id;
  answer.created_at = 1'800'000'000;  // a caller-chosen time is kept
  ASSERT_OK(store_->add_chat_message(answer));

  auto msgs = store_->list_chat_messages(sid);
  ASSERT_OK(msgs);
  ASSERT_EQ(msgs->size(), 3u);
  EXPECT_EQ((*msgs)[0].role, "system");
  EXPECT_EQ((*msgs)[0].content, "be brief");
  EXPECT_TRUE((*msgs)[0].file_ids.empty());
  EXPECT_FALSE((*msgs)[0].task_id.has_value());
  EXPECT_EQ((*msgs)[1].id, u->id);
  EXPECT_EQ((*msgs)[1].session_id, sid);
  EXPECT_EQ((*msgs)[1].file_ids, (std::vector<int64_t>{7, 3, 12}));
  EXPECT_EQ((*msgs)[2].role, "assistant");
  EXPECT_EQ((*msgs)[2].content, "");
  EXPECT_EQ((*msgs)[2].task_id, task_id);
  EXPECT_EQ((*msgs)[2].created_at, 1'800'000'000);
  EXPECT_EQ(store_->get_chat_session(sid)->updated_at, 1'800'000'000);

  // An empty session lists no messages (not NotFound).
  const int64_t empty = add_chat(uid, "empty");
  auto none = store_->list_chat_messages(empty);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(ChatSessionsTest, FillingTheAnswerTouchesTheSession) {
  const int64_t sid = add_chat(add_user("ed"), "chat");
  auto answer = say(sid, "assistant", "");
  ASSERT_OK(answer);
  clock_.advance_seconds(30);
  ASSERT_OK(store_->update_chat_message_content(answer->id, "It is a cat."));
  auto msgs = store_->list_chat_messages(sid);
  ASSERT_OK(msgs);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].content, "It is a cat.");
  EXPECT_EQ((*msgs)[0].created_at, answer->created_at);
  EXPECT_EQ(store_->get_chat_session(sid)->updated_at, clock_.now_unix());
}

TEST_F(ChatSessionsTest, BadMessagesChangeNothing) {
  const int64_t sid = add_chat(add_user("flo"), "chat");
  const int64_t before = store_->get_chat_session(sid)->updated_at;
  clock_.advance_seconds(5);
  for (const char* role : {"", "tool", "User", "bot"}) {
    EXPECT_CODE(say(sid, role, "x"), StatusCode::kInvalidArgument) << role;
  }
  ChatMessage dangling;
  dangling.session_id = sid;
  dangling.role = "assistant";
  dangling.task_id = 999;
  EXPECT_CODE(store_->add_chat_message(dangling), StatusCode::kNotFound);
  EXPECT_TRUE(store_->list_chat_messages(sid)->empty());
  EXPECT_EQ(store_->get_chat_session(sid)->updated_at, before);
}

TEST_F(ChatSessionsTest, DeletingASessionRemovesMessagesAndKeepsTasks) {
  const int64_t uid = add_user("gil");
  const int64_t sid = add_chat(uid, "doomed");
  const int64_t kept = add_chat(uid, "kept");
  Task t;
  t.user_id = uid;
  t.session_id = sid;
  const int64_t task_id = store_->create_task(t)->id;
  t.session_id = kept;
  const int64_t kept_task = store_->create_task(t)->id;
  auto m = say(sid, "user", "hi");
  ASSERT_OK(m);
  ASSERT_OK(say(kept, "user", "still here"));

  ASSERT_OK(store_->delete_chat_session(sid));
  EXPECT_CODE(store_->get_chat_session(sid), StatusCode::kNotFound);
  EXPECT_CODE(store_->list_chat_messages(sid), StatusCode::kNotFound);
  EXPECT_CODE(store_->update_chat_message_content(m->id, "x"), StatusCode::kNotFound);
  auto task = store_->get_task(task_id);
  ASSERT_OK(task);
  EXPECT_FALSE(task->session_id.has_value());
  EXPECT_EQ(store_->get_task(kept_task)->session_id, kept);
  EXPECT_EQ(store_->list_chat_messages(kept)->size(), 1u);
  EXPECT_EQ(session_ids(uid), (std::vector<int64_t>{kept}));
  EXPECT_CODE(store_->delete_chat_session(sid), StatusCode::kNotFound);
}

}  // namespace
}  // namespace teamvl::store::sqlite
