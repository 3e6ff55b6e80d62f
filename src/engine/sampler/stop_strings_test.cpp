#include "engine/sampler/stop_strings.h"

#include <gtest/gtest.h>

namespace teamvl::engine {
namespace {

struct Fed {
  std::string shown;
  bool stopped = false;
  std::string matched;
};

Fed feed_all(std::vector<std::string> stops, const std::vector<std::string>& pieces) {
  StopStringMatcher m(std::move(stops));
  Fed f;
  for (const auto& p : pieces) {
    auto out = m.feed(p);
    f.shown += out.text;
    if (out.stopped) {
      f.stopped = true;
      f.matched = out.matched;
      break;
    }
  }
  if (!f.stopped) f.shown += m.flush();
  return f;
}

TEST(StopStringsTest, Table) {
  struct Case {
    const char* name;
    std::vector<std::string> stops;
    std::vector<std::string> pieces;
    std::string shown;
    bool stopped;
  };
  const Case cases[] = {
      {"no stops", {}, {"ab", "cd"}, "abcd", false},
      {"within one piece", {"END"}, {"helloEND world"}, "hello", true},
      {"across pieces", {"END"}, {"hel", "loE", "N", "D!"}, "hello", true},
      {"false start released", {"END"}, {"E", "N", "x"}, "ENx", false},
      {"held text flushed", {"END"}, {"abc", "EN"}, "abcEN", false},
      {"earliest of several", {"xyz", "b"}, {"axyzb"}, "a", true},
      {"multi-byte utf8", {"。"}, {"你好", "\xe3\x80", "\x82"}, "你好", true},
      {"stop at very start", {"<|im_end|>"}, {"<|im_", "end|>"}, "", true},
      {"overlapping prefixes", {"aab"}, {"a", "a", "a", "b"}, "a", true},
      {"empty stop ignored", {""}, {"abc"}, "abc", false},
  };
  for (const auto& c : cases) {
    Fed f = feed_all(c.stops, c.pieces);
    EXPECT_EQ(f.shown, c.shown) << c.name;
    EXPECT_EQ(f.stopped, c.stopped) << c.name;
  }
}

TEST(StopStringsTest, NothingAfterStop) {
  StopStringMatcher m({"x"});
  EXPECT_TRUE(m.feed("axb").stopped);
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.feed("more").text, "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopStringsTest, HoldsOnlyPossiblePrefixes) {
  StopStringMatcher m({"STOP"});
  auto out = m.feed("abcST");
  EXPECT_EQ(out.text, "abc");  // "ST" may become STOP
  out = m.feed("x");
  EXPECT_EQ(out.text, "STx");
}

TEST(StopStringsTest, ReportsWhichStringMatched) {
  Fed f = feed_all({"foo", "bar"}, {"xxba", "r"});
  EXPECT_TRUE(f.stopped);
  EXPECT_EQ(f.matched, "bar");
  EXPECT_EQ(f.shown, "xx");
}

}  // namespace
}  // namespace teamvl::engine
