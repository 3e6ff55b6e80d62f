// Tokenizer::from_gguf: reads the tokenizer.ggml.* keys into a VocabSpec.
#include <cstdint>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace teamvl::engine {
namespace {

// An optional token id key: absent -> nullopt; present -> its value when it
// fits an int32 (an out-of-vocabulary id is ignored later, like llama.cpp).
Result<std::optional<int32_t>> optional_id(const GgufFile& f, std::string_view key) {
  if (f.find(key) == nullptr) return std::optional<int32_t>();
  TEAMVL_ASSIGN_OR_RETURN(int64_t v, f.get_int(key));
  if (v < 0 || v > INT32_MAX) return std::optional<int32_t>();
  return std::optional<int32_t>(static_cast<int32_t>(v));
}

Status read_ids(const GgufFile& f, VocabSpec* s) {
  struct Key {
    const char* name;
    std::optional<int32_t> VocabSpec::*field;
  };
  static const Key kKeys[] = {
      {"tokenizer.ggml.bos_token_id", &VocabSpec::bos_id},
      {"tokenizer.ggml.eos_token_id", &VocabSpec::eos_id},
      {"tokenizer.ggml.eot_token_id", &VocabSpec::eot_id},
      {"tokenizer.ggml.eom_token_id", &VocabSpec::eom_id},
      {"tokenizer.ggml.unknown_token_id", &VocabSpec::unk_id},
      {"tokenizer.ggml.seperator_token_id", &VocabSpec::sep_id},  // sic, as llama.cpp spells it
      {"tokenizer.ggml.padding_token_id", &VocabSpec::pad_id},
      {"tokenizer.ggml.mask_token_id", &VocabSpec::mask_id},
      {"tokenizer.ggml.fim_pre_token_id", &VocabSpec::fim_pre_id},
      {"tokenizer.ggml.fim_suf_token_id", &VocabSpec::fim_suf_id},
      {"tokenizer.ggml.fim_mid_token_id", &VocabSpec::fim_mid_id},
      {"tokenizer.ggml.fim_pad_token_id", &VocabSpec::fim_pad_id},
      {"tokenizer.ggml.fim_rep_token_id", &VocabSpec::fim_rep_id},
      {"tokenizer.ggml.fim_sep_token_id", &VocabSpec::fim_sep_id},
      // deprecated spellings of the FIM ids
      {"tokenizer.ggml.prefix_token_id", &VocabSpec::fim_pre_id},
      {"tokenizer.ggml.suffix_token_id", &VocabSpec::fim_suf_id},
      {"tokenizer.ggml.middle_token_id", &VocabSpec::fim_mid_id},
  };
  for (const Key& k : kKeys) {
    TEAMVL_ASSIGN_OR_RETURN(std::optional<int32_t> id, optional_id(f, k.name));
    if (id) s->*k.field = id;
  }
  return Status::Ok();
}

Result<VocabSpec> read_spec(const GgufFile& f) {
  VocabSpec s;
  if (f.find("tokenizer.ggml.model") == nullptr) {
    return Status::InvalidArgument(f.path() + ": no tokenizer (key tokenizer.ggml.model is missing)");
  }
  TEAMVL_ASSIGN_OR_RETURN(s.model, f.get_string("tokenizer.ggml.model"));
  if (f.find("tokenizer.ggml.pre") == nullptr) {
    return Status::InvalidArgument(f.path() + ": key tokenizer.ggml.pre is missing (expected 'qwen2')");
  }
  TEAMVL_ASSIGN_OR_RETURN(s.pre, f.get_string("tokenizer.ggml.pre"));
  if (f.find("tokenizer.ggml.tokens") == nullptr) {
    return Status::InvalidArgument(f.path() + ": key tokenizer.ggml.tokens is missing");
  }
  TEAMVL_ASSIGN_OR_RETURN(s.tokens, f.get_string_array("tokenizer.ggml.tokens"));
  if (f.find("tokenizer.ggml.token_type") != nullptr) {
    TEAMVL_ASSIGN_OR_RETURN(std::vector<int64_t> types, f.get_int_array("tokenizer.ggml.token_type"));
    s.token_types.reserve(types.size());
    for (int64_t t : types) s.token_types.push_back(static_cast<int32_t>(t));
  }
  if (f.find("tokenizer.ggml.merges") == nullptr) {
    return Status::InvalidArgument(f.path() + ": key tokenizer.ggml.merges is missing (a gpt2 tokenizer needs merges)");
  }
  TEAMVL_ASSIGN_OR_RETURN(s.merges, f.get_string_array("tokenizer.ggml.merges"));
  TEAMVL_RETURN_IF_ERROR(read_ids(f, &s));
  if (f.find("tokenizer.ggml.add_bos_token") != nullptr) {
    TEAMVL_ASSIGN_OR_RETURN(s.add_bos, f.get_bool("tokenizer.ggml.add_bos_token"));
  }
  if (f.find("tokenizer.ggml.add_eos_token") != nullptr) {
    TEAMVL_ASSIGN_OR_RETURN(s.add_eos, f.get_bool("tokenizer.ggml.add_eos_token"));
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& file) {
  TEAMVL_ASSIGN_OR_RETURN(VocabSpec spec, read_spec(file));
  auto t = create(spec);
  if (!t.ok()) return Status(t.status().code(), file.path() + ": " + t.status().message());
  return t;
}

}  // namespace teamvl::engine
