#include "store/sqlite/test_util.h"

namespace teamvl::store::sqlite {
namespace {

class PipelinesStoreTest : public StoreTest {
 protected:
  Pipeline make(const std::string& name, int64_t owner) {
    Pipeline p;
    p.owner_id = owner;
    p.name = name;
    auto created = store_->create_pipeline(p, R"({"steps":[]})");
    EXPECT_OK(created);
    return created.ok() ? *created : Pipeline{};
  }
  std::vector<RunItem> items(int n) {
    std::vector<RunItem> out;
    for (int i = 0; i < n; ++i) {
      RunItem it;
      it.position = i;
      it.name = "doc" + std::to_string(i) + ".pdf";
      it.folder = "doc" + std::to_string(i);
      out.push_back(it);
    }
    return out;
  }
};

TEST_F(PipelinesStoreTest, EveryEditAddsAVersionAndKeepsTheOldOnes) {
  int64_t alice = add_user("alice");
  Pipeline p = make("manuals", alice);
  EXPECT_EQ(p.version, 1);
  auto v2 = store_->add_pipeline_version(p.id, "manuals-v2", R"({"steps":[1]})", alice);
  ASSERT_OK(v2);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->name, "manuals-v2");
  auto versions = store_->list_pipeline_versions(p.id);
  ASSERT_OK(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].definition_json, R"({"steps":[]})");
  EXPECT_EQ((*versions)[1].definition_json, R"({"steps":[1]})");
  auto one = store_->get_pipeline_version(p.id, 1);
  ASSERT_OK(one);
  EXPECT_EQ(one->created_by, alice);
  EXPECT_CODE(store_->get_pipeline_version(p.id, 3), StatusCode::kNotFound);
}

TEST_F(PipelinesStoreTest, BadInputIsRefusedWithAClearError) {
  int64_t alice = add_user("alice");
  make("manuals", alice);
  Pipeline dup;
  dup.owner_id = alice;
  dup.name = "manuals";
  EXPECT_CODE(store_->create_pipeline(dup, "{}"), StatusCode::kAlreadyExists);
  dup.name = "";
  EXPECT_CODE(store_->create_pipeline(dup, "{}"), StatusCode::kInvalidArgument);
  dup.name = "x";
  EXPECT_CODE(store_->create_pipeline(dup, "[1]"), StatusCode::kInvalidArgument);
  dup.owner_id = 999;
  EXPECT_CODE(store_->create_pipeline(dup, "{}"), StatusCode::kNotFound);
  EXPECT_CODE(store_->add_pipeline_version(12345, "y", "{}", alice), StatusCode::kNotFound);
  EXPECT_CODE(store_->delete_pipeline(12345), StatusCode::kNotFound);
}

TEST_F(PipelinesStoreTest, RunsAndItemsRoundTripAndDieWithTheirPipeline) {
  int64_t alice = add_user("alice");
  Pipeline p = make("manuals", alice);
  PipelineRun run;
  run.pipeline_id = p.id;
  run.version = 1;
  run.started_by = alice;
  auto list = items(3);
  auto created = store_->create_run(run, &list);
  ASSERT_OK(created);
  EXPECT_EQ(list[2].run_id, created->id);
  EXPECT_GT(list[2].id, 0);

  RunItem it = list[1];
  it.state = item_state::kRunning;
  it.step_index = 1;
  it.task_id = 77;
  it.steps_json = R"([{"state":"done"}])";
  ASSERT_OK(store_->update_run_item(it));
  auto back = store_->get_run_item(it.id);
  ASSERT_OK(back);
  EXPECT_EQ(back->state, "running");
  EXPECT_EQ(back->task_id, std::optional<int64_t>(77));
  EXPECT_EQ(back->steps_json, R"([{"state":"done"}])");
  it.state = "bogus";
  EXPECT_CODE(store_->update_run_item(it), StatusCode::kInvalidArgument);
  it.state = item_state::kDone;
  it.steps_json = "{}";
  EXPECT_CODE(store_->update_run_item(it), StatusCode::kInvalidArgument);

  ASSERT_OK(store_->set_run_state(created->id, run_state::kDone, ""));
  auto done = store_->get_run(created->id);
  ASSERT_OK(done);
  EXPECT_GT(done->finished_at, 0);
  EXPECT_CODE(store_->set_run_state(created->id, "sleeping", ""), StatusCode::kInvalidArgument);
  auto active = store_->list_runs(std::nullopt, {run_state::kRunning, run_state::kPaused}, 10);
  ASSERT_OK(active);
  EXPECT_TRUE(active->empty());
  auto all = store_->list_runs(p.id, {}, 10);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 1u);

  // Two items in one folder would overwrite each other's outputs.
  auto clash = items(2);
  clash[1].folder = clash[0].folder;
  EXPECT_CODE(store_->create_run(run, &clash), StatusCode::kAlreadyExists);
  // A run must name an existing version.
  run.version = 9;
  auto more = items(1);
  EXPECT_CODE(store_->create_run(run, &more), StatusCode::kNotFound);

  ASSERT_OK(store_->delete_pipeline(p.id));
  EXPECT_CODE(store_->get_run(created->id), StatusCode::kNotFound);
  EXPECT_CODE(store_->get_run_item(it.id), StatusCode::kNotFound);
}

}  // namespace
}  // namespace teamvl::store::sqlite
