#include "app/embed_image_command.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/image/decode.h"
#include "engine/image/pdf.h"
#include "engine/kernels/thread_pool.h"
#include "engine/vision/image_embedder.h"
#include "engine/vision/vision_model.h"

namespace teamvl::app {
namespace {

namespace eng = teamvl::engine;
using json = nlohmann::ordered_json;

constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;

constexpr const char* kUsageText =
    "usage: teamvl embed-image --mmproj FILE --image FILE [--out FILE.bin] [--max-side N] [--threads N]"
    " [--page N] [--json]";

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "teamvl embed-image: %s\n", message.c_str());
  if (code == kUsage) std::fprintf(stderr, "%s\n", kUsageText);
  return code;
}

// --flag value pairs and switches; every flag known, every value checked.
struct Options {
  std::string mmproj, image, out;
  int max_side = 768;
  int threads = 0;
  int page = 0;
  bool json = false;
};

bool parse_int(const std::string& s, int lo, int hi, int* out) {
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used != s.size() || v < lo || v > hi) return false;
    *out = static_cast<int>(v);
    return true;
  } catch (...) {
    return false;
  }
}

// An error message, or "" when the arguments are fine.
std::string parse(const std::vector<std::string>& args, Options& o) {
  const std::set<std::string> with_value = {"--mmproj", "--image", "--out", "--max-side", "--threads", "--page"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (!with_value.count(a)) return "unknown argument '" + a + "'";
    if (i + 1 >= args.size()) return a + " needs a value";
    const std::string& v = args[++i];
    if (a == "--mmproj") o.mmproj = v;
    if (a == "--image") o.image = v;
    if (a == "--out") o.out = v;
    if (a == "--max-side" && !parse_int(v, 0, 1 << 16, &o.max_side)) return "--max-side expects 0..65536, got '" + v + "'";
    if (a == "--threads" && !parse_int(v, 0, 1024, &o.threads)) return "--threads expects 0..1024, got '" + v + "'";
    if (a == "--page" && !parse_int(v, 0, 1 << 20, &o.page)) return "--page expects a page index >= 0, got '" + v + "'";
  }
  if (o.mmproj.empty()) return "--mmproj is required";
  if (o.image.empty()) return "--image is required";
  if (o.max_side != 0 && o.max_side < 32) return "--max-side must be 0 (no cap) or at least 32";
  return "";
}

bool read_file(const std::string& path, std::vector<uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

Status write_rows(const std::string& path, const eng::ImageEmbedding& e) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  // Rows are native floats; x86-64 (the only target) is little-endian.
  out.write(reinterpret_cast<const char*>(e.rows.data()), static_cast<std::streamsize>(e.rows.size() * sizeof(float)));
  out.close();
  if (!out) return Status::Internal("cannot write " + path);
  return Status::Ok();
}

}  // namespace

int run_embed_image(const std::vector<std::string>& args) {
  Options o;
  if (std::string err = parse(args, o); !err.empty()) return fail(err, kUsage);
  std::vector<uint8_t> bytes;
  if (!read_file(o.image, bytes)) return fail("cannot read image file " + o.image, kFailure);
  const auto t0 = std::chrono::steady_clock::now();
  auto model = eng::VisionModel::open(o.mmproj);
  if (!model.ok()) return fail(model.status().message(), kFailure);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  eng::ThreadPool pool(o.threads);
  eng::ImageEmbedder embedder(**model, pool);
  eng::ImageEmbedOptions eo;
  eo.max_side = o.max_side;
  const auto t1 = std::chrono::steady_clock::now();
  Result<eng::ImageEmbeddingPtr> e = Status::Internal("not run");
  if (eng::sniff_image_format(bytes) == eng::ImageFormat::kPdf) {
    eng::PdfRenderOptions pdf;
    pdf.first_page = o.page;
    pdf.max_pages = 1;
    auto pages = embedder.embed_pdf(bytes, "cli", pdf, eo);
    if (pages.ok() && pages->empty()) pages = Status::InvalidArgument("PDF has no page " + std::to_string(o.page));
    e = pages.ok() ? Result<eng::ImageEmbeddingPtr>(pages->front()) : Result<eng::ImageEmbeddingPtr>(pages.status());
  } else {
    e = embedder.embed_file(bytes, "cli", eo);
  }
  if (!e.ok()) return fail(o.image + ": " + e.status().message(), kFailure);
  const double encode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const eng::ImageEmbedding& emb = **e;
  if (!o.out.empty()) {
    if (Status st = write_rows(o.out, emb); !st.ok()) return fail(st.message(), kFailure);
  }
  const int32_t merge = (*model)->hparams().merge_size * (*model)->hparams().patch_size;
  if (o.json) {
    json j = {{"n_tokens", emb.n_tokens},
              {"dim", emb.dim},
              {"grid", {emb.grid_x, emb.grid_y}},
              {"image_size", {emb.grid_x * merge, emb.grid_y * merge}},
              {"load_seconds", load_s},
              {"encode_seconds", encode_s}};
    if (!o.out.empty()) j["out"] = o.out;
    const std::string s = j.dump();
    std::printf("%s\n", s.c_str());
  } else {
    std::printf("%d image tokens (grid %dx%d, input resized to %dx%d), %d floats per row, encoded in %.2f s%s%s\n",
                emb.n_tokens, emb.grid_x, emb.grid_y, emb.grid_x * merge, emb.grid_y * merge, emb.dim, encode_s,
                o.out.empty() ? "" : ", written to ", o.out.c_str());
  }
  return kOk;
}

}  // namespace teamvl::app
