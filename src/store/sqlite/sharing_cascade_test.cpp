// Deleting a member removes everything of theirs that the sharing features
// added (tasks, chat sessions and messages, file rows, presets) and nothing
// of anybody else's.
#include <gtest/gtest.h>

#include <string>

#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

struct Owned {
  int64_t task = 0;
  int64_t session = 0;
  int64_t message = 0;
  int64_t file = 0;
  int64_t preset = 0;
};

class SharingCascadeTest : public StoreTest {
 protected:
  // Gives `uid` one of each row; the file's content is shared by everyone.
  Owned populate(int64_t uid) {
    Owned o;
    ChatSession s;
    s.user_id = uid;
    o.session = store_->create_chat_session(s)->id;
    ApiKey k;
    k.user_id = uid;
    k.prefix = "tvl_" + std::to_string(uid);
    k.secret_hash = "h";
    Task t;
    t.user_id = uid;
    t.session_id = o.session;
    t.api_key_id = store_->create_api_key(k)->id;
    o.task = store_->create_task(t)->id;
    EXPECT_OK(store_->mark_task_running(o.task, 1));
    ChatMessage m;
    m.session_id = o.session;
    m.role = "assistant";
    m.task_id = o.task;
    o.message = store_->add_chat_message(m)->id;
    FileRecord f;
    f.user_id = uid;
    f.sha256 = std::string(64, '9');
    f.kind = "image";
    o.file = store_->create_file(f)->id;
    Preset p;
    p.user_id = uid;
    p.name = "mine";
    o.preset = store_->create_preset(p)->id;
    return o;
  }
};

TEST_F(SharingCascadeTest, DeletingAMemberRemovesTheirRowsOnly) {
  const int64_t gone = add_user("gone");
  const int64_t kept = add_user("kept");
  const Owned g = populate(gone);
  const Owned k = populate(kept);
  EXPECT_EQ(*store_->count_file_references(std::string(64, '9')), 2);

  ASSERT_OK(store_->delete_user(gone));
  EXPECT_CODE(store_->get_task(g.task), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_chat_session(g.session), StatusCode::kNotFound);
  EXPECT_CODE(store_->update_chat_message_content(g.message, "x"), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_file(g.file), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_preset(g.preset), StatusCode::kNotFound);
  EXPECT_TRUE(store_->list_tasks(TaskFilter{gone, {}, 10, std::nullopt})->empty());
  EXPECT_TRUE(store_->list_chat_sessions(gone)->empty());
  EXPECT_TRUE(store_->list_files(gone)->empty());
  EXPECT_TRUE(store_->list_presets(gone)->empty());
  EXPECT_EQ(*store_->count_active_tasks(gone), 0);
  // The running task is gone, so a restart has nothing of theirs to requeue.
  EXPECT_EQ(*store_->requeue_interrupted_tasks(), 1);

  auto task = store_->get_task(k.task);
  ASSERT_OK(task);
  EXPECT_EQ(task->session_id, k.session);
  EXPECT_EQ(store_->list_chat_messages(k.session)->size(), 1u);
  EXPECT_EQ(store_->list_chat_messages(k.session)->front().task_id, k.task);
  EXPECT_OK(store_->get_file(k.file));
  EXPECT_OK(store_->get_preset(k.preset));
  EXPECT_EQ(*store_->count_file_references(std::string(64, '9')), 1);
}

TEST_F(SharingCascadeTest, DeletingAMemberIsAtomicWithTheirRows) {
  // A failed transaction that deleted the member leaves every row in place.
  const int64_t uid = add_user("undo");
  const Owned o = populate(uid);
  Status st = store_->in_transaction([&]() -> Status {
    TEAMVL_RETURN_IF_ERROR(store_->delete_user(uid));
    return Status::Cancelled("changed my mind");
  });
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_OK(store_->get_task(o.task));
  EXPECT_OK(store_->get_chat_session(o.session));
  EXPECT_EQ(store_->list_chat_messages(o.session)->size(), 1u);
  EXPECT_OK(store_->get_file(o.file));
  EXPECT_OK(store_->get_preset(o.preset));
}

}  // namespace
}  // namespace teamvl::store::sqlite
