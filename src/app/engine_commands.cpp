// The engine's command-line tools (see engine_commands.h). Exit codes: 0 ok,
// 1 runtime failure (bad model file, prompt too long, bad token id), 2 bad usage.
#include "app/engine_commands.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <span>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/image/decode.h"
#include "engine/multimodal/mm_prompt.h"
#include "engine/vision/image_embedder.h"
#include "engine/vision/vision_model.h"
#include "app/embed_image_command.h"

namespace teamvl::app {
namespace {

using json = nlohmann::ordered_json;  // keys in the documented order
namespace eng = teamvl::engine;

constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;

// A parsed command line: flags (with or without a value) and positionals.
// Values are checked by the typed getters, which report "--x expects ..." errors.
// "--image" may be given several times (all() returns every value in order).
class Args {
 public:
  // `with_value` / `switches`: the flags this command knows.
  static Result<Args> parse(const std::string& cmd, const std::vector<std::string>& argv,
                            const std::set<std::string>& with_value, const std::set<std::string>& switches) {
    Args a;
    a.cmd_ = cmd;
    for (size_t i = 0; i < argv.size(); ++i) {
      const std::string& s = argv[i];
      if (s.size() > 1 && s[0] == '-' && !(s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1])))) {
        if (switches.count(s)) {
          a.values_[s] = "";
        } else if (with_value.count(s)) {
          if (i + 1 >= argv.size()) return Status::InvalidArgument(s + " needs a value");
          a.values_[s] = argv[++i];
          a.all_[s].push_back(a.values_[s]);
        } else {
          return Status::InvalidArgument("unknown flag " + s + " for 'teamvl " + cmd + "'");
        }
      } else {
        a.positional_.push_back(s);
      }
    }
    return a;
  }

  bool has(const std::string& f) const { return values_.count(f) > 0; }
  std::string str(const std::string& f, const std::string& fallback = "") const {
    auto it = values_.find(f);
    return it == values_.end() ? fallback : it->second;
  }
  Result<std::string> required(const std::string& f) const {
    if (!has(f)) return Status::InvalidArgument("'teamvl " + cmd_ + "' needs " + f);
    return str(f);
  }
  Result<int64_t> integer(const std::string& f, int64_t fallback, int64_t lo, int64_t hi) const {
    if (!has(f)) return fallback;
    const std::string v = str(f);
    try {
      size_t used = 0;
      long long x = std::stoll(v, &used);
      if (used == v.size() && x >= lo && x <= hi) return static_cast<int64_t>(x);
    } catch (...) {
    }
    return Status::InvalidArgument(f + " expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                   "], got '" + v + "'");
  }
  Result<double> number(const std::string& f, double fallback, double lo, double hi) const {
    if (!has(f)) return fallback;
    const std::string v = str(f);
    try {
      size_t used = 0;
      double x = std::stod(v, &used);
      if (used == v.size() && x >= lo && x <= hi) return x;
    } catch (...) {
    }
    return Status::InvalidArgument(f + " expects a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                   "], got '" + v + "'");
  }
  std::vector<std::string> all(const std::string& f) const {
    auto it = all_.find(f);
    return it == all_.end() ? std::vector<std::string>{} : it->second;
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string cmd_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_;
  std::vector<std::string> positional_;
};

int fail(const Status& s, int code) {
  std::fprintf(stderr, "teamvl: %s\n", s.message().c_str());
  return code;
}

// Usage errors (exit 2) vs. runtime failures (exit 1).
int usage_or_fail(const Status& s) { return fail(s, s.code() == StatusCode::kInvalidArgument ? kUsage : kFailure); }

void print_json(const json& j) {
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
}

// Comma-separated token ids ("5,17,42").
Result<std::vector<int32_t>> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    try {
      size_t used = 0;
      long long v = std::stoll(item, &used);
      if (used != item.size() || v < INT32_MIN || v > INT32_MAX) throw std::invalid_argument(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (...) {
      return Status::InvalidArgument("--append-ids expects comma-separated integers, got '" + item + "'");
    }
    start = end + 1;
  }
  return ids;
}

