#include "pipelines/item_progress.h"

#include <gtest/gtest.h>

namespace teamvl::pipelines {
namespace {

TEST(JudgeAttemptTest, RetriesPerAutoRetryThenFails) {
  StepDef s;
  s.auto_retry = 2;
  Status invalid = Status::InvalidArgument("not JSON");
  EXPECT_EQ(judge_attempt(s, 1, "done", Status::Ok()), Verdict::kAccept);
  EXPECT_EQ(judge_attempt(s, 1, "timed_out", Status::Ok()), Verdict::kRetry);
  EXPECT_EQ(judge_attempt(s, 2, "failed", Status::Ok()), Verdict::kRetry);
  EXPECT_EQ(judge_attempt(s, 3, "timed_out", Status::Ok()), Verdict::kFail);
  EXPECT_EQ(judge_attempt(s, 1, "done", invalid), Verdict::kRetry);
  EXPECT_EQ(judge_attempt(s, 3, "done", invalid), Verdict::kFail);
  EXPECT_EQ(judge_attempt(s, 1, "cancelled", Status::Ok()), Verdict::kCancelled);
  s.auto_retry = 0;
  EXPECT_EQ(judge_attempt(s, 1, "timed_out", Status::Ok()), Verdict::kFail);
}

TEST(ItemProgressTest, RecordsAttemptsOutputsAndReviews) {
  ItemProgress p = ItemProgress::parse("[]", 3);
  EXPECT_EQ(p.view().size(), 3u);
  EXPECT_EQ(p.state(0), "pending");
  p.begin_attempt(0, "Describe x", {7, 8}, 41);
  EXPECT_EQ(p.state(0), "running");
  AttemptRecord timed_out;
  timed_out.task_id = 41;
  timed_out.state = "timed_out";
  timed_out.error_code = "timed_out";
  timed_out.error_message = "ran past 1 s";
  p.end_attempt(0, timed_out);
  p.begin_attempt(0, "Describe x", {7, 8}, 42);
  AttemptRecord ok;
  ok.task_id = 42;
  ok.state = "done";
  ok.engine_attempts = 2;
  ok.retries = {"injected engine fault"};
  p.end_attempt(0, ok);
  p.complete(0, "page 3: dimensions", "m/1/x/describe.md");
  EXPECT_EQ(p.attempts(0), 2);
  EXPECT_EQ(p.output(0), "page 3: dimensions");
  EXPECT_EQ(p.view()[0]["attempts"][0]["error"]["code"], "timed_out");
  EXPECT_EQ(p.view()[0]["attempts"][1]["engine_retries"][0], "injected engine fault");

  p.complete(1, "| a | b |", "m/1/x/tables.md");
  p.await_review(2, p.output(1));
  EXPECT_EQ(p.state(2), "awaiting_review");
  p.send_back(2, "carol", "check the units");
  EXPECT_EQ(p.state(1), "pending");
  EXPECT_EQ(p.comment(1), "check the units");
  EXPECT_EQ(p.state(2), "pending");
  p.approve(2, "carol", "| a | b | mm |", true, "m/1/x/check.md");
  EXPECT_EQ(p.state(2), "done");
  EXPECT_EQ(p.output(2), "| a | b | mm |");
  EXPECT_EQ(p.view()[2]["reviews"].size(), 2u);

  // Survives a round trip through the store's text.
  ItemProgress back = ItemProgress::parse(p.to_json(), 3);
  EXPECT_EQ(back.view(), p.view());
}

TEST(ItemProgressTest, AWaitingNoteShowsUntilATaskIsSubmitted) {
  ItemProgress p = ItemProgress::parse("[]", 2);
  EXPECT_TRUE(p.wait(0, "carol: quota reached"));
  EXPECT_FALSE(p.wait(0, "carol: quota reached")) << "the same note again: nothing to save";
  EXPECT_EQ(p.view()[0]["waiting"], "carol: quota reached");
  EXPECT_FALSE(p.view()[1].contains("waiting"));
  p.begin_attempt(0, "prompt", {}, 7);
  EXPECT_FALSE(p.view()[0].contains("waiting"));
  ItemProgress again = ItemProgress::parse(p.to_json(), 2);
  EXPECT_FALSE(again.view()[0].contains("waiting"));
}

TEST(ItemProgressTest, InvalidUtf8InModelTextIsReplacedNotThrown) {
  ItemProgress p = ItemProgress::parse("[]", 1);
  p.complete(0, std::string("ok \xff\xfe end"), "x");
  std::string text;
  EXPECT_NO_THROW(text = p.to_json());
  EXPECT_NE(text.find("ok "), std::string::npos);
  EXPECT_EQ(ItemProgress::parse("not json", 2).view().size(), 2u) << "a damaged record starts over, it does not crash";
}

}  // namespace
}  // namespace teamvl::pipelines
