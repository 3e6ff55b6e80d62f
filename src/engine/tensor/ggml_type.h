// ggml tensor element types as stored in GGUF files: numeric ids, block
// geometry and row sizes. Pure data, no state: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace teamvl::engine {

// ggml's numeric type ids (the values written in GGUF tensor tables).
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

// Block geometry of a type: `block_size` elements are stored in `type_size` bytes.
struct GgmlTypeTraits {
  const char* name;
  int64_t block_size;
  size_t type_size;
};

// Traits of a known id, or nullptr for an id ggml does not define (or retired).
const GgmlTypeTraits* ggml_type_traits(uint32_t id);

// Validates a raw id read from a file: "unknown ggml type id 5".
Result<GgmlType> ggml_type_from_id(uint32_t id);

// "f32", "q4_K", ... ("unknown(5)" for ids outside the table).
std::string type_name(GgmlType t);
// Elements per block (1 for F32/F16/BF16, 32 for Q8_0, 256 for K-quants).
int64_t block_size(GgmlType t);
// Bytes per block.
size_t type_size(GgmlType t);
// Bytes of a row of n elements; n must be a multiple of block_size(t).
size_t row_bytes(GgmlType t, int64_t n);

// Types this engine can dequantize, quantize and multiply (F32, F16, BF16,
// Q8_0, Q4_0, Q4_K, Q5_K, Q6_K; Q8_K only as activation format).
bool is_supported_type(GgmlType t);

}  // namespace teamvl::engine