Result<std::unique_ptr<eng::Engine>> load_engine(const Args& a) {
  TEAMVL_ASSIGN_OR_RETURN(std::string model, a.required("--model"));
  eng::EngineOptions o;
  o.model_path = model;
  TEAMVL_ASSIGN_OR_RETURN(int64_t threads, a.integer("--threads", 0, 0, 1024));
  TEAMVL_ASSIGN_OR_RETURN(int64_t ctx, a.integer("--ctx", 4096, 1, 1 << 24));
  TEAMVL_ASSIGN_OR_RETURN(int64_t batch, a.integer("--batch", 512, 1, 1 << 16));
  o.n_threads = static_cast<int32_t>(threads);
  o.n_ctx = static_cast<int32_t>(ctx);
  o.max_batch_tokens = static_cast<int32_t>(batch);
  auto e = eng::Engine::load(o);
  if (!e.ok()) return Status(StatusCode::kFailedPrecondition, e.status().message());  // runtime failure
  return e;
}

// The flags every command that takes a prompt knows (images included).
const std::set<std::string> kPromptFlags = {"--model", "--prompt", "--threads", "--ctx",
                                            "--batch", "--mmproj", "--image", "--max-side"};

std::set<std::string> with(std::set<std::string> base, std::initializer_list<std::string> more) {
  base.insert(more);
  return base;
}

Result<std::vector<uint8_t>> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FailedPrecondition("cannot read " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::FailedPrecondition("cannot read " + path);
  return bytes;
}

// The embeddings of every --image, in order (each page of a PDF is one image).
// Usage errors are InvalidArgument; unreadable or bad files FailedPrecondition.
Result<std::vector<eng::ImageEmbeddingPtr>> embed_images(const Args& a, eng::Engine& e) {
  const std::vector<std::string> files = a.all("--image");
  if (files.empty() && !a.has("--mmproj")) return std::vector<eng::ImageEmbeddingPtr>{};
  if (files.empty()) return Status::InvalidArgument("--mmproj given without --image");
  if (!a.has("--mmproj")) return Status::InvalidArgument("--image needs --mmproj (the vision model file)");
  TEAMVL_ASSIGN_OR_RETURN(int64_t max_side, a.integer("--max-side", 768, 0, 1 << 16));
  if (max_side != 0 && max_side < 32) return Status::InvalidArgument("--max-side must be 0 (no cap) or at least 32");
  auto vm = eng::VisionModel::open(a.str("--mmproj"));
  if (!vm.ok()) return Status::FailedPrecondition(vm.status().message());
  if (Status st = eng::check_vision_fits_text((*vm)->hparams(), e.hparams()); !st.ok()) {
    return Status::FailedPrecondition(st.message());
  }
  eng::ImageEmbedder embedder(**vm, e.pool());
  eng::ImageEmbedOptions options;
  options.max_side = static_cast<int>(max_side);
  std::vector<eng::ImageEmbeddingPtr> out;
  for (const std::string& f : files) {
    TEAMVL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_bytes(f));
    if (eng::sniff_image_format(bytes) == eng::ImageFormat::kPdf) {
      auto pages = embedder.embed_pdf(bytes, "cli", {}, options);
      if (!pages.ok()) return Status::FailedPrecondition(f + ": " + pages.status().message());
      out.insert(out.end(), pages->begin(), pages->end());
    } else {
      auto emb = embedder.embed_file(bytes, "cli", options);
      if (!emb.ok()) return Status::FailedPrecondition(f + ": " + emb.status().message());
      out.push_back(*emb);
    }
  }
  return out;  // the embeddings keep no reference to the vision model
}

