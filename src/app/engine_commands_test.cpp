// The engine CLI forms (tokenize, generate, logits, model info/demo): JSON
// shapes, exit codes for bad usage and bad input, and agreement with the
// llama.cpp fixtures when ../shared/fixtures is present.
#include "app/engine_commands.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/model/test_models.h"

namespace teamvl::app {
namespace {

using nlohmann::json;
namespace testing_models = teamvl::engine::testing;

struct CliRun {
  int rc = 0;
  std::string out;
  std::string err;
  json j() const { return json::parse(out); }
};

CliRun run(const std::string& command, const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CliRun r;
  r.rc = run_engine_command(command, args);
  std::fflush(stdout);
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

const std::string& demo() {
  static const std::string path = [] {
    const std::string dir = (testing_models::scratch_dir() / "cli").string();
    CliRun r = run("model", {"demo", "--out", dir, "--json"});
    EXPECT_EQ(r.rc, 0) << r.err;
    return r.j()["model"].get<std::string>();
  }();
  return path;
}

TEST(EngineCommandsTest, NotAnEngineCommand) { EXPECT_EQ(run_engine_command("serve-nothing", {}), -1); }

TEST(EngineCommandsTest, ModelDemoAndInfo) {
  CliRun info = run("model", {"info", demo(), "--json"});
  ASSERT_EQ(info.rc, 0) << info.err;
  json j = info.j();
  EXPECT_EQ(j["architecture"], "qwen3vl");
  EXPECT_EQ(j["name"], "TeamVL demo (random weights)");
  EXPECT_EQ(j["demo"], true);
  EXPECT_EQ(j["hparams"]["n_layer"], 4);
  EXPECT_EQ(j["tensor_types"]["f32"], 46);
  EXPECT_GT(j["memory_needed_bytes"].get<int64_t>(), j["weight_bytes"].get<int64_t>());
  CliRun text = run("model", {"info", demo()});
  EXPECT_EQ(text.rc, 0);
  EXPECT_NE(text.out.find("random-weight demo"), std::string::npos);
}

TEST(EngineCommandsTest, TokenizeForms) {
  CliRun with = run("tokenize", {"--model", demo(), "--text", "Hi <|im_start|>", "--json"});
  CliRun without = run("tokenize", {"--model", demo(), "--text", "Hi <|im_start|>", "--no-special", "--json"});
  ASSERT_EQ(with.rc, 0) << with.err;
  ASSERT_EQ(without.rc, 0);
  EXPECT_LT(with.j()["ids"].size(), without.j()["ids"].size());
}

TEST(EngineCommandsTest, GenerateJsonShapeAndDeterminism) {
  CliRun a = run("generate", {"--model", demo(), "--prompt", "Hello!", "-n", "6", "--greedy", "--ignore-eos",
                           "--threads", "1", "--json"});
  ASSERT_EQ(a.rc, 0) << a.err;
  json j = a.j();
  EXPECT_EQ(j["tokens"].size(), 6u);
  EXPECT_TRUE(j["text"].is_string());
  EXPECT_GT(j["timings"]["prefill_tok_s"].get<double>(), 0.0);
  EXPECT_GE(j["timings"]["decode_tok_s"].get<double>(), 0.0);
  CliRun raw = run("generate", {"--model", demo(), "--prompt", "Hello!", "-n", "6", "--raw", "--ignore-eos", "--json"});
  ASSERT_EQ(raw.rc, 0);
  EXPECT_LT(raw.j()["prompt_tokens"].get<int>(), j["prompt_tokens"].get<int>());  // no template around it
  CliRun b = run("generate", {"--model", demo(), "--prompt", "Hello!", "-n", "6", "--ignore-eos", "--json"});
  EXPECT_EQ(b.j()["tokens"], j["tokens"]);
  CliRun s1 = run("generate", {"--model", demo(), "--prompt", "Hello!", "-n", "8", "--temp", "1.5", "--seed", "9",
                            "--ignore-eos", "--json"});
  CliRun s2 = run("generate", {"--model", demo(), "--prompt", "Hello!", "-n", "8", "--temp", "1.5", "--seed", "9",
                            "--ignore-eos", "--json"});
  ASSERT_EQ(s1.rc, 0) << s1.err;
  EXPECT_EQ(s1.j()["tokens"], s2.j()["tokens"]);
}

TEST(EngineCommandsTest, BadUsageAndBadInputExitCodes) {
  struct Case {
    const char* name;
    std::string command;
    std::vector<std::string> args;
    int rc;
    const char* message;
  };
  const std::string m = demo();
  const std::string missing = (testing_models::scratch_dir() / "nope.gguf").string();
  const Case cases[] = {
      {"unknown flag", "generate", {"--model", m, "--prompt", "x", "--frobnicate"}, 2, "unknown flag --frobnicate"},
      {"bad number", "generate", {"--model", m, "--prompt", "x", "--top-p", "lots"}, 2, "--top-p expects a number"},
      {"out of range", "generate", {"--model", m, "--prompt", "x", "--top-p", "1.5"}, 2, "--top-p expects"},
      {"bad n", "generate", {"--model", m, "--prompt", "x", "-n", "-3"}, 2, "-n expects an integer"},
      {"missing value", "generate", {"--model", m, "--prompt"}, 2, "--prompt needs a value"},
      {"no prompt", "generate", {"--model", m}, 2, "needs --prompt"},
      {"greedy and temp", "generate", {"--model", m, "--prompt", "x", "--greedy", "--temp", "1"}, 2, "--greedy"},
      {"image without mmproj", "generate", {"--model", m, "--prompt", "x", "--image", "a.png"}, 2, "needs --mmproj"},
      {"mmproj without image", "logits", {"--model", m, "--prompt", "x", "--mmproj", "p.gguf"}, 2, "without --image"},
      {"missing mmproj", "generate", {"--model", m, "--prompt", "x", "--mmproj", missing, "--image", "a.png"}, 1,
       "cannot open"},
      {"bad max side", "generate", {"--model", m, "--prompt", "x", "--mmproj", "p", "--image", "a", "--max-side", "8"},
       2, "--max-side"},
      {"missing file", "generate", {"--model", missing, "--prompt", "x"}, 1, "cannot open"},
      {"prompt too long", "generate", {"--model", m, "--prompt", "one two three four five six", "--ctx", "4"}, 1,
       "does not fit the context window"},
      {"bad id", "logits", {"--model", m, "--prompt", "x", "--append-ids", "1,100000"}, 1, "out of range"},
      {"negative id", "logits", {"--model", m, "--prompt", "x", "--append-ids", "-4"}, 1, "out of range"},
      {"bad id list", "logits", {"--model", m, "--prompt", "x", "--append-ids", "1,,2"}, 2, "comma-separated"},
      {"model usage", "model", {}, 2, "usage"},
      {"model unknown", "model", {"shrink"}, 2, "unknown 'teamvl model' command"},
      {"demo type", "model", {"demo", "--out", "/tmp", "--type", "Q3_K"}, 2, "unknown model file type"},
      {"info missing", "model", {"info", missing}, 1, "cannot open"},
  };
  for (const Case& c : cases) {
    CliRun r = run(c.command, c.args);
    EXPECT_EQ(r.rc, c.rc) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
  }
}

TEST(EngineCommandsTest, TruncatedAndWrongArchitectureFiles) {
  std::ifstream in(demo(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string trunc = (testing_models::scratch_dir() / "cli-trunc.gguf").string();
  std::ofstream(trunc, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  CliRun r = run("generate", {"--model", trunc, "--prompt", "x"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  CliRun info = run("model", {"info", trunc});
  EXPECT_EQ(info.rc, 1);
}

// --- against the llama.cpp fixtures ---

class CliFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_models::tiny_fixtures_dir();
    if (dir_.empty()) GTEST_SKIP() << "fixtures not found (../shared/fixtures/qwen3vl-tiny): skipping";
  }
  json load(const std::string& rel) {
    std::ifstream in(dir_ + "/" + rel);
    return json::parse(in);
  }
  std::string dir_;
};

TEST_F(CliFixtureTest, TokenizeMatchesLlamaCpp) {
  const json ref = load("tokenizer/tokenize.tiny-a.json");
  const std::string model = dir_ + "/models/qwen3vl-tiny-a-F32.gguf";
  int checked = 0;
  for (const auto& c : ref["cases"]) {
    if (checked++ >= 12) break;  // the tokenizer's own tests cover every case
    CliRun a = run("tokenize", {"--model", model, "--text", c["text"], "--json"});
    ASSERT_EQ(a.rc, 0) << a.err;
    EXPECT_EQ(a.j()["ids"], c["ids"]) << c["name"];
    CliRun b = run("tokenize", {"--model", model, "--text", c["text"], "--no-special", "--json"});
    EXPECT_EQ(b.j()["ids"], c["ids_no_special"]) << c["name"];
  }
}

TEST_F(CliFixtureTest, GenerateAndLogitsMatchLlamaCpp) {
  const json ref = load("text/text.Q8_0.json");
  const json prompts = load("text/prompts.json");
  const std::string model = dir_ + "/models/qwen3vl-tiny-a-Q8_0.gguf";
  const double tol = 0.3;
  const json& p = ref["prompts"][1];  // p2_zh: one user turn
  ASSERT_EQ(prompts[1]["id"], p["id"]);
  // Through the chat template (one user turn) and greedy.
  CliRun g = run("generate", {"--model", model, "--prompt", prompts[1]["messages"][0]["content"], "-n", "32", "--greedy",
                           "--ignore-eos", "--json"});
  ASSERT_EQ(g.rc, 0) << g.err;
  const json out = g.j();
  EXPECT_EQ(out["prompt_tokens"], p["n_prompt_tokens"]);
  for (size_t k = 0; k < 32 && p["greedy_steps"][k]["margin"].get<double>() > tol; ++k) {
    ASSERT_EQ(out["tokens"][k], p["greedy_tokens"][k]) << "step " << k;
  }
  // Teacher forcing over the raw rendered prompt + greedy tokens.
  std::string append;
  for (const auto& t : p["greedy_tokens"]) append += (append.empty() ? "" : ",") + std::to_string(t.get<int>());
  const std::string out_file = (testing_models::scratch_dir() / "cli-last.f32").string();
  CliRun l = run("logits", {"--model", model, "--prompt", p["prompt"], "--raw", "--append-ids", append, "--top", "10",
                         "--out", out_file, "--json"});
  ASSERT_EQ(l.rc, 0) << l.err;
  const json lj = l.j();
  const size_t n_prompt = p["n_prompt_tokens"];
  ASSERT_EQ(lj["n_tokens"].get<size_t>(), n_prompt + 32);
  ASSERT_EQ(lj["top"].size(), n_prompt + 32);
  for (size_t i = 0; i < n_prompt; ++i) {
    const json& ours = lj["top"][i];
    const json& theirs = p["topk_per_position"][i];
    ASSERT_EQ(ours.size(), 10u);
    EXPECT_GE(ours[0][1].get<double>(), ours[9][1].get<double>());  // highest first
    if (theirs[0][1].get<double>() - theirs[1][1].get<double>() > tol) {
      EXPECT_EQ(ours[0][0], theirs[0][0]) << i;
    }
    EXPECT_NEAR(ours[0][1].get<double>(), theirs[0][1].get<double>(), tol) << i;
  }
  std::vector<float> ours(ref["n_vocab"].get<size_t>()), theirs(ours.size());
  std::ifstream(out_file, std::ios::binary).read(reinterpret_cast<char*>(ours.data()), ours.size() * 4);
  std::ifstream(dir_ + "/text/" + p["last_logits_file"].get<std::string>(), std::ios::binary)
      .read(reinterpret_cast<char*>(theirs.data()), theirs.size() * 4);
  double d = 0;
  for (size_t i = 0; i < ours.size(); ++i) d = std::max(d, std::fabs(static_cast<double>(ours[i]) - theirs[i]));
  EXPECT_LE(d, tol);
}

// `--mmproj/--image` with a raw fixture prompt: one `top` row per input row
// (text token or image token, in order), greedy tokens as llama.cpp's.
TEST_F(CliFixtureTest, MultimodalGenerateAndLogitsMatchLlamaCpp) {
  const json ref = load("mm/mm.F32.json");
  const json& img = ref["images"][0];
  const std::string model = dir_ + "/" + ref["model"].get<std::string>();
  const std::string mmproj = dir_ + "/" + ref["mmproj"].get<std::string>();
  const std::string image = dir_ + "/" + img["image"].get<std::string>();
  const double tol = 0.02;  // F32 text and vision: the text issue's F32 tolerance
  CliRun l = run("logits", {"--model", model, "--mmproj", mmproj, "--image", image, "--raw", "--prompt", img["prompt"],
                            "--top", "10", "--json"});
  ASSERT_EQ(l.rc, 0) << l.err;
  const json lj = l.j();
  const json& theirs = img["topk_per_position"];
  ASSERT_EQ(lj["top"].size(), theirs.size());
  ASSERT_EQ(lj["n_tokens"].get<size_t>(), theirs.size());
  for (size_t i = 0; i < theirs.size(); ++i) {
    const json& ours = lj["top"][i];
    if (theirs[i][0][1].get<double>() - theirs[i][1][1].get<double>() > tol) {
      EXPECT_EQ(ours[0][0], theirs[i][0][0]) << "row " << i;
    }
    EXPECT_NEAR(ours[0][1].get<double>(), theirs[i][0][1].get<double>(), tol) << "row " << i;
  }
  CliRun g = run("generate", {"--model", model, "--mmproj", mmproj, "--image", image, "--raw", "--prompt", img["prompt"],
                              "-n", "8", "--greedy", "--ignore-eos", "--json"});
  ASSERT_EQ(g.rc, 0) << g.err;
  const json out = g.j();
  for (size_t k = 0; k < 8 && img["greedy_steps"][k]["margin"].get<double>() > tol; ++k) {
    ASSERT_EQ(out["tokens"][k], img["greedy_tokens"][k]) << "step " << k;
  }
  // Two markers but one image: a usage error naming the mismatch.
  CliRun bad = run("logits", {"--model", model, "--mmproj", mmproj, "--image", image, "--raw", "--prompt",
                              "<__media__><__media__>two?"});
  EXPECT_EQ(bad.rc, 2) << bad.err;
  // Through the chat template (no --raw): the image goes into the user turn.
  CliRun chat = run("generate", {"--model", model, "--mmproj", mmproj, "--image", image, "--prompt",
                                 "Describe this image.", "-n", "2", "--greedy", "--json"});
  ASSERT_EQ(chat.rc, 0) << chat.err;
  EXPECT_GT(chat.j()["prompt_tokens"].get<int>(), img["chunks"][1]["n_tokens"].get<int>());
}

}  // namespace
}  // namespace teamvl::app
