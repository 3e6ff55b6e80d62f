// GGUF (llama.cpp's model file format, v2 and v3): a read-only mmap'd reader
// and a writer. The reader never trusts the file: every read is bounds-checked
// and errors say what was expected and what was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/tensor/ggml_type.h"

namespace teamvl::engine {

// Metadata value types, numbered as in the file.
enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5,
  kFloat32 = 6, kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11,
  kFloat64 = 12,
};

// "uint32", "string", "array", ...
const char* gguf_value_type_name(GgufValueType t);

// One metadata value. Scalars: integers and bools live in `i` (a uint64 keeps
// its bit pattern), floats in `f`, strings in `str`. Arrays keep their element
// type and their elements in the typed vector that fits it (`ints` for every
// integer type and bool, `floats`, `strings`, or `arrays` for nested arrays).
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  int64_t i = 0;
  double f = 0.0;
  std::string str;
  GgufValueType elem_type = GgufValueType::kUint8;  // arrays only
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<GgufValue> arrays;

  bool is_array() const { return type == GgufValueType::kArray; }
  size_t array_size() const;

  // Constructors for writers and tests.
  static GgufValue make_uint8(uint8_t v);
  static GgufValue make_int8(int8_t v);
  static GgufValue make_uint16(uint16_t v);
  static GgufValue make_int16(int16_t v);
  static GgufValue make_uint32(uint32_t v);
  static GgufValue make_int32(int32_t v);
  static GgufValue make_uint64(uint64_t v);
  static GgufValue make_int64(int64_t v);
  static GgufValue make_float32(float v);
  static GgufValue make_float64(double v);
  static GgufValue make_bool(bool v);
  static GgufValue make_string(std::string v);
  // Arrays: `elem` must be an integer type or kBool for make_int_array, kFloat32/
  // kFloat64 for make_float_array. Values outside the element type's range wrap.
  static GgufValue make_int_array(GgufValueType elem, std::vector<int64_t> v);
  static GgufValue make_float_array(GgufValueType elem, std::vector<double> v);
  static GgufValue make_bool_array(const std::vector<bool>& v);
  static GgufValue make_string_array(std::vector<std::string> v);
  // Array of arrays; every element must itself be an array.
  static GgufValue make_array_array(std::vector<GgufValue> v);
};

// One entry of the tensor table.
struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous dimension
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;      // relative to the start of the data section
  size_t n_bytes = 0;

  int64_t n_elements() const;
  int n_dims() const { return static_cast<int>(ne.size()); }
};

// A GGUF file mapped read-only. Immutable after open(): all methods are safe to
// call from many threads. tensor_data() pointers live as long as the GgufFile.
class GgufFile {
 public:
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  // Maps and validates the file. NotFound if it cannot be opened; InvalidArgument
  // for a file that is not GGUF (bad magic / unsupported version); DataLoss for a
  // truncated or corrupt one ("truncated: tensor 'x' needs bytes up to N, file has M").
  static Result<std::unique_ptr<GgufFile>> open(const std::string& path);

  // nullptr when absent.
  const GgufValue* find(std::string_view key) const;
  // Typed getters: NotFound when absent, InvalidArgument on a type mismatch
  // ("key 'k': expected string, found uint32").
  Result<std::string> get_string(std::string_view key) const;
  Result<int64_t> get_int(std::string_view key) const;    // any integer type
  Result<double> get_float(std::string_view key) const;   // f32/f64 and integers
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;
  Result<std::vector<int64_t>> get_int_array(std::string_view key) const;
  Result<std::vector<double>> get_float_array(std::string_view key) const;
  Result<std::vector<bool>> get_bool_array(std::string_view key) const;

  // Metadata keys in file order.
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  // Start of the tensor's bytes inside the mapping (valid for t.n_bytes bytes).
  const uint8_t* tensor_data(const GgufTensorInfo& t) const;

  uint32_t version() const { return version_; }
  size_t alignment() const { return alignment_; }
  const std::string& path() const { return path_; }
  size_t file_size() const { return size_; }
  size_t data_offset() const { return data_offset_; }

 private:
  GgufFile() = default;
  friend class GgufParser;

  std::string path_;
  const uint8_t* base_ = nullptr;  // mapping, owned
  size_t size_ = 0;
  uint32_t version_ = 0;
  size_t alignment_ = 32;
  size_t data_offset_ = 0;
  std::vector<std::string> keys_;
  std::map<std::string, GgufValue, std::less<>> kv_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Builds a GGUF v3 file in memory and writes it. Not thread-safe; one writer per file.
// Metadata keeps insertion order (setting a key again replaces its value in place).
// The alignment is `general.alignment` when set (a power of two), else 32.
class GgufWriter {
 public:
  void set(std::string key, GgufValue value);
  void set_uint8(std::string key, uint8_t v) { set(std::move(key), GgufValue::make_uint8(v)); }
  void set_int8(std::string key, int8_t v) { set(std::move(key), GgufValue::make_int8(v)); }
  void set_uint16(std::string key, uint16_t v) { set(std::move(key), GgufValue::make_uint16(v)); }
  void set_int16(std::string key, int16_t v) { set(std::move(key), GgufValue::make_int16(v)); }
  void set_uint32(std::string key, uint32_t v) { set(std::move(key), GgufValue::make_uint32(v)); }
  void set_int32(std::string key, int32_t v) { set(std::move(key), GgufValue::make_int32(v)); }
  void set_uint64(std::string key, uint64_t v) { set(std::move(key), GgufValue::make_uint64(v)); }
  void set_int64(std::string key, int64_t v) { set(std::move(key), GgufValue::make_int64(v)); }
  void set_float32(std::string key, float v) { set(std::move(key), GgufValue::make_float32(v)); }
  void set_float64(std::string key, double v) { set(std::move(key), GgufValue::make_float64(v)); }
  void set_bool(std::string key, bool v) { set(std::move(key), GgufValue::make_bool(v)); }
  void set_string(std::string key, std::string v) { set(std::move(key), GgufValue::make_string(std::move(v))); }
  void set_string_array(std::string key, std::vector<std::string> v) {
    set(std::move(key), GgufValue::make_string_array(std::move(v)));
  }
  void set_int32_array(std::string key, const std::vector<int32_t>& v);
  void set_float32_array(std::string key, const std::vector<float>& v);
  void set_bool_array(std::string key, const std::vector<bool>& v) {
    set(std::move(key), GgufValue::make_bool_array(v));
  }

  // Adds a tensor; `data` must hold exactly row_bytes(type, ne[0]) * (rows) bytes.
  // InvalidArgument on a duplicate name, bad shape or size mismatch.
  Status add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne,
                    std::vector<uint8_t> data);
  Status add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne,
                    const void* data, size_t n_bytes);

  // Serializes everything to `path` (overwritten).
  Status write(const std::string& path) const;
  // Same bytes as write(), in memory (tests build corrupt variants from it).
  Result<std::vector<uint8_t>> serialize() const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace teamvl::engine
