// StreamDecoder (declared in tokenizer.h): incremental detokenization that
// only ever releases complete, valid UTF-8.
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace teamvl::engine {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool render_special)
    : tokenizer_(&tokenizer), render_special_(render_special) {}

std::string StreamDecoder::feed(int32_t id) {
  const int32_t one[1] = {id};
  return feed(one);
}

std::string StreamDecoder::feed(std::span<const int32_t> ids) {
  pending_ += tokenizer_->decode(ids, render_special_);
  Utf8Split split = split_complete_utf8(pending_, /*final=*/false);
  pending_.erase(0, split.consumed);
  return std::move(split.text);
}

std::string StreamDecoder::flush() {
  Utf8Split split = split_complete_utf8(pending_, /*final=*/true);
  pending_.clear();
  return std::move(split.text);
}

}  // namespace teamvl::engine
