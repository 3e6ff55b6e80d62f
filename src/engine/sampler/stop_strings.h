// Stop strings on detokenized text. A stop string may be split across tokens,
// so text that could still become a stop string is held back until it cannot.
// Not thread-safe; one per sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace teamvl::engine {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  struct Output {
    std::string text;      // text that is safe to show now
    bool stopped = false;  // a stop string was completed; text ends just before it
    std::string matched;   // the stop string that matched
  };
  // Appends newly decoded text (complete UTF-8). After a stop, feed() returns
  // nothing more.
  Output feed(std::string_view text);
  // Releases the held-back text at the end of the stream (no stop happened).
  std::string flush();
  bool stopped() const { return stopped_; }
  // Text currently held back (a possible beginning of a stop string).
  const std::string& held() const { return held_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace teamvl::engine