// The prompt as the model's input: through the chat template as one user turn,
// or raw. Images go where the text has a <__media__> marker (or the template's
// image placeholder); a prompt without one gets them in front, as llama.cpp's
// multimodal tools do.
Result<eng::Prompt> build_prompt(eng::Engine& e, const Args& a, const std::string& prompt) {
  TEAMVL_ASSIGN_OR_RETURN(std::vector<eng::ImageEmbeddingPtr> images, embed_images(a, e));
  std::string text = prompt;
  if (!images.empty() && eng::count_image_slots(text) == 0) {
    std::string markers;
    for (size_t i = 0; i < images.size(); ++i) markers += eng::kMediaMarker;
    text = markers + (a.has("--raw") ? "" : "\n") + text;
  }
  if (!a.has("--raw")) {
    eng::ChatMessage m;
    m.role = "user";
    m.content = text;
    text = e.render_chat({m}, /*add_generation_prompt=*/true);
  }
  if (images.empty() && eng::count_image_slots(text) == 0) return eng::Prompt(e.tokenize(text, /*parse_special=*/true));
  auto mm = eng::build_mm_prompt(text, images, e.tokenizer());
  if (!mm.ok()) return mm.status();  // slot count differs from --image count: usage
  return mm->to_prompt();
}

int cmd_tokenize(const std::vector<std::string>& argv) {
  auto a = Args::parse("tokenize", argv, {"--model", "--text"}, {"--no-special", "--json"});
  if (!a.ok()) return fail(a.status(), kUsage);
  auto model = a->required("--model");
  auto text = a->required("--text");
  if (!model.ok()) return fail(model.status(), kUsage);
  if (!text.ok()) return fail(text.status(), kUsage);
  // Only the vocabulary is needed: vocab-only GGUF files work too.
  auto file = eng::GgufFile::open(*model);
  if (!file.ok()) return fail(file.status(), kFailure);
  auto tok = eng::Tokenizer::from_gguf(**file);
  if (!tok.ok()) return fail(tok.status(), kFailure);
  std::vector<int32_t> ids = (*tok)->encode(*text, !a->has("--no-special"));
  if (a->has("--json")) {
    print_json(json{{"ids", ids}});
  } else {
    for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? " " : "", ids[i]);
    std::printf("\n");
  }
  return kOk;
}

Result<eng::SamplingParams> sampling_from(const Args& a) {
  eng::SamplingParams p;
  if (a.has("--greedy") && (a.has("--temp") || a.has("--top-p") || a.has("--top-k") || a.has("--min-p"))) {
    return Status::InvalidArgument("--greedy cannot be combined with --temp/--top-p/--top-k/--min-p");
  }
  TEAMVL_ASSIGN_OR_RETURN(double temp, a.number("--temp", 0.0, 0.0, 100.0));
  TEAMVL_ASSIGN_OR_RETURN(double top_p, a.number("--top-p", 1.0, 1e-6, 1.0));
  TEAMVL_ASSIGN_OR_RETURN(int64_t top_k, a.integer("--top-k", 0, 0, 1 << 24));
  TEAMVL_ASSIGN_OR_RETURN(double min_p, a.number("--min-p", 0.0, 0.0, 1.0));
  TEAMVL_ASSIGN_OR_RETURN(double rep, a.number("--repeat-penalty", 1.0, 1e-3, 100.0));
  TEAMVL_ASSIGN_OR_RETURN(double pres, a.number("--presence-penalty", 0.0, -100.0, 100.0));
  TEAMVL_ASSIGN_OR_RETURN(int64_t seed, a.integer("--seed", 0, 0, INT64_MAX));
  p.temperature = static_cast<float>(temp);
  p.top_p = static_cast<float>(top_p);
  p.top_k = static_cast<int32_t>(top_k);
  p.min_p = static_cast<float>(min_p);
  p.repetition_penalty = static_cast<float>(rep);
  p.presence_penalty = static_cast<float>(pres);
  p.seed = static_cast<uint64_t>(seed);
  return p;
}

