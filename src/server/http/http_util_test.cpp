#include "server/http/http_util.h"

#include <gtest/gtest.h>

namespace teamvl::server {
namespace {

TEST(PercentDecode, Table) {
  struct Case {
    const char* in;
    bool plus;
    std::optional<std::string> want;
  } cases[] = {
      {"/plain/path", false, "/plain/path"},
      {"%2e%2E", false, ".."},
      {"a%20b", false, "a b"},
      {"a+b", false, "a+b"},
      {"a+b", true, "a b"},
      {"%e2%82%ac", false, "\xe2\x82\xac"},
      {"%2F", false, "/"},
      {"100%", false, std::nullopt},
      {"%4", false, std::nullopt},
      {"%zz", false, std::nullopt},
      {"%00", false, std::nullopt},  // an encoded NUL never reaches a handler
      {"", false, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(percent_decode(c.in, c.plus), c.want) << c.in;
  }
}

TEST(SplitTarget, PathQueryFragment) {
  auto p = split_target("/a/b?x=1&y=2#frag");
  EXPECT_EQ(p.path, "/a/b");
  EXPECT_EQ(p.query, "x=1&y=2");
  p = split_target("/only");
  EXPECT_EQ(p.path, "/only");
  EXPECT_EQ(p.query, "");
  p = split_target("/a#f?notquery");
  EXPECT_EQ(p.path, "/a");
  EXPECT_EQ(p.query, "");
}

TEST(ParseQuery, DecodesAndKeepsFirst) {
  auto q = parse_query("a=1&b=x+y&c&d=%26%3D&a=2&&e=");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->at("a"), "1");
  EXPECT_EQ(q->at("b"), "x y");
  EXPECT_EQ(q->at("c"), "");
  EXPECT_EQ(q->at("d"), "&=");
  EXPECT_EQ(q->at("e"), "");
  EXPECT_EQ(q->size(), 5u);
  EXPECT_FALSE(parse_query("a=%zz").has_value());
  EXPECT_TRUE(parse_query("")->empty());
}

TEST(SplitPath, SegmentsDecodedSeparately) {
  auto s = split_path("/api//v1/files/a%2Fb/");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, (std::vector<std::string>{"api", "v1", "files", "a/b"}));
  EXPECT_TRUE(split_path("/")->empty());
  EXPECT_FALSE(split_path("/a/%g0").has_value());
}

TEST(FindCookie, Table) {
  struct Case {
    const char* header;
    const char* name;
    std::optional<std::string> want;
  } cases[] = {
      {"a=1; b=2", "b", "2"},
      {"a=1;b=2", "a", "1"},
      {"session=\"quoted\"", "session", "quoted"},
      {"  sid = x ; other=y", "sid", "x"},
      {"ab=1", "a", std::nullopt},
      {"novalue; c=3", "c", "3"},
      {"", "a", std::nullopt},
      {"A=1", "a", std::nullopt},  // cookie names are case-sensitive
  };
  for (const auto& c : cases) {
    EXPECT_EQ(find_cookie(c.header, c.name), c.want) << c.header;
  }
}

TEST(JsonEscape, ControlAndQuotes) {
  EXPECT_EQ(json_escape("a\"b\\c\n\t\x01"), "a\\\"b\\\\c\\n\\t\\u0001");
  EXPECT_EQ(json_escape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(json_error_body("not_found", "no \"x\""),
            "{\"error\":{\"code\":\"not_found\",\"message\":\"no \\\"x\\\"\"}}");
}

TEST(FormatSseEvent, Table) {
  struct Case {
    SseStream::Event e;
    std::string want;
  } cases[] = {
      {{"", "", "hello"}, "data: hello\n\n"},
      {{"7", "token", "x"}, "id: 7\nevent: token\ndata: x\n\n"},
      {{"", "", "a\nb"}, "data: a\ndata: b\n\n"},
      {{"", "", "a\r\nb\rc"}, "data: a\ndata: b\ndata: c\n\n"},
      {{"", "", "end\n"}, "data: end\ndata: \n\n"},
      {{"", "", ""}, "data: \n\n"},
      {{"1\n2", "ev\r\nil", "d"}, "id: 12\nevent: evil\ndata: d\n\n"},  // no field injection
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format_sse_event(c.e), c.want) << c.e.data;
  }
}

TEST(HeaderValidation, NamesAndValues) {
  EXPECT_TRUE(valid_header_name("X-Request-Id"));
  EXPECT_FALSE(valid_header_name(""));
  EXPECT_FALSE(valid_header_name("Bad Name"));
  EXPECT_FALSE(valid_header_name("Bad:Name"));
  EXPECT_TRUE(valid_header_value("text/html; charset=utf-8"));
  EXPECT_FALSE(valid_header_value("a\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(valid_header_value(std::string_view("a\0b", 3)));
}

TEST(HttpDate, FormatAndParse) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date(http_date(1700000000)), 1700000000);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").has_value());
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT").has_value());
  EXPECT_FALSE(parse_http_date("").has_value());
}

TEST(Iequals, Basic) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_FALSE(iequals("Content-Type", "content-typ"));
}

}  // namespace
}  // namespace teamvl::server
