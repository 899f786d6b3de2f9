// The rules that keep static file serving inside its folder, without HTTP.
#include <gtest/gtest.h>

#include "static_files.hpp"

using namespace sluice::rest;

namespace {

StaticResult verdict(std::string_view target, std::string* relative = nullptr) {
  std::string out;
  StaticResult r = relative_static_path(target, out);
  if (relative) *relative = out;
  return r;
}

}  // namespace

TEST(StaticPath, MapsOrdinaryPaths) {
  std::string rel;
  EXPECT_EQ(verdict("/", &rel), StaticResult::ok);
  EXPECT_EQ(rel, "index.html");
  EXPECT_EQ(verdict("/app.js", &rel), StaticResult::ok);
  EXPECT_EQ(rel, "app.js");
  EXPECT_EQ(verdict("/css//a%20b.css", &rel), StaticResult::ok);
  EXPECT_EQ(rel, "css/a b.css");
}

TEST(StaticPath, RefusesTraversalInEveryDisguise) {
  for (const char* target : {"/..", "/../etc/passwd", "/css/../../x", "/%2e%2e/x", "/%2E%2e/x", "/.%2e/x",
                             "/css/%2e%2e/%2e%2e/etc/passwd", "/./index.html", "/a%2fb", "/a%2F..%2Fb", "/a%5cb",
                             "/a\\..\\b", "/a%00b", "/bad%zz", "/trunc%2", "etc/passwd", ""}) {
    EXPECT_EQ(verdict(target), StaticResult::bad_request) << target;
  }
}

TEST(StaticPath, HidesDotFiles) {
  EXPECT_EQ(verdict("/.git/config"), StaticResult::not_found);
  EXPECT_EQ(verdict("/.env"), StaticResult::not_found);
}

TEST(StaticPath, ContentTypes) {
  EXPECT_STREQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_STREQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_STREQ(content_type_for("style.CSS"), "text/css; charset=utf-8");
  EXPECT_STREQ(content_type_for("x.json"), "application/json");
  EXPECT_STREQ(content_type_for("icon.svg"), "image/svg+xml");
  EXPECT_STREQ(content_type_for("blob"), "application/octet-stream");
}
