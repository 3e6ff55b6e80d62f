// Admission rules: KV need in blocks, refusals with numbers, the decision
// table (MAX_USERS, max_concurrent, budgets, pool) and victim choice.
#include "scheduler/admission.h"

#include <gtest/gtest.h>

namespace teamvl::scheduler {
namespace {

constexpr int64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

KvGeometry geometry(int64_t block_bytes = 64 * kKiB, int64_t capacity_blocks = 100, int32_t n_ctx = 512) {
  return KvGeometry{block_bytes, 16, capacity_blocks, n_ctx};
}

TEST(AdmissionTest, KvNeedIsWholeBlocksCappedAtTheContext) {
  const KvGeometry g = geometry();
  struct Case {
    int64_t tokens, blocks;
  } cases[] = {{0, 0}, {1, 1}, {16, 1}, {17, 2}, {512, 32}, {100000, 32}, {-5, 0}};
  for (const Case& c : cases) {
    EXPECT_EQ(kv_blocks_for_tokens(g, c.tokens), c.blocks) << c.tokens << " tokens";
    EXPECT_EQ(kv_bytes_for_tokens(g, c.tokens), c.blocks * 64 * kKiB);
  }
}

TEST(AdmissionTest, FormatBytes) {
  struct Case {
    int64_t bytes;
    const char* text;
  } cases[] = {{0, "0 B"},           {512, "512 B"},          {640 * kKiB, "640 KiB"},
               {1536 * kKiB, "1.5 MiB"}, {kGiB, "1.0 GiB"}, {1288490189, "1.2 GiB"}};
  for (const Case& c : cases) EXPECT_EQ(format_bytes(c.bytes), c.text);
}

TEST(AdmissionTest, RefusalsCarryTheNumbers) {
  // 1 MiB of KV per token (16 MiB blocks), a 1 GiB budget.
  Admission a(geometry(16 * kMiB, 1000, 8192), 4, 64);
  MemberLimits limits;
  limits.budget_bytes = kGiB;
  EXPECT_TRUE(a.check_fits(900, 100, limits).ok());
  Status st = a.check_fits(1029, 200, limits);  // 1229 tokens -> 77 blocks = 1.2 GiB
  EXPECT_EQ(st.code(), StatusCode::kTooLarge);
  EXPECT_NE(st.message().find("needs 1.2 GiB of KV memory"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("your budget is 1.0 GiB"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("1029 prompt + 200 output tokens"), std::string::npos) << st.message();

  // Without a budget, the pool is the limit.
  Admission small(geometry(64 * kKiB, 4, 512), 4, 64);
  st = small.check_fits(50, 50, MemberLimits{4, 0, 1});
  EXPECT_EQ(st.code(), StatusCode::kTooLarge);
  EXPECT_NE(st.message().find("whole KV cache holds 256 KiB"), std::string::npos) << st.message();
  // A prompt longer than the context window.
  EXPECT_EQ(small.check_fits(600, 0, MemberLimits{}).code(), StatusCode::kInvalidArgument);
}

TEST(AdmissionTest, DecisionTable) {
  const int64_t block = 64 * kKiB;
  Admission a(geometry(block, 100), /*max_users=*/2, /*max_sequences=*/5);
  MemberLimits two;  // 2 tasks at once, 10 blocks
  two.max_concurrent = 2;
  two.budget_bytes = 10 * block;
  a.on_start(1, /*member=*/7, 6 * block);
  a.on_start(2, /*member=*/8, 2 * block);
  EXPECT_EQ(a.running_members(), 2);
  EXPECT_EQ(a.reserved_bytes(7), 6 * block);

  struct Case {
    const char* what;
    int64_t member;
    int64_t need_blocks;
    int64_t free_blocks;
    Verdict expected;
  } cases[] = {
      {"a running member adds a task within budget", 8, 4, 50, Verdict::kAdmit},
      {"over the member's budget", 7, 5, 50, Verdict::kSkipMember},
      {"exactly the budget", 7, 4, 50, Verdict::kAdmit},
      {"a third member while MAX_USERS=2 run", 9, 1, 50, Verdict::kStop},
      {"the pool is too full", 8, 1, 2, Verdict::kStop},
  };
  for (const Case& c : cases) {
    const AdmitDecision d = a.decide(c.member, two, c.need_blocks * block, /*prompt_blocks=*/1, c.free_blocks,
                                     /*headroom=*/2);
    EXPECT_EQ(d.verdict, c.expected) << c.what << ": " << d.reason;
    EXPECT_EQ(d.reason.empty(), c.expected == Verdict::kAdmit) << c.what;
  }
  // At max_concurrent.
  a.on_start(3, 8, block);
  EXPECT_EQ(a.decide(8, two, block, 1, 50, 2).verdict, Verdict::kSkipMember);
  // The runner's sequence limit.
  a.on_start(4, 7, block);
  a.on_start(5, 7, block);
  EXPECT_EQ(a.decide(7, MemberLimits{0, 0, 1}, block, 1, 50, 2).verdict, Verdict::kStop);
  // Ends free the slots and the reservation; a member with nothing left stops counting.
  for (int64_t id : {3, 4, 5, 2}) a.on_end(id);
  EXPECT_EQ(a.running_members(), 1);
  EXPECT_EQ(a.running_tasks(8), 0);
  EXPECT_EQ(a.decide(9, two, block, 1, 50, 2).verdict, Verdict::kAdmit);
  a.on_end(1);
  a.on_end(1);  // twice is harmless
  EXPECT_EQ(a.running_tasks(), 0);
  // With nothing running, even a too-full pool view admits (never deadlock).
  EXPECT_EQ(a.decide(9, two, block, 5, 0, 0).verdict, Verdict::kAdmit);
}

TEST(AdmissionTest, VictimIsTheMemberFurthestOverTheirShare) {
  const std::vector<RunningTask> running = {
      {1, 10, 1, 500.0, 1, true},   // A, old
      {2, 10, 1, 500.0, 4, true},   // A, young
      {3, 20, 1, 100.0, 5, true},   // B, youngest, low counter
      {4, 30, 1, 900.0, 3, false},  // C holds no memory yet
  };
  EXPECT_EQ(choose_victim(running, QueuePolicy::kFair), 2) << "A's youngest";
  EXPECT_EQ(choose_victim(running, QueuePolicy::kFifo), 3) << "fifo: the youngest";
  std::vector<RunningTask> with_low = running;
  with_low.push_back({5, 20, 0, 0.0, 2, true});  // a low-priority task goes first
  EXPECT_EQ(choose_victim(with_low, QueuePolicy::kFair), 5);
  EXPECT_FALSE(choose_victim({{4, 30, 1, 900.0, 3, false}}, QueuePolicy::kFair).has_value());
}

}  // namespace
}  // namespace teamvl::scheduler
