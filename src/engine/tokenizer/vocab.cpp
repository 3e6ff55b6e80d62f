#include "engine/tokenizer/vocab.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace teamvl::engine {
namespace {

using namespace token_attr;

// Pre-tokenizer names llama.cpp maps to its QWEN2 rules.
bool is_qwen2_pre(std::string_view pre) {
  for (std::string_view p : {"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"}) {
    if (pre == p) return true;
  }
  return false;
}

uint32_t attr_from_type(int32_t type) {
  switch (static_cast<GgufTokenType>(type)) {
    case GgufTokenType::kUnknown: return kUnknown;
    case GgufTokenType::kUnused: return kUnused;
    case GgufTokenType::kNormal: return kNormal;
    case GgufTokenType::kControl: return kControl;
    case GgufTokenType::kUserDefined: return kUserDefined;
    case GgufTokenType::kByte: return kByte;
    default: return kUndefined;
  }
}

using Names = std::vector<std::string_view>;

bool text_in(std::string_view text, const Names& names) {
  return std::find(names.begin(), names.end(), text) != names.end();
}

// Token texts llama.cpp recognizes when the GGUF has no id for the role. The
// first token found (we scan in id order) takes the role and becomes CONTROL.
struct DetectRule {
  int32_t Vocab::*id;
  Names names;
};

const DetectRule kDetectRules[] = {
    {&Vocab::eot_id, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                      "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                      "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                      "<end_of_utterance>"}},
    {&Vocab::eom_id, {"<|eom_id|>"}},
    {&Vocab::fim_pre_id, {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                          "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>", "<PRE>",
                          "\xE2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>"}},
    {&Vocab::fim_suf_id, {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                          "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>", "<SUF>",
                          "\xE2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>"}},
    {&Vocab::fim_mid_id, {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                          "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>", "<MID>",
                          "\xE2\x96\x81<MID>", "<|code_middle|>", "<|middle|>"}},
    {&Vocab::fim_pad_id, {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}},
    {&Vocab::fim_rep_id, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}},
    {&Vocab::fim_sep_id, {"<|file_sep|>"}},
};

// Texts that always end generation (and are forced CONTROL).
const Names kEogNames = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "[e~["};

Status build_tokens(const VocabSpec& spec, Vocab* v) {
  const size_t n = spec.tokens.size();
  if (n == 0) return Status::InvalidArgument("tokenizer.ggml.tokens: expected a non-empty list, found none");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::InvalidArgument("tokenizer.ggml.tokens: too many tokens");
  if (!spec.token_types.empty() && spec.token_types.size() < n) {
    return Status::InvalidArgument("tokenizer.ggml.token_type: expected at least " + std::to_string(n) +
                                   " entries, found " + std::to_string(spec.token_types.size()));
  }
  v->texts.resize(n);
  v->attrs.resize(n);
  v->text_to_id.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string text = spec.tokens[i].empty() ? "[EMPTY_" + std::to_string(i) + "]" : spec.tokens[i];
    const auto [it, inserted] = v->text_to_id.emplace(text, static_cast<int32_t>(i));
    if (!inserted) {
      return Status::InvalidArgument("tokenizer.ggml.tokens: duplicate token '" + text + "' at ids " +
                                     std::to_string(it->second) + " and " + std::to_string(i));
    }
    v->texts[i] = std::move(text);
    v->attrs[i] = spec.token_types.empty() ? kNormal : attr_from_type(spec.token_types[i]);
  }
  return Status::Ok();
}

void apply_special_ids(const VocabSpec& spec, Vocab* v) {
  // llama.cpp's defaults for gpt2-type vocabularies, disabled when out of range.
  v->bos_id = v->valid(11) ? 11 : -1;
  v->eos_id = v->valid(11) ? 11 : -1;
  const auto set = [&](int32_t& dst, const std::optional<int32_t>& src) {
    if (src && v->valid(*src)) dst = *src;  // a bad id keeps the default
  };
  set(v->bos_id, spec.bos_id);
  set(v->eos_id, spec.eos_id);
  set(v->eot_id, spec.eot_id);
  set(v->eom_id, spec.eom_id);
  set(v->unk_id, spec.unk_id);
  set(v->pad_id, spec.pad_id);
  set(v->fim_pre_id, spec.fim_pre_id);
  set(v->fim_suf_id, spec.fim_suf_id);
  set(v->fim_mid_id, spec.fim_mid_id);
  set(v->fim_pad_id, spec.fim_pad_id);
  set(v->fim_rep_id, spec.fim_rep_id);
  set(v->fim_sep_id, spec.fim_sep_id);
}