int cmd_generate(const std::vector<std::string>& argv) {
  auto a = Args::parse("generate", argv,
                       with(kPromptFlags, {"-n", "--temp", "--top-p", "--top-k", "--min-p", "--seed",
                                           "--repeat-penalty", "--presence-penalty", "--stop"}),
                       {"--raw", "--greedy", "--ignore-eos", "--json"});
  if (!a.ok()) return fail(a.status(), kUsage);
  auto prompt = a->required("--prompt");
  if (!prompt.ok()) return fail(prompt.status(), kUsage);
  auto n = a->integer("-n", 128, 0, 1 << 24);
  if (!n.ok()) return fail(n.status(), kUsage);
  auto sampling = sampling_from(*a);
  if (!sampling.ok()) return fail(sampling.status(), kUsage);
  auto engine = load_engine(*a);
  if (!engine.ok()) return usage_or_fail(engine.status());
  eng::Engine& e = **engine;

  auto input = build_prompt(e, *a, *prompt);
  if (!input.ok()) return usage_or_fail(input.status());
  eng::GenerationRequest r;
  r.owner = "cli";
  r.prompt = std::move(*input);
  r.sampling = *sampling;
  r.max_tokens = static_cast<int32_t>(*n);
  r.ignore_eos = a->has("--ignore-eos");
  r.render_special = true;  // text as llama.cpp detokenizes it (specials rendered)
  if (a->has("--stop")) r.stop.push_back(a->str("--stop"));
  const int32_t n_prompt = r.prompt.size();
  auto c = e.run_to_completion(std::move(r));
  if (!c.ok()) return fail(c.status(), kFailure);

  const double prefill = c->prefill_seconds > 0 ? (n_prompt - c->n_reused) / c->prefill_seconds : 0.0;
  const int64_t n_decoded = std::max<int64_t>(0, static_cast<int64_t>(c->tokens.size()) - 1);
  const double decode = c->decode_seconds > 0 ? n_decoded / c->decode_seconds : 0.0;
  if (a->has("--json")) {
    print_json(json{{"prompt_tokens", n_prompt},
                    {"tokens", c->tokens},
                    {"text", c->text},
                    {"finish_reason", eng::finish_reason_name(c->reason)},
                    {"timings", {{"prefill_tok_s", prefill}, {"decode_tok_s", decode}}}});
  } else {
    std::fwrite(c->text.data(), 1, c->text.size(), stdout);
    std::fprintf(stdout, "\n");
    std::fprintf(stderr, "[%d prompt tokens at %.1f tok/s, %zu generated at %.1f tok/s, %s]\n", n_prompt, prefill,
                 c->tokens.size(), decode, eng::finish_reason_name(c->reason));
  }
  return kOk;
}

// Top k (id, logit) pairs, highest first (ties: lower id first).
json top_k(std::span<const float> l, int32_t k) {
  using Item = std::pair<float, int32_t>;
  auto worse = [](const Item& x, const Item& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); };
  std::priority_queue<Item, std::vector<Item>, decltype(worse)> heap(worse);  // top = worst kept
  for (int32_t i = 0; i < static_cast<int32_t>(l.size()); ++i) {
    if (static_cast<int32_t>(heap.size()) < k) {
      heap.push({l[i], i});
    } else if (worse({l[i], i}, heap.top())) {
      heap.pop();
      heap.push({l[i], i});
    }
  }
  std::vector<Item> items;
  while (!heap.empty()) {
    items.push_back(heap.top());
    heap.pop();
  }
  json out = json::array();
  for (auto it = items.rbegin(); it != items.rend(); ++it) out.push_back(json::array({it->second, it->first}));
  return out;
}

