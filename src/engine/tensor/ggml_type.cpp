#include "engine/tensor/ggml_type.h"

namespace teamvl::engine {
namespace {

// Index = ggml type id. Retired ids (4, 5, 31..33, 36..38) have a null name.
constexpr GgmlTypeTraits kTraits[] = {
    {"f32", 1, 4},          // 0
    {"f16", 1, 2},          // 1
    {"q4_0", 32, 18},       // 2
    {"q4_1", 32, 20},       // 3
    {nullptr, 0, 0},        // 4
    {nullptr, 0, 0},        // 5
    {"q5_0", 32, 22},       // 6
    {"q5_1", 32, 24},       // 7
    {"q8_0", 32, 34},       // 8
    {"q8_1", 32, 36},       // 9
    {"q2_K", 256, 84},      // 10
    {"q3_K", 256, 110},     // 11
    {"q4_K", 256, 144},     // 12
    {"q5_K", 256, 176},     // 13
    {"q6_K", 256, 210},     // 14
    {"q8_K", 256, 292},     // 15
    {"iq2_xxs", 256, 66},   // 16
    {"iq2_xs", 256, 74},    // 17
    {"iq3_xxs", 256, 98},   // 18
    {"iq1_s", 256, 50},     // 19
    {"iq4_nl", 32, 18},     // 20
    {"iq3_s", 256, 110},    // 21
    {"iq2_s", 256, 82},     // 22
    {"iq4_xs", 256, 136},   // 23
    {"i8", 1, 1},           // 24
    {"i16", 1, 2},          // 25
    {"i32", 1, 4},          // 26
    {"i64", 1, 8},          // 27
    {"f64", 1, 8},          // 28
    {"iq1_m", 256, 56},     // 29
    {"bf16", 1, 2},         // 30
    {nullptr, 0, 0},        // 31
    {nullptr, 0, 0},        // 32
    {nullptr, 0, 0},        // 33
    {"tq1_0", 256, 54},     // 34
    {"tq2_0", 256, 66},     // 35
    {nullptr, 0, 0},        // 36
    {nullptr, 0, 0},        // 37
    {nullptr, 0, 0},        // 38
    {"mxfp4", 32, 17},      // 39
};

}  // namespace

const GgmlTypeTraits* ggml_type_traits(uint32_t id) {
  if (id >= sizeof(kTraits) / sizeof(kTraits[0])) return nullptr;
  const GgmlTypeTraits* t = &kTraits[id];
  return t->name ? t : nullptr;
}

Result<GgmlType> ggml_type_from_id(uint32_t id) {
  if (!ggml_type_traits(id)) {
    return Status::InvalidArgument("unknown ggml type id " + std::to_string(id));
  }
  return static_cast<GgmlType>(id);
}

std::string type_name(GgmlType t) {
  const GgmlTypeTraits* tr = ggml_type_traits(static_cast<uint32_t>(t));
  if (!tr) return "unknown(" + std::to_string(static_cast<uint32_t>(t)) + ")";
  return tr->name;
}

int64_t block_size(GgmlType t) {
  const GgmlTypeTraits* tr = ggml_type_traits(static_cast<uint32_t>(t));
  return tr ? tr->block_size : 0;
}

size_t type_size(GgmlType t) {
  const GgmlTypeTraits* tr = ggml_type_traits(static_cast<uint32_t>(t));
  return tr ? tr->type_size : 0;
}

size_t row_bytes(GgmlType t, int64_t n) {
  const GgmlTypeTraits* tr = ggml_type_traits(static_cast<uint32_t>(t));
  if (!tr || n < 0) return 0;
  return static_cast<size_t>(n / tr->block_size) * tr->type_size;
}

bool is_supported_type(GgmlType t) {
  switch (t) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
    case GgmlType::kQ8_K:
      return true;
    default:
      return false;
  }
}

}  // namespace teamvl::engine
