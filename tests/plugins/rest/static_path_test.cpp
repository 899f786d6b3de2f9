// The rules that keep static file serving inside its folder, without HTTP.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "static_files.hpp"
#include "support/process.hpp"

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

// A FIFO in the folder (planted, or left by a tool) made open() wait for a writer: the event
// loop thread serving files blocked, and with it every request. Only regular files are served.
TEST(StaticFilesRead, AFifoInTheFolderIsNotFoundAtOnce) {
  auto dir = sluice::test::scratch_dir("static-fifo");
  const auto fifo = dir / "pipe.html";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  StaticFiles files;
  std::string error;
  ASSERT_TRUE(files.open(dir, &error)) << error;
  auto answer = std::async(std::launch::async, [&] {
    std::string body;
    const char* type = nullptr;
    return files.read("/pipe.html", body, type);
  });
  if (answer.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK));  // a writer lets the blocked open return
    FAIL() << "serving a FIFO blocked";
  }
  EXPECT_EQ(answer.get(), StaticResult::not_found);
}
