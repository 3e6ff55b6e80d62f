// GGUF reader: maps the file, parses header, metadata and tensor table with a
// bounds-checked cursor, and validates every tensor against the file size.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "engine/gguf/gguf.h"

namespace teamvl::engine {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr int kMaxArrayDepth = 8;
constexpr int kMaxDims = 4;

size_t value_min_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
    case GgufValueType::kString: return 8;   // a string is at least its length
    case GgufValueType::kArray: return 12;   // element type + count
  }
  return 1;
}

bool valid_value_type(uint32_t t) { return t <= 12; }

std::string printable_magic(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(p[i]);
    if (p[i] >= 32 && p[i] < 127) {
      s += c;
    } else {
      static const char* hex = "0123456789abcdef";
      s += "\\x";
      s += hex[p[i] >> 4];
      s += hex[p[i] & 15];
    }
  }
  return s;
}

}  // namespace

// Parses the mapped bytes into a GgufFile. Every read checks the remaining size.
class GgufParser {
 public:
  GgufParser(GgufFile* f) : f_(f), p_(f->base_), size_(f->size_) {}

  Status parse() {
    if (size_ < 4) {
      return Status::InvalidArgument("not a GGUF file: '" + f_->path_ + "' is " +
                                     std::to_string(size_) + " bytes, too short for the magic");
    }
    uint32_t magic = 0;
    std::memcpy(&magic, p_, 4);
    if (magic != kMagic) {
      return Status::InvalidArgument("not a GGUF file: expected magic 'GGUF', found '" +
                                     printable_magic(p_, 4) + "' in '" + f_->path_ + "'");
    }
    pos_ = 4;
    uint32_t version = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&version, "version"));
    if (version != 2 && version != 3) {
      return Status::InvalidArgument("unsupported GGUF version: expected 2 or 3, found " +
                                     std::to_string(version));
    }
    f_->version_ = version;
    uint64_t n_tensors = 0, n_kv = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&n_tensors, "tensor count"));
    TEAMVL_RETURN_IF_ERROR(read_pod(&n_kv, "metadata count"));
    // Each key/value needs at least 8 (key length) + 4 (type) + 1 bytes.
    if (n_kv > remaining() / 13) {
      return Status::DataLoss("truncated: metadata count " + std::to_string(n_kv) +
                              " needs at least 13 bytes each, file has " +
                              std::to_string(remaining()) + " left");
    }
    for (uint64_t i = 0; i < n_kv; ++i) TEAMVL_RETURN_IF_ERROR(parse_kv(i));
    TEAMVL_RETURN_IF_ERROR(parse_alignment());
    // Each tensor info needs at least 8 (name) + 4 (n_dims) + 8 (ne) + 4 + 8 bytes.
    if (n_tensors > remaining() / 32) {
      return Status::DataLoss("truncated: tensor count " + std::to_string(n_tensors) +
                              " needs at least 32 bytes each, file has " +
                              std::to_string(remaining()) + " left");
    }
    f_->tensors_.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) TEAMVL_RETURN_IF_ERROR(parse_tensor_info(i));
    size_t a = f_->alignment_;
    f_->data_offset_ = (pos_ + a - 1) / a * a;
    return validate_tensors();
  }

 private:
  size_t remaining() const { return size_ - pos_; }

  Status truncated(const std::string& what, size_t need) const {
    return Status::DataLoss("truncated: reading " + what + " at offset " + std::to_string(pos_) +
                            " needs " + std::to_string(need) + " bytes, file has " +
                            std::to_string(remaining()) + " left (size " +
                            std::to_string(size_) + ")");
  }

  template <typename T>
  Status read_pod(T* out, const std::string& what) {
    if (remaining() < sizeof(T)) return truncated(what, sizeof(T));
    std::memcpy(out, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status read_string(std::string* out, const std::string& what) {
    uint64_t len = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&len, what + " length"));
    if (len > remaining()) {
      return Status::DataLoss("truncated: " + what + " claims " + std::to_string(len) +
                              " bytes at offset " + std::to_string(pos_) + ", file has " +
                              std::to_string(remaining()) + " left");
    }
    out->assign(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

  Status read_scalar(GgufValueType t, GgufValue* v, const std::string& what) {
    v->type = t;
    switch (t) {
      case GgufValueType::kUint8: { uint8_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kInt8: { int8_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kUint16: { uint16_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kInt16: { int16_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kUint32: { uint32_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kInt32: { int32_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kUint64: { uint64_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = static_cast<int64_t>(x); break; }
      case GgufValueType::kInt64: { int64_t x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->i = x; break; }
      case GgufValueType::kFloat32: { float x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->f = x; break; }
      case GgufValueType::kFloat64: { double x = 0; TEAMVL_RETURN_IF_ERROR(read_pod(&x, what)); v->f = x; break; }
      case GgufValueType::kBool: {
        uint8_t x = 0;
        TEAMVL_RETURN_IF_ERROR(read_pod(&x, what));
        if (x > 1) {
          return Status::DataLoss("corrupt: " + what + ": expected bool 0 or 1, found " +
                                  std::to_string(x));
        }
        v->i = x;
        break;
      }
      case GgufValueType::kString: return read_string(&v->str, what);
      case GgufValueType::kArray: return Status::Internal("read_scalar on array");
    }
    return Status::Ok();
  }

  Status read_value(GgufValueType t, GgufValue* v, const std::string& what, int depth) {
    if (t != GgufValueType::kArray) return read_scalar(t, v, what);
    if (depth >= kMaxArrayDepth) {
      return Status::DataLoss("corrupt: " + what + ": arrays nested deeper than " +
                              std::to_string(kMaxArrayDepth));
    }
    v->type = GgufValueType::kArray;
    uint32_t et = 0;
    uint64_t n = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&et, what + " element type"));
    if (!valid_value_type(et)) {
      return Status::DataLoss("corrupt: " + what + ": expected an element type 0..12, found " +
                              std::to_string(et));
    }
    v->elem_type = static_cast<GgufValueType>(et);
    TEAMVL_RETURN_IF_ERROR(read_pod(&n, what + " element count"));
    size_t min = value_min_size(v->elem_type);
    if (n > remaining() / min) {
      return Status::DataLoss("truncated: " + what + " claims " + std::to_string(n) + " " +
                              gguf_value_type_name(v->elem_type) + " elements (at least " +
                              std::to_string(n) + "x" + std::to_string(min) + " bytes), file has " +
                              std::to_string(remaining()) + " left");
    }
    switch (v->elem_type) {
      case GgufValueType::kString:
        v->strings.resize(n);
        for (uint64_t k = 0; k < n; ++k) TEAMVL_RETURN_IF_ERROR(read_string(&v->strings[k], what));
        break;
      case GgufValueType::kArray:
        v->arrays.resize(n);
        for (uint64_t k = 0; k < n; ++k) {
          TEAMVL_RETURN_IF_ERROR(read_value(GgufValueType::kArray, &v->arrays[k], what, depth + 1));
        }
        break;
      case GgufValueType::kFloat32:
      case GgufValueType::kFloat64:
        v->floats.resize(n);
        for (uint64_t k = 0; k < n; ++k) {
          GgufValue e;
          TEAMVL_RETURN_IF_ERROR(read_scalar(v->elem_type, &e, what));
          v->floats[k] = e.f;
        }
        break;
      default:
        v->ints.resize(n);
        for (uint64_t k = 0; k < n; ++k) {
          GgufValue e;
          TEAMVL_RETURN_IF_ERROR(read_scalar(v->elem_type, &e, what));
          v->ints[k] = e.i;
        }
        break;
    }
    return Status::Ok();
  }

  Status parse_kv(uint64_t index) {
    std::string key;
    TEAMVL_RETURN_IF_ERROR(read_string(&key, "metadata key #" + std::to_string(index)));
    uint32_t t = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&t, "type of '" + key + "'"));
    if (!valid_value_type(t)) {
      return Status::DataLoss("corrupt: metadata '" + key + "': expected a value type 0..12, found " +
                              std::to_string(t));
    }
    GgufValue v;
    TEAMVL_RETURN_IF_ERROR(read_value(static_cast<GgufValueType>(t), &v, "value of '" + key + "'", 0));
    if (f_->kv_.count(key)) return Status::DataLoss("corrupt: duplicate metadata key '" + key + "'");
    f_->keys_.push_back(key);
    f_->kv_.emplace(std::move(key), std::move(v));
    return Status::Ok();
  }

  Status parse_alignment() {
    const GgufValue* a = f_->find("general.alignment");
    if (!a) return Status::Ok();
    if (a->type != GgufValueType::kUint32) {
      return Status::DataLoss(std::string("corrupt: general.alignment: expected uint32, found ") +
                              gguf_value_type_name(a->type));
    }
    uint64_t v = static_cast<uint64_t>(a->i);
    if (v == 0 || (v & (v - 1)) != 0) {
      return Status::DataLoss("corrupt: general.alignment: expected a power of two, found " +
                              std::to_string(v));
    }
    f_->alignment_ = v;
    return Status::Ok();
  }

  Status parse_tensor_info(uint64_t index) {
    GgufTensorInfo t;
    TEAMVL_RETURN_IF_ERROR(read_string(&t.name, "name of tensor #" + std::to_string(index)));
    const std::string what = "tensor '" + t.name + "'";
    uint32_t n_dims = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&n_dims, what + " n_dims"));
    if (n_dims < 1 || n_dims > kMaxDims) {
      return Status::DataLoss("corrupt: " + what + ": expected 1..4 dimensions, found " +
                              std::to_string(n_dims));
    }
    t.ne.resize(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      TEAMVL_RETURN_IF_ERROR(read_pod(&t.ne[d], what + " ne[" + std::to_string(d) + "]"));
      if (t.ne[d] < 0) {
        return Status::DataLoss("corrupt: " + what + ": negative dimension ne[" +
                                std::to_string(d) + "] = " + std::to_string(t.ne[d]));
      }
    }
    uint32_t type_id = 0;
    TEAMVL_RETURN_IF_ERROR(read_pod(&type_id, what + " type"));
    const GgmlTypeTraits* tr = ggml_type_traits(type_id);
    if (!tr) {
      return Status::DataLoss("corrupt: " + what + ": unknown ggml type id " +
                              std::to_string(type_id));
    }
    t.type = static_cast<GgmlType>(type_id);
    TEAMVL_RETURN_IF_ERROR(read_pod(&t.offset, what + " offset"));
    // Element count without overflow: every ne <= INT64_MAX / product so far.
    int64_t n = 1;
    for (int64_t d : t.ne) {
      if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
        return Status::DataLoss("corrupt: " + what + ": element count overflows");
      }
      n *= d;
    }
    if (t.ne[0] % tr->block_size != 0) {
      return Status::DataLoss("corrupt: " + what + " of type " + tr->name + ": ne[0] = " +
                              std::to_string(t.ne[0]) + " is not a multiple of the block size " +
                              std::to_string(tr->block_size));
    }
    uint64_t blocks = static_cast<uint64_t>(n / tr->block_size);
    if (blocks > std::numeric_limits<uint64_t>::max() / tr->type_size) {
      return Status::DataLoss("corrupt: " + what + ": byte size overflows");
    }
    t.n_bytes = blocks * tr->type_size;
    if (f_->tensor_index_.count(t.name)) {
      return Status::DataLoss("corrupt: duplicate tensor name '" + t.name + "'");
    }
    f_->tensor_index_.emplace(t.name, f_->tensors_.size());
    f_->tensors_.push_back(std::move(t));
    return Status::Ok();
  }

  Status validate_tensors() {
    const size_t a = f_->alignment_;
    const size_t data = f_->data_offset_;
    for (const GgufTensorInfo& t : f_->tensors_) {
      if (t.offset % a != 0) {
        return Status::DataLoss("corrupt: tensor '" + t.name + "': offset " +
                                std::to_string(t.offset) + " is not a multiple of the alignment " +
                                std::to_string(a));
      }
      // end = data + offset + n_bytes, checked for overflow.
      uint64_t end = data;
      bool overflow = __builtin_add_overflow(end, t.offset, &end) ||
                      __builtin_add_overflow(end, static_cast<uint64_t>(t.n_bytes), &end);
      if (overflow || end > size_) {
        return Status::DataLoss(
            "truncated: tensor '" + t.name + "' needs bytes up to " +
            (overflow ? std::string("beyond 2^64") : std::to_string(end)) + ", file has " +
            std::to_string(size_));
      }
    }
    return Status::Ok();
  }

  GgufFile* f_;
  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
};

GgufFile::~GgufFile() {
  if (base_ && size_ > 0) munmap(const_cast<uint8_t*>(base_), size_);
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("cannot open '" + path + "': " + std::strerror(err));
    return Status::InvalidArgument("cannot open '" + path + "': " + std::strerror(err));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("cannot open '" + path + "': not a regular file");
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->size_ = static_cast<size_t>(st.st_size);
  if (f->size_ > 0) {
    void* m = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      f->size_ = 0;
      return Status::Internal("cannot map '" + path + "': " + std::strerror(err));
    }
    f->base_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  GgufParser parser(f.get());
  Status st_parse = parser.parse();
  if (!st_parse.ok()) {
    return Status(st_parse.code(), path + ": " + st_parse.message());
  }
  return f;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t* GgufFile::tensor_data(const GgufTensorInfo& t) const {
  return base_ + data_offset_ + t.offset;
}

}  // namespace teamvl::engine
