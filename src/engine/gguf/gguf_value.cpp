// GgufValue constructors and type names.
#include "engine/gguf/gguf.h"

namespace teamvl::engine {

const char* gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "unknown";
}

size_t GgufValue::array_size() const {
  if (!is_array()) return 0;
  switch (elem_type) {
    case GgufValueType::kString: return strings.size();
    case GgufValueType::kArray: return arrays.size();
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64: return floats.size();
    default: return ints.size();
  }
}

namespace {
GgufValue int_value(GgufValueType t, int64_t v) {
  GgufValue r;
  r.type = t;
  r.i = v;
  return r;
}
}  // namespace

GgufValue GgufValue::make_uint8(uint8_t v) { return int_value(GgufValueType::kUint8, v); }
GgufValue GgufValue::make_int8(int8_t v) { return int_value(GgufValueType::kInt8, v); }
GgufValue GgufValue::make_uint16(uint16_t v) { return int_value(GgufValueType::kUint16, v); }
GgufValue GgufValue::make_int16(int16_t v) { return int_value(GgufValueType::kInt16, v); }
GgufValue GgufValue::make_uint32(uint32_t v) { return int_value(GgufValueType::kUint32, v); }
GgufValue GgufValue::make_int32(int32_t v) { return int_value(GgufValueType::kInt32, v); }
GgufValue GgufValue::make_uint64(uint64_t v) {
  return int_value(GgufValueType::kUint64, static_cast<int64_t>(v));
}
GgufValue GgufValue::make_int64(int64_t v) { return int_value(GgufValueType::kInt64, v); }
GgufValue GgufValue::make_bool(bool v) { return int_value(GgufValueType::kBool, v ? 1 : 0); }

GgufValue GgufValue::make_float32(float v) {
  GgufValue r;
  r.type = GgufValueType::kFloat32;
  r.f = v;
  return r;
}

GgufValue GgufValue::make_float64(double v) {
  GgufValue r;
  r.type = GgufValueType::kFloat64;
  r.f = v;
  return r;
}

GgufValue GgufValue::make_string(std::string v) {
  GgufValue r;
  r.type = GgufValueType::kString;
  r.str = std::move(v);
  return r;
}

GgufValue GgufValue::make_int_array(GgufValueType elem, std::vector<int64_t> v) {
  GgufValue r;
  r.type = GgufValueType::kArray;
  r.elem_type = elem;
  r.ints = std::move(v);
  return r;
}

GgufValue GgufValue::make_float_array(GgufValueType elem, std::vector<double> v) {
  GgufValue r;
  r.type = GgufValueType::kArray;
  r.elem_type = elem;
  r.floats = std::move(v);
  return r;
}

GgufValue GgufValue::make_bool_array(const std::vector<bool>& v) {
  std::vector<int64_t> ints(v.begin(), v.end());
  return make_int_array(GgufValueType::kBool, std::move(ints));
}

GgufValue GgufValue::make_string_array(std::vector<std::string> v) {
  GgufValue r;
  r.type = GgufValueType::kArray;
  r.elem_type = GgufValueType::kString;
  r.strings = std::move(v);
  return r;
}

GgufValue GgufValue::make_array_array(std::vector<GgufValue> v) {
  GgufValue r;
  r.type = GgufValueType::kArray;
  r.elem_type = GgufValueType::kArray;
  r.arrays = std::move(v);
  return r;
}

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

}  // namespace teamvl::engine
