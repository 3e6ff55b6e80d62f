#include "engine/gguf/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace teamvl::engine {
namespace {

// A temp file removed at scope exit.
class TempPath {
 public:
  explicit TempPath(const std::string& stem) {
    path_ = (std::filesystem::temp_directory_path() /
             (stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".gguf"))
                .string();
  }
  ~TempPath() { std::remove(path_.c_str()); }
  const std::string& str() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// A writer with one key of every type and two tensors.
GgufWriter make_full_writer() {
  GgufWriter w;
  w.set_string("general.architecture", "qwen3vl");
  w.set_uint8("t.u8", 250);
  w.set_int8("t.i8", -100);
  w.set_uint16("t.u16", 65000);
  w.set_int16("t.i16", -32000);
  w.set_uint32("t.u32", 4000000000u);
  w.set_int32("t.i32", -2000000000);
  w.set_uint64("t.u64", 1ull << 40);
  w.set_int64("t.i64", -(1ll << 50));
  w.set_float32("t.f32", 1.5f);
  w.set_float64("t.f64", 3.25);
  w.set_bool("t.bool", true);
  w.set_string("t.str", std::string("h\xc3\xa9llo\0x", 8));
  w.set_string_array("t.strs", {"a", "", "merge one", "\xe4\xb8\xad"});
  w.set_int32_array("t.ints", {12, 10, 10, 0});
  w.set_float32_array("t.floats", {0.5f, -0.25f});
  w.set_bool_array("t.bools", {true, false, true, true, false});
  w.set("t.u64s", GgufValue::make_int_array(GgufValueType::kUint64, {1, 2, 3}));
  w.set("t.f64s", GgufValue::make_float_array(GgufValueType::kFloat64, {1e300, -2.5}));
  w.set("t.nested", GgufValue::make_array_array(
                        {GgufValue::make_string_array({"x", "y"}),
                         GgufValue::make_int_array(GgufValueType::kInt16, {-1, 7}),
                         GgufValue::make_array_array({GgufValue::make_bool_array({true})})}));
  EXPECT_TRUE(w.add_tensor("a.weight", GgmlType::kF32, {4, 3},
                           f32_bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
                  .ok());
  std::vector<uint8_t> q(2 * 34, 7);
  EXPECT_TRUE(w.add_tensor("b.weight", GgmlType::kQ8_0, {32, 2}, q).ok());
  return w;
}

TEST(GgufTest, RoundTripsEveryMetadataType) {
  TempPath p("rt");
  ASSERT_TRUE(make_full_writer().write(p.str()).ok());
  auto r = GgufFile::open(p.str());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const GgufFile& f = **r;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.keys().size(), 20u);
  EXPECT_EQ(f.keys()[0], "general.architecture");
  EXPECT_EQ(*f.get_string("general.architecture"), "qwen3vl");
  EXPECT_EQ(*f.get_int("t.u8"), 250);
  EXPECT_EQ(*f.get_int("t.i8"), -100);
  EXPECT_EQ(*f.get_int("t.u16"), 65000);
  EXPECT_EQ(*f.get_int("t.i16"), -32000);
  EXPECT_EQ(*f.get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(*f.get_int("t.i32"), -2000000000);
  EXPECT_EQ(*f.get_int("t.u64"), 1ll << 40);
  EXPECT_EQ(*f.get_int("t.i64"), -(1ll << 50));
  EXPECT_EQ(*f.get_float("t.f32"), 1.5);
  EXPECT_EQ(*f.get_float("t.f64"), 3.25);
  EXPECT_EQ(*f.get_float("t.u32"), 4e9);  // integers read as numbers
  EXPECT_TRUE(*f.get_bool("t.bool"));
  EXPECT_EQ(*f.get_string("t.str"), std::string("h\xc3\xa9llo\0x", 8));
  EXPECT_EQ(*f.get_string_array("t.strs"),
            (std::vector<std::string>{"a", "", "merge one", "\xe4\xb8\xad"}));
  EXPECT_EQ(*f.get_int_array("t.ints"), (std::vector<int64_t>{12, 10, 10, 0}));
  EXPECT_EQ(f.find("t.ints")->elem_type, GgufValueType::kInt32);
  EXPECT_EQ(*f.get_float_array("t.floats"), (std::vector<double>{0.5, -0.25}));
  EXPECT_EQ(*f.get_float_array("t.ints"), (std::vector<double>{12, 10, 10, 0}));
  EXPECT_EQ(*f.get_bool_array("t.bools"), (std::vector<bool>{true, false, true, true, false}));
  EXPECT_EQ(*f.get_int_array("t.u64s"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(*f.get_float_array("t.f64s"), (std::vector<double>{1e300, -2.5}));
  const GgufValue* nested = f.find("t.nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->array_size(), 3u);
  EXPECT_EQ(nested->arrays[0].strings, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(nested->arrays[1].elem_type, GgufValueType::kInt16);
  EXPECT_EQ(nested->arrays[1].ints, (std::vector<int64_t>{-1, 7}));
  EXPECT_EQ(nested->arrays[2].arrays[0].ints, (std::vector<int64_t>{1}));

  ASSERT_EQ(f.tensors().size(), 2u);
  const GgufTensorInfo* a = f.find_tensor("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ne, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(a->type, GgmlType::kF32);
  EXPECT_EQ(a->n_bytes, 48u);
  const float* ad = reinterpret_cast<const float*>(f.tensor_data(*a));
  EXPECT_EQ(ad[11], 11.0f);
  const GgufTensorInfo* b = f.find_tensor("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->offset, 64u);  // 48 bytes padded to 32
  EXPECT_EQ(b->n_bytes, 68u);
  EXPECT_EQ(f.tensor_data(*b)[67], 7);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.tensor_data(*b)) % 32, 0u);
  EXPECT_EQ(f.find_tensor("missing"), nullptr);
}

TEST(GgufTest, TypedGettersExplainMismatches) {
  TempPath p("get");
  ASSERT_TRUE(make_full_writer().write(p.str()).ok());
  auto r = GgufFile::open(p.str());
  ASSERT_TRUE(r.ok());
  const GgufFile& f = **r;
  struct Case {
    Status st;
    StatusCode code;
    std::string needle;
  };
  std::vector<Case> cases = {
      {f.get_string("t.u32").status(), StatusCode::kInvalidArgument, "expected string, found uint32"},
      {f.get_int("t.str").status(), StatusCode::kInvalidArgument, "expected an integer, found string"},
      {f.get_bool("t.u8").status(), StatusCode::kInvalidArgument, "expected bool, found uint8"},
      {f.get_float("t.strs").status(), StatusCode::kInvalidArgument, "found array of string"},
      {f.get_string_array("t.ints").status(), StatusCode::kInvalidArgument, "found array of int32"},
      {f.get_bool_array("t.ints").status(), StatusCode::kInvalidArgument, "expected array of bool"},
      {f.get_int_array("t.floats").status(), StatusCode::kInvalidArgument, "array of float32"},
      {f.get_int("nope").status(), StatusCode::kNotFound, "'nope' is missing"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.st.code(), c.code) << c.st.to_string();
    EXPECT_NE(c.st.message().find(c.needle), std::string::npos) << c.st.to_string();
  }
}

TEST(GgufTest, HonoursCustomAlignment) {
  GgufWriter w;
  w.set_uint32("general.alignment", 64);
  ASSERT_TRUE(w.add_tensor("x", GgmlType::kF32, {3}, f32_bytes({1, 2, 3})).ok());
  ASSERT_TRUE(w.add_tensor("y", GgmlType::kF32, {2}, f32_bytes({4, 5})).ok());
  TempPath p("align");
  ASSERT_TRUE(w.write(p.str()).ok());
  auto r = GgufFile::open(p.str());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->alignment(), 64u);
  EXPECT_EQ((*r)->data_offset() % 64, 0u);
  EXPECT_EQ((*r)->find_tensor("y")->offset, 64u);
  EXPECT_EQ(reinterpret_cast<const float*>((*r)->tensor_data(*(*r)->find_tensor("y")))[1], 5.0f);
}

TEST(GgufTest, WriterRejectsBadTensors) {
  GgufWriter w;
  EXPECT_FALSE(w.add_tensor("q", GgmlType::kQ8_0, {33}, std::vector<uint8_t>(34)).ok());
  EXPECT_FALSE(w.add_tensor("s", GgmlType::kF32, {4}, std::vector<uint8_t>(15)).ok());
  EXPECT_FALSE(w.add_tensor("d", GgmlType::kF32, {1, 1, 1, 1, 1}, std::vector<uint8_t>(4)).ok());
  EXPECT_TRUE(w.add_tensor("ok", GgmlType::kF32, {1}, std::vector<uint8_t>(4)).ok());
  EXPECT_FALSE(w.add_tensor("ok", GgmlType::kF32, {1}, std::vector<uint8_t>(4)).ok());
}

// Offsets of fields in the serialized full writer, for targeted corruption.
size_t find_bytes(const std::vector<uint8_t>& b, const std::string& needle) {
  auto it = std::search(b.begin(), b.end(), needle.begin(), needle.end());
  return static_cast<size_t>(it - b.begin());
}

struct CorruptCase {
  std::string name;
  std::function<void(std::vector<uint8_t>&)> mutate;
  StatusCode code;
  std::string needle;
};

TEST(GgufTest, RejectsCorruptFilesWithClearMessages) {
  auto good = make_full_writer().serialize();
  ASSERT_TRUE(good.ok());
  const std::vector<uint8_t> base = *good;
  auto put_u32 = [](std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); };
  auto put_u64 = [](std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(&b[at], &v, 8); };
  // The tensor table entry of "b.weight": name, n_dims, ne[2], type, offset.
  const size_t b_name = find_bytes(base, "b.weight");
  const size_t b_ndims = b_name + 8, b_ne0 = b_ndims + 4, b_type = b_ne0 + 16, b_off = b_type + 4;
  const size_t strs_key = find_bytes(base, "t.strs");
  const size_t strs_count = strs_key + 6 + 4 + 4;  // key, value type, element type
  std::vector<CorruptCase> cases = {
      {"empty", [](auto& b) { b.clear(); }, StatusCode::kInvalidArgument, "too short"},
      {"wrong magic", [](auto& b) { b[0] = 'G'; b[1] = 'G'; b[2] = 'M'; b[3] = 'L'; },
       StatusCode::kInvalidArgument, "expected magic 'GGUF', found 'GGML'"},
      {"version 1", [&](auto& b) { put_u32(b, 4, 1); }, StatusCode::kInvalidArgument,
       "expected 2 or 3, found 1"},
      {"header cut", [](auto& b) { b.resize(10); }, StatusCode::kDataLoss, "truncated: reading tensor count"},
      {"metadata cut", [](auto& b) { b.resize(60); }, StatusCode::kDataLoss,
       "truncated: metadata count 20 needs"},
      {"string cut", [&](auto& b) { b.resize(strs_key + 30); }, StatusCode::kDataLoss,
       "truncated: value of 't.strs'"},
      {"overflowing ne", [&](auto& b) { put_u64(b, b_ne0 + 8, 1ull << 62); }, StatusCode::kDataLoss,
       "element count overflows"},
      {"huge kv count", [&](auto& b) { put_u64(b, 16, 1ull << 60); }, StatusCode::kDataLoss,
       "metadata count"},
      {"huge tensor count", [&](auto& b) { put_u64(b, 8, 1ull << 60); }, StatusCode::kDataLoss,
       "tensor count"},
      {"huge array", [&](auto& b) { put_u64(b, strs_count, 1ull << 62); }, StatusCode::kDataLoss,
       "claims 4611686018427387904 string elements"},
      {"bad value type", [&](auto& b) { put_u32(b, strs_key + 6, 99); }, StatusCode::kDataLoss,
       "expected a value type 0..12, found 99"},
      {"bad n_dims", [&](auto& b) { put_u32(b, b_ndims, 7); }, StatusCode::kDataLoss,
       "tensor 'b.weight': expected 1..4 dimensions, found 7"},
      {"bad type", [&](auto& b) { put_u32(b, b_type, 5); }, StatusCode::kDataLoss,
       "unknown ggml type id 5"},
      {"ne0 not block multiple", [&](auto& b) { put_u64(b, b_ne0, 31); }, StatusCode::kDataLoss,
       "not a multiple of the block size 32"},
      {"misaligned offset", [&](auto& b) { put_u64(b, b_off, 65); }, StatusCode::kDataLoss,
       "offset 65 is not a multiple of the alignment 32"},
      {"data cut", [](auto& b) { b.resize(b.size() - 40); }, StatusCode::kDataLoss,
       "truncated: tensor 'b.weight' needs bytes up to"},
      {"huge offset", [&](auto& b) { put_u64(b, b_off, ~uint64_t{31}); }, StatusCode::kDataLoss,
       "needs bytes up to beyond 2^64"},
      {"huge ne", [&](auto& b) { put_u64(b, b_ne0 + 8, 1ull << 40); }, StatusCode::kDataLoss,
       "truncated: tensor 'b.weight'"},
  };
  for (const CorruptCase& c : cases) {
    std::vector<uint8_t> bytes = base;
    c.mutate(bytes);
    TempPath p("bad");
    write_bytes(p.str(), bytes);
    auto r = GgufFile::open(p.str());
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().to_string();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.name << ": " << r.status().to_string();
  }
}

TEST(GgufTest, MissingFileIsNotFound) {
  auto r = GgufFile::open("/nonexistent/dir/model.gguf");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// Every prefix of a valid file (and random byte flips) must fail cleanly or load.
TEST(GgufTest, NeverCrashesOnTruncationOrNoise) {
  auto good = make_full_writer().serialize();
  ASSERT_TRUE(good.ok());
  TempPath p("fuzz");
  // The last tensor ends 28 bytes before the file's final padding.
  const size_t last_byte = good->size() - 28;
  for (size_t n = 0; n < last_byte; n += 5) {
    std::vector<uint8_t> b(good->begin(), good->begin() + static_cast<std::ptrdiff_t>(n));
    write_bytes(p.str(), b);
    auto r = GgufFile::open(p.str());
    EXPECT_FALSE(r.ok()) << "prefix " << n;
  }
  std::mt19937 rng(42);
  for (int iter = 0; iter < 150; ++iter) {
    std::vector<uint8_t> b = *good;
    for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    write_bytes(p.str(), b);
    auto r = GgufFile::open(p.str());  // either outcome is fine; it must not crash
    if (r.ok()) {
      for (const auto& t : (*r)->tensors()) {
        EXPECT_LE((*r)->data_offset() + t.offset + t.n_bytes, (*r)->file_size());
      }
    }
  }
}

}  // namespace
}  // namespace teamvl::engine