int cmd_logits(const std::vector<std::string>& argv) {
  auto a = Args::parse("logits", argv, with(kPromptFlags, {"--append-ids", "--top", "--out"}), {"--raw", "--json"});
  if (!a.ok()) return fail(a.status(), kUsage);
  auto prompt = a->required("--prompt");
  if (!prompt.ok()) return fail(prompt.status(), kUsage);
  auto k = a->integer("--top", 10, 1, 1 << 20);
  if (!k.ok()) return fail(k.status(), kUsage);
  auto appended = parse_ids(a->str("--append-ids"));
  if (!appended.ok()) return fail(appended.status(), kUsage);
  auto engine = load_engine(*a);
  if (!engine.ok()) return usage_or_fail(engine.status());
  eng::Engine& e = **engine;

  auto input = build_prompt(e, *a, *prompt);
  if (!input.ok()) return usage_or_fail(input.status());
  const int32_t n_prompt = input->size();
  input->add_text(*appended);
  const int32_t n_rows = input->size();  // text tokens and image rows, one logits row each
  const int32_t n_vocab = e.hparams().n_vocab;
  json tops = json::array();
  std::vector<float> last;
  eng::GenerationRequest r;
  r.owner = "cli";
  r.prompt = std::move(*input);
  r.max_tokens = 0;
  r.prompt_logits = true;
  r.reuse_prefix = false;
  r.on_logits = [&](int32_t index, std::span<const float> l) {
    tops.push_back(top_k(l, std::min<int32_t>(static_cast<int32_t>(*k), n_vocab)));
    if (index == n_prompt - 1) last.assign(l.begin(), l.end());
  };
  auto c = e.run_to_completion(std::move(r));
  if (!c.ok()) return fail(c.status(), kFailure);
  if (a->has("--out")) {
    std::ofstream out(a->str("--out"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(last.data()), static_cast<std::streamsize>(last.size() * sizeof(float)));
    if (!out) return fail(Status::Internal("cannot write " + a->str("--out")), kFailure);
  }
  if (a->has("--json")) {
    print_json(json{{"n_tokens", n_rows}, {"n_prompt_tokens", n_prompt}, {"top", tops}});
  } else {
    for (size_t i = 0; i < tops.size(); ++i) std::printf("%zu %s\n", i, tops[i].dump().c_str());
  }
  return kOk;
}

std::string gib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

int cmd_model_info(const std::vector<std::string>& argv) {
  auto a = Args::parse("model info", argv, {"--ctx"}, {"--json"});
  if (!a.ok()) return fail(a.status(), kUsage);
  if (a->positional().size() != 1) return fail(Status::InvalidArgument("usage: teamvl model info MODEL.gguf [--json]"), kUsage);
  auto ctx = a->integer("--ctx", 4096, 1, 1 << 24);
  if (!ctx.ok()) return fail(ctx.status(), kUsage);
  auto file = eng::GgufFile::open(a->positional()[0]);
  if (!file.ok()) return fail(file.status(), kFailure);
  const eng::GgufFile& f = **file;
  json j;
  j["path"] = f.path();
  j["gguf_version"] = f.version();
  auto arch = f.get_string("general.architecture");
  j["architecture"] = arch.ok() ? *arch : "";
  auto name = f.get_string("general.name");
  j["name"] = name.ok() ? *name : "";
  std::map<std::string, int> types;
  int64_t bytes = 0;
  for (const auto& t : f.tensors()) {
    types[eng::type_name(t.type)]++;
    bytes += static_cast<int64_t>(t.n_bytes);
  }
  j["tensor_types"] = types;
  j["n_tensors"] = f.tensors().size();
  j["weight_bytes"] = bytes;
  int64_t kv_per_token = 0;
  if (arch.ok() && (*arch == "qwen3vl" || *arch == "qwen3")) {
    auto model = eng::TextModel::load(f);
    if (!model.ok()) return fail(model.status(), kFailure);
    const eng::TextHparams& h = (*model)->hparams();
    kv_per_token = (*model)->kv_bytes_per_token();
    j["hparams"] = {{"n_vocab", h.n_vocab},        {"n_embd", h.n_embd},       {"n_layer", h.n_layer},
                    {"n_head", h.n_head},          {"n_head_kv", h.n_head_kv}, {"head_dim", h.head_dim},
                    {"n_ff", h.n_ff},              {"rms_eps", h.rms_eps},     {"rope_base", h.rope_base},
                    {"rope_sections", h.rope_sections}, {"n_deepstack", h.n_deepstack},
                    {"n_ctx_train", h.n_ctx_train}, {"tied_output", h.tied_output}};
    j["kv_bytes_per_token"] = kv_per_token;
    j["kv_bytes_at_ctx"] = kv_per_token * *ctx;
    j["memory_needed_bytes"] = bytes + kv_per_token * *ctx;
    j["demo"] = h.name == eng::kDemoModelName || h.name.find("random weights") != std::string::npos;
  }
  if (a->has("--json")) {
    print_json(j);
    return kOk;
  }
  std::printf("file:          %s (GGUF v%u)\n", f.path().c_str(), f.version());
  std::printf("architecture:  %s\n", j["architecture"].get<std::string>().c_str());
  std::printf("name:          %s\n", j["name"].get<std::string>().c_str());
  if (j.contains("hparams")) {
    for (auto& [k, v] : j["hparams"].items()) std::printf("  %-14s %s\n", k.c_str(), v.dump().c_str());
  }
  std::printf("tensors:       %zu\n", f.tensors().size());
  for (const auto& [t, count] : types) std::printf("  %-8s %d\n", t.c_str(), count);
  std::printf("weights:       %s\n", gib(bytes).c_str());
  if (kv_per_token) {
    std::printf("KV cache:      %lld bytes per token, %s at %lld tokens\n", static_cast<long long>(kv_per_token),
                gib(kv_per_token * *ctx).c_str(), static_cast<long long>(*ctx));
    std::printf("memory needed: %s (weights + KV at %lld tokens)\n", gib(bytes + kv_per_token * *ctx).c_str(),
                static_cast<long long>(*ctx));
  }
  if (j.value("demo", false)) std::printf("note:          a random-weight demo model: its output is gibberish\n");
  return kOk;
}

int cmd_model_demo(const std::vector<std::string>& argv) {
  auto a = Args::parse("model demo", argv, {"--out", "--type"}, {"--json"});
  if (!a.ok()) return fail(a.status(), kUsage);
  auto dir = a->required("--out");
  if (!dir.ok()) return fail(dir.status(), kUsage);
  eng::DemoModelSpec spec;
  spec.file_type = a->str("--type", "F32");
  std::error_code ec;
  std::filesystem::create_directories(*dir, ec);
  if (ec) return fail(Status::Internal("cannot create " + *dir + ": " + ec.message()), kFailure);
  const std::string path = (std::filesystem::path(*dir) / ("teamvl-demo-" + spec.file_type + ".gguf")).string();
  Status st = eng::write_demo_model(spec, path);
  if (!st.ok()) return usage_or_fail(st);
  if (a->has("--json")) {
    print_json(json{{"model", path}, {"name", spec.name}});
  } else {
    std::printf("wrote %s (%s): a random-weight demo model, its output is gibberish\n", path.c_str(), spec.name.c_str());
  }
  return kOk;
}

int cmd_model(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(Status::InvalidArgument("usage: teamvl model info MODEL | teamvl model demo --out DIR"), kUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "info") return cmd_model_info(rest);
  if (argv[0] == "demo") return cmd_model_demo(rest);
  return fail(Status::InvalidArgument("unknown 'teamvl model' command '" + argv[0] + "' (expected info or demo)"), kUsage);
}

}  // namespace

int run_engine_command(const std::string& command, const std::vector<std::string>& args) {
  try {
    if (command == "tokenize") return cmd_tokenize(args);
    if (command == "generate") return cmd_generate(args);
    if (command == "logits") return cmd_logits(args);
    if (command == "model") return cmd_model(args);
    if (command == "embed-image") return run_embed_image(args);
  } catch (const std::exception& e) {
    return fail(Status::Internal(std::string("unexpected error: ") + e.what()), kFailure);
  }
  return -1;
}

}  // namespace teamvl::app
