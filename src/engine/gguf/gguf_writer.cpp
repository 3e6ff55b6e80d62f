// GGUF v3 writer: header, metadata in insertion order, tensor table, then the
// tensor data, each tensor starting at a multiple of the alignment.
#include <cstdio>
#include <cstring>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

class ByteSink {
 public:
  template <typename T>
  void pod(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void bytes(const std::vector<uint8_t>& b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void pad_to(size_t alignment) {
    while (out_.size() % alignment) out_.push_back(0);
  }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

void write_int(ByteSink& s, GgufValueType t, int64_t i) {
  switch (t) {
    case GgufValueType::kUint8: s.pod<uint8_t>(static_cast<uint8_t>(i)); break;
    case GgufValueType::kInt8: s.pod<int8_t>(static_cast<int8_t>(i)); break;
    case GgufValueType::kBool: s.pod<uint8_t>(i ? 1 : 0); break;
    case GgufValueType::kUint16: s.pod<uint16_t>(static_cast<uint16_t>(i)); break;
    case GgufValueType::kInt16: s.pod<int16_t>(static_cast<int16_t>(i)); break;
    case GgufValueType::kUint32: s.pod<uint32_t>(static_cast<uint32_t>(i)); break;
    case GgufValueType::kInt32: s.pod<int32_t>(static_cast<int32_t>(i)); break;
    case GgufValueType::kUint64: s.pod<uint64_t>(static_cast<uint64_t>(i)); break;
    case GgufValueType::kInt64: s.pod<int64_t>(i); break;
    default: break;
  }
}

void write_float(ByteSink& s, GgufValueType t, double f) {
  if (t == GgufValueType::kFloat32) {
    s.pod<float>(static_cast<float>(f));
  } else {
    s.pod<double>(f);
  }
}

Status write_value(ByteSink& s, const GgufValue& v, const std::string& key) {
  switch (v.type) {
    case GgufValueType::kString: s.str(v.str); return Status::Ok();
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64: write_float(s, v.type, v.f); return Status::Ok();
    case GgufValueType::kArray: break;
    default: write_int(s, v.type, v.i); return Status::Ok();
  }
  s.pod<uint32_t>(static_cast<uint32_t>(v.elem_type));
  s.pod<uint64_t>(v.array_size());
  switch (v.elem_type) {
    case GgufValueType::kString:
      for (const std::string& x : v.strings) s.str(x);
      break;
    case GgufValueType::kArray:
      for (const GgufValue& x : v.arrays) {
        if (!x.is_array()) {
          return Status::InvalidArgument("metadata '" + key + "': array of arrays holds a " +
                                         gguf_value_type_name(x.type));
        }
        TEAMVL_RETURN_IF_ERROR(write_value(s, x, key));  // element type, count, items
      }
      break;
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64:
      for (double x : v.floats) write_float(s, v.elem_type, x);
      break;
    default:
      for (int64_t x : v.ints) write_int(s, v.elem_type, x);
      break;
  }
  return Status::Ok();
}

}  // namespace

void GgufWriter::set(std::string key, GgufValue value) {
  for (auto& kv : kv_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  kv_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::set_int32_array(std::string key, const std::vector<int32_t>& v) {
  set(std::move(key), GgufValue::make_int_array(GgufValueType::kInt32,
                                                std::vector<int64_t>(v.begin(), v.end())));
}

void GgufWriter::set_float32_array(std::string key, const std::vector<float>& v) {
  set(std::move(key), GgufValue::make_float_array(GgufValueType::kFloat32,
                                                  std::vector<double>(v.begin(), v.end())));
}

Status GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne,
                              std::vector<uint8_t> data) {
  const GgmlTypeTraits* tr = ggml_type_traits(static_cast<uint32_t>(type));
  if (!tr) return Status::InvalidArgument("tensor '" + name + "': unknown type");
  if (ne.empty() || ne.size() > 4) {
    return Status::InvalidArgument("tensor '" + name + "': expected 1..4 dimensions, found " +
                                   std::to_string(ne.size()));
  }
  int64_t n = 1;
  for (int64_t d : ne) {
    if (d < 0) return Status::InvalidArgument("tensor '" + name + "': negative dimension");
    n *= d;
  }
  if (ne[0] % tr->block_size != 0) {
    return Status::InvalidArgument("tensor '" + name + "': ne[0] = " + std::to_string(ne[0]) +
                                   " is not a multiple of the block size " +
                                   std::to_string(tr->block_size) + " of " + tr->name);
  }
  size_t expected = static_cast<size_t>(n / tr->block_size) * tr->type_size;
  if (data.size() != expected) {
    return Status::InvalidArgument("tensor '" + name + "': expected " + std::to_string(expected) +
                                   " bytes, found " + std::to_string(data.size()));
  }
  for (const PendingTensor& t : tensors_) {
    if (t.name == name) return Status::InvalidArgument("duplicate tensor name '" + name + "'");
  }
  tensors_.push_back({std::move(name), type, std::move(ne), std::move(data)});
  return Status::Ok();
}

Status GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne,
                              const void* data, size_t n_bytes) {
  const auto* p = static_cast<const uint8_t*>(data);
  return add_tensor(std::move(name), type, std::move(ne), std::vector<uint8_t>(p, p + n_bytes));
}

Result<std::vector<uint8_t>> GgufWriter::serialize() const {
  size_t alignment = 32;
  for (const auto& kv : kv_) {
    if (kv.first != "general.alignment") continue;
    uint64_t a = static_cast<uint64_t>(kv.second.i);
    if (kv.second.type != GgufValueType::kUint32 || a == 0 || (a & (a - 1)) != 0) {
      return Status::InvalidArgument("general.alignment must be a uint32 power of two");
    }
    alignment = a;
  }
  ByteSink s;
  s.pod<uint32_t>(0x46554747);
  s.pod<uint32_t>(3);
  s.pod<uint64_t>(tensors_.size());
  s.pod<uint64_t>(kv_.size());
  for (const auto& [key, value] : kv_) {
    s.str(key);
    s.pod<uint32_t>(static_cast<uint32_t>(value.type));
    TEAMVL_RETURN_IF_ERROR(write_value(s, value, key));
  }
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    s.str(t.name);
    s.pod<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) s.pod<int64_t>(d);
    s.pod<uint32_t>(static_cast<uint32_t>(t.type));
    s.pod<uint64_t>(offset);
    offset += (t.data.size() + alignment - 1) / alignment * alignment;
  }
  s.pad_to(alignment);
  for (const PendingTensor& t : tensors_) {
    s.bytes(t.data);
    s.pad_to(alignment);
  }
  return s.take();
}

Status GgufWriter::write(const std::string& path) const {
  TEAMVL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::InvalidArgument("cannot create '" + path + "'");
  size_t n = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
  int rc = std::fclose(f);
  if (n != bytes.size() || rc != 0) return Status::Internal("short write to '" + path + "'");
  return Status::Ok();
}

}  // namespace teamvl::engine
