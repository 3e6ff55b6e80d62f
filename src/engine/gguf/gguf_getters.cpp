// Typed metadata getters of GgufFile: NotFound when absent, InvalidArgument
// with "expected X, found Y" on a type mismatch.
#include <limits>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64: return true;
    default: return false;
  }
}

bool is_float(GgufValueType t) {
  return t == GgufValueType::kFloat32 || t == GgufValueType::kFloat64;
}

std::string describe(const GgufValue& v) {
  if (!v.is_array()) return gguf_value_type_name(v.type);
  return std::string("array of ") + gguf_value_type_name(v.elem_type);
}

Status mismatch(std::string_view key, const char* expected, const GgufValue& v) {
  return Status::InvalidArgument("metadata key '" + std::string(key) + "': expected " + expected +
                                 ", found " + describe(v));
}

Result<const GgufValue*> lookup(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.find(key);
  if (!v) return Status::NotFound("metadata key '" + std::string(key) + "' is missing in " + f.path());
  return v;
}

// A uint64 above INT64_MAX does not fit the int64 the getters return.
bool uint64_too_big(GgufValueType t, int64_t i) { return t == GgufValueType::kUint64 && i < 0; }

}  // namespace

Result<std::string> GgufFile::get_string(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (v->type != GgufValueType::kString) return mismatch(key, "string", *v);
  return v->str;
}

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (!is_integer(v->type)) return mismatch(key, "an integer", *v);
  if (uint64_too_big(v->type, v->i)) {
    return Status::InvalidArgument("metadata key '" + std::string(key) + "': uint64 value " +
                                   std::to_string(static_cast<uint64_t>(v->i)) + " is too large");
  }
  return v->i;
}

Result<double> GgufFile::get_float(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (is_float(v->type)) return v->f;
  if (is_integer(v->type)) {
    if (v->type == GgufValueType::kUint64) return static_cast<double>(static_cast<uint64_t>(v->i));
    return static_cast<double>(v->i);
  }
  return mismatch(key, "a number", *v);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (v->type != GgufValueType::kBool) return mismatch(key, "bool", *v);
  return v->i != 0;
}

Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (!v->is_array() || v->elem_type != GgufValueType::kString) {
    return mismatch(key, "array of string", *v);
  }
  return v->strings;
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (!v->is_array() || !is_integer(v->elem_type)) return mismatch(key, "array of integers", *v);
  if (v->elem_type == GgufValueType::kUint64) {
    for (int64_t x : v->ints) {
      if (x < 0) {
        return Status::InvalidArgument("metadata key '" + std::string(key) +
                                       "': uint64 element too large");
      }
    }
  }
  return v->ints;
}

Result<std::vector<double>> GgufFile::get_float_array(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (!v->is_array()) return mismatch(key, "array of numbers", *v);
  if (is_float(v->elem_type)) return v->floats;
  if (is_integer(v->elem_type)) {
    std::vector<double> out;
    out.reserve(v->ints.size());
    for (int64_t x : v->ints) {
      out.push_back(v->elem_type == GgufValueType::kUint64
                        ? static_cast<double>(static_cast<uint64_t>(x))
                        : static_cast<double>(x));
    }
    return out;
  }
  return mismatch(key, "array of numbers", *v);
}

Result<std::vector<bool>> GgufFile::get_bool_array(std::string_view key) const {
  TEAMVL_ASSIGN_OR_RETURN(const GgufValue* v, lookup(*this, key));
  if (!v->is_array() || v->elem_type != GgufValueType::kBool) return mismatch(key, "array of bool", *v);
  return std::vector<bool>(v->ints.begin(), v->ints.end());
}

}  // namespace teamvl::engine
