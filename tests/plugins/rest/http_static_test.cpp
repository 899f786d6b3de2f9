// The page folder over HTTP: MIME types, and no way out of the folder. Traversal attempts
// go through a raw socket because real clients normalise ".." away before sending.
#include "raw_http.hpp"
#include "rest_server.hpp"

namespace sluice::test {
namespace {

using RestStatic = RestServerTest;

TEST_F(RestStatic, ServesThePageWithMimeTypes) {
  struct Case {
    const char* target;
    const char* type;
    const char* body;
  };
  for (const Case& c : {Case{"/", "text/html; charset=utf-8", "<!doctype html><title>t</title>"},
                        Case{"/index.html", "text/html; charset=utf-8", "<!doctype html><title>t</title>"},
                        Case{"/app.js", "text/javascript; charset=utf-8", "console.log(1);"},
                        Case{"/css/style.css", "text/css; charset=utf-8", "body{}"},
                        Case{"/alias.js", "text/javascript; charset=utf-8", "console.log(1);"}}) {
    auto res = raw_get(port(), c.target);
    ASSERT_TRUE(res) << c.target;
    EXPECT_EQ(res->status, 200) << c.target;
    EXPECT_EQ(res->header("content-type"), c.type) << c.target;
    EXPECT_EQ(res->header("x-content-type-options"), "nosniff") << c.target;
    EXPECT_EQ(res->body, c.body) << c.target;
  }
}

TEST_F(RestStatic, TraversalAttemptsNeverLeaveTheFolder) {
  const std::string outside = outside_dir().filename().string();  // "outside", a sibling of the page folder
  for (const std::string& target : std::vector<std::string>{
           "/../" + outside + "/secret.txt", "/%2e%2e/" + outside + "/secret.txt", "/%2E%2E/" + outside + "/secret.txt",
           "/.%2e/" + outside + "/secret.txt", "/css/../../" + outside + "/secret.txt",
           "/css/..%2f..%2f" + outside + "/secret.txt", "/..%5c" + outside + "%5csecret.txt", "/..\\" + outside,
           "/escape.txt", "/escape_dir/secret.txt", outside_dir().string() + "/secret.txt", "//etc/passwd",
           "/etc/passwd", "/%2fetc%2fpasswd", "/.hidden", "/css/%00.css", "/%", "http://localhost/../etc/passwd"}) {
    auto res = raw_get(port(), target);
    ASSERT_TRUE(res) << target;
    EXPECT_TRUE(res->status == 400 || res->status == 404) << target << " -> " << res->status;
    EXPECT_EQ(res->body.find("TOP SECRET"), std::string::npos) << target;
    EXPECT_EQ(res->header("content-type"), "application/json") << target;
  }
}

TEST_F(RestStatic, EncodedDotsAndSlashesAre400) {
  for (const char* target : {"/%2e%2e/x", "/a%2fb", "/..%5cx", "/../x"}) {
    auto res = raw_get(port(), target);
    ASSERT_TRUE(res) << target;
    EXPECT_EQ(res->status, 400) << target;
  }
}

}  // namespace
}  // namespace sluice::test