void detect_roles_by_text(Vocab* v) {
  for (int32_t id = 0; id < v->size(); ++id) {
    const std::string& text = v->texts[id];
    for (const DetectRule& rule : kDetectRules) {
      int32_t& role = v->*rule.id;
      if (role < 0 && text_in(text, rule.names)) {
        role = id;
        v->attrs[id] |= kControl;
      }
    }
  }
  // Control tokens named "...unused..." are unused.
  for (int32_t id = 0; id < v->size(); ++id) {
    if ((v->attrs[id] & kControl) && v->texts[id].find("unused") != std::string::npos) {
      v->attrs[id] |= kUnused;
    }
  }
}

void build_eog(Vocab* v) {
  std::set<int32_t> eog;
  for (int32_t id : {v->fim_pad_id, v->fim_rep_id, v->fim_sep_id}) {
    if (id >= 0) eog.insert(id);
  }
  for (int32_t id = 0; id < v->size(); ++id) {
    if (text_in(v->texts[id], kEogNames)) {
      eog.insert(id);
      v->attrs[id] |= kControl;
    }
  }
  // gpt-oss: these are always rendered.
  for (int32_t id = 0; id < v->size(); ++id) {
    if (text_in(v->texts[id], {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"})) {
      v->attrs[id] = kUserDefined;
    }
  }
  for (int32_t id : {v->eos_id, v->eot_id, v->eom_id}) {
    if (id >= 0) eog.insert(id);
  }
  const auto eog_id_of = [&](std::string_view text) -> int32_t {
    for (int32_t id : eog) {
      if (v->texts[id] == text) return id;
    }
    return -1;
  };
  // harmony / solar-open: "<|end|>" ends a message, not the generation.
  const int32_t end_id = eog_id_of("<|end|>");
  const bool has_call = eog_id_of("<|call|>") >= 0 || eog_id_of("<|calls|>") >= 0;
  if (end_id >= 0 && has_call && (eog_id_of("<|return|>") >= 0 || eog_id_of("<|flush|>") >= 0)) {
    eog.erase(end_id);
    v->attrs[end_id] = kUserDefined;
  }
  // gemma4 / paddleocr: "</s>" is text when "<|tool_response>" exists.
  const int32_t s_id = eog_id_of("</s>");
  if (s_id >= 0 && eog_id_of("<|tool_response>") >= 0) {
    eog.erase(s_id);
    v->attrs[s_id] = kNormal;
  }
  v->eog_ids.assign(eog.begin(), eog.end());
}

void build_special_order(Vocab* v) {
  for (int32_t id = 0; id < v->size(); ++id) {
    if (v->attrs[id] & (kControl | kUserDefined | kUnknown)) v->special_order.push_back(id);
  }
  std::stable_sort(v->special_order.begin(), v->special_order.end(), [&](int32_t a, int32_t b) {
    return v->texts[a].size() > v->texts[b].size();
  });
}

}  // namespace

Result<Vocab> resolve_vocab(const VocabSpec& spec) {
  if (spec.model != "gpt2") {
    return Status::InvalidArgument("tokenizer.ggml.model: expected 'gpt2' (byte-level BPE), found '" +
                                   spec.model + "'");
  }
  if (!is_qwen2_pre(spec.pre)) {
    return Status::InvalidArgument("tokenizer.ggml.pre: expected 'qwen2' (the Qwen2/Qwen3 pre-tokenizer), found '" +
                                   spec.pre + "'");
  }
  Vocab v;
  TEAMVL_RETURN_IF_ERROR(build_tokens(spec, &v));
  apply_special_ids(spec, &v);
  detect_roles_by_text(&v);
  build_eog(&v);
  build_special_order(&v);
  v.add_bos = spec.add_bos;
  v.add_eos = spec.add_eos;
  return v;
}

}  // namespace teamvl::engine
