// GET /openapi.json: the built-in OpenAPI 3.1 document (plugins/common/http/openapi.json) on both
// listeners, without a token, with or without a page folder. tests/openapi checks the
// document against a running sluice, route by route.
#include <regex>

#include "auth_server.hpp"
#include "http_metrics.hpp"
#include "openapi_document.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

// Orders need a token here, and the page folder does not exist: the document needs neither.
class OpenApiServed : public AuthServerTest {
 protected:
  nlohmann::json auth_config() const override {
    return {{"read_auth", "token"}, {"static_dir", (page_dir() / "absent").string()}};
  }
  nlohmann::json admin_config() const override { return {{"static_dir", (page_dir() / "absent").string()}}; }
};

nlohmann::json parse_document(const httplib::Result& res, const std::string& where) {
  EXPECT_EQ(res->status, 200) << where << ": " << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << where;
  nlohmann::json doc = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << where << ": not a JSON object";
  return doc;
}

TEST_F(OpenApiServed, OnBothListenersWithoutTokenOrPageFolder) {
  ASSERT_GT(admin_port(), 0);
  // The page folder is absent, and orders do need a token on this server.
  EXPECT_EQ(request(port(), "/index.html", "")->status, 404);
  EXPECT_EQ(request(port(), std::string("/order/") + sample_uid, "")->status, 401);
  for (const int listener : {port(), admin_port()}) {
    const std::string where = "port " + std::to_string(listener);
    auto res = request(listener, "/openapi.json", "");
    ASSERT_TRUE(res) << where;
    const nlohmann::json doc = parse_document(res, where);
    ASSERT_TRUE(doc.is_object());
    ASSERT_TRUE(doc.contains("openapi") && doc["openapi"].is_string()) << where;
    EXPECT_TRUE(std::regex_match(doc["openapi"].get<std::string>(), std::regex(R"(3\.1\.\d+)"))) << doc["openapi"];
    EXPECT_EQ(res->body, http::openapi_document()) << where;
  }
}

TEST_F(OpenApiServed, OnlyGetIsAnswered) {
  for (const int listener : {port(), admin_port()}) {
    auto res = request(listener, "/openapi.json", "", "POST");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 405) << "port " << listener;
    EXPECT_EQ(res->get_header_value("Allow"), "GET");
  }
}

using OpenApiBuiltIn = RestServerTest;

TEST_F(OpenApiBuiltIn, WinsOverAFileOfTheSameNameInThePageFolder) {
  write_file(page_dir() / "openapi.json", R"({"not":"the document"})");
  auto res = httplib::Client("127.0.0.1", port()).Get("/openapi.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, http::openapi_document());
}

// Every route the plugin counts in its metrics is a path of the document.
TEST(OpenApiDocument, DescribesEveryRouteTheCodeKnows) {
  const nlohmann::json doc = nlohmann::json::parse(http::openapi_document());
  ASSERT_TRUE(doc.contains("paths"));
  for (auto route : {rest::Route::order, rest::Route::recent_orders, rest::Route::healthz, rest::Route::readyz,
                     rest::Route::metrics, rest::Route::openapi}) {
    EXPECT_TRUE(doc["paths"].contains(rest::route_label(route))) << rest::route_label(route);
  }
  for (const char* admin :
       {"/admin/status", "/admin/reload", "/admin/dead-letters", "/admin/dead-letters/reasons",
        "/admin/dead-letters/{id}", "/admin/dead-letters/replay", "/admin/dead-letters/discard", "/admin/tap"}) {
    EXPECT_TRUE(doc["paths"].contains(admin)) << admin;
  }
}

}  // namespace
}  // namespace sluice::test
