// The rest plugin inside the real binary: `sluice run` with a file source, order_validate,
// the memory cache and the rest api, checked over HTTP as README.md, "REST API", describes it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "raw_http.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

const char* const sample_uid = "b563feb7b2b84b6test";

class RestPipeline : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("rest_pipeline");
    port_ = free_port();
    sample_ = nlohmann::json::parse(read_file(source_dir() / "tests/fixtures/model.json"));
    nlohmann::json second = sample_;
    second["order_uid"] = "second0order0test";
    second["payment"]["transaction"] = "second0order0test";
    write_file(dir_ / "orders.ndjson", sample_.dump() + "\n" + "this line is not an order\n" + second.dump() + "\n");
    write_file(dir_ / "pipeline.yaml",
               "name: rest-check\n"
               "source:\n"
               "  plugin: file\n"
               "  config: { path: orders.ndjson, position_file: orders.pos, follow: true }\n"
               "transforms:\n"
               "  - plugin: order_validate\n"
               "sinks:\n"
               "  - { id: cache, plugin: memory_cache }\n"
               "api:\n"
               "  - plugin: rest\n"
               "    config:\n"
               "      listen: \"127.0.0.1:" +
                   std::to_string(port_) +
                   "\"\n"
                   "      static_dir: \"" +
                   (source_dir() / "web").string() +
                   "\"\n"
                   "      lookup: [cache]\n"
                   "      read_auth: open\n");
  }

  httplib::Result get(const std::string& path, const std::string& token = "") {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(5, 0);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client.Get(path.c_str(), headers);
  }
  static constexpr const char* read_token = "pipeline-read-token-0123456789";

  std::filesystem::path dir_;
  int port_ = 0;
  nlohmann::json sample_;
};

TEST_F(RestPipeline, ServesWhatThePipelineCached) {
  Process sluice({sluice_binary().string(), "run", (dir_ / "pipeline.yaml").string()},
                 {.env = {{"SLUICE_API_TOKENS", std::string("read:") + read_token}}, .cwd = dir_, .stdin_text = ""});
  const std::string order_path = std::string("/order/") + sample_uid;
  ASSERT_TRUE(wait_until(
      [&] {
        auto res = get("/order/second0order0test");
        return res && res->status == 200;
      },
      30s, 100ms))
      << sluice.err();

  auto order = get(order_path);
  ASSERT_TRUE(order);
  EXPECT_EQ(order->status, 200);
  EXPECT_EQ(order->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(order->body), sample_) << "GET /order must equal the accepted JSON";

  auto missing = get("/order/nosuchorder");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"], "order not found");

  auto invalid = get("/order/not.valid");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 400);
  EXPECT_EQ(nlohmann::json::parse(invalid->body)["error"], "invalid order_uid");

  // read_auth: open serves orders by id; the listing of ids needs a token all the same.
  auto unlisted = get("/api/orders?limit=5");
  ASSERT_TRUE(unlisted);
  EXPECT_EQ(unlisted->status, 401);
  auto recent = get("/api/orders?limit=5", read_token);
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->status, 200);
  EXPECT_EQ(nlohmann::json::parse(recent->body)["orders"], (nlohmann::json{"second0order0test", sample_uid}));

  ASSERT_TRUE(wait_until(
      [&] {
        auto r = get("/readyz");
        return r && r->status == 200;
      },
      10s))
      << sluice.err();
  EXPECT_EQ(get("/healthz")->status, 200);

  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("order-id"), std::string::npos);

  for (const char* escape : {"/../README.md", "/%2e%2e/README.md", "/..%2fREADME.md"}) {
    auto res = raw_get(port_, escape);
    ASSERT_TRUE(res) << escape;
    EXPECT_EQ(res->status, 400) << escape;
  }

  RawConnection connection(port_);
  ASSERT_TRUE(connection.send("GET " + order_path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection.read_response());
  ASSERT_TRUE(connection.send("GET " + order_path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto reused = connection.read_response();
  ASSERT_TRUE(reused) << "second request on a keep-alive connection got no answer";
  EXPECT_EQ(reused->status, 200);

  auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("sluice_records_consumed_total 3"), std::string::npos) << metrics->body;
  // Labels in name order (prometheus-cpp keeps them in a sorted map).
  EXPECT_NE(metrics->body.find(R"(sluice_http_requests_total{code="200",route="/order/{order_uid}"})"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("sluice_cache_hits_total"), std::string::npos);

  sluice.signal(SIGTERM);
  EXPECT_EQ(sluice.wait(20s), 0) << sluice.err();
}

// GET /api/orders with a Bearer token; the status, 0 without an answer.
int status_with_token(int port, const std::string& token) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(5, 0);
  auto res = client.Get("/api/orders", {{"Authorization", "Bearer " + token}});
  return res ? res->status : 0;
}

TEST_F(RestPipeline, TokensRotateOnAReloadOfAnUnchangedPipelineFile) {
  const std::string old_token = "old-read-token-0123456789";
  const std::string new_token = "new-read-token-0123456789";
  const auto tokens = dir_ / "tokens";
  write_file(tokens, "read " + old_token + "\n");
  ::chmod(tokens.c_str(), 0600);
  std::string pipeline = read_file(dir_ / "pipeline.yaml");
  const auto open_reads = pipeline.find("      read_auth: open\n");
  ASSERT_NE(open_reads, std::string::npos);
  pipeline.replace(open_reads, std::string("      read_auth: open\n").size(),
                   "      read_auth: token\n      tokens_env: \"\"\n      tokens_file: \"" + tokens.string() + "\"\n");
  write_file(dir_ / "pipeline.yaml", pipeline);
  Process sluice({sluice_binary().string(), "run", (dir_ / "pipeline.yaml").string()},
                 {.env = {}, .cwd = dir_, .stdin_text = ""});
  ASSERT_TRUE(wait_while_running(
      sluice, [&] { return status_with_token(port_, old_token) == 200; }, 30s))
      << sluice.err();
  EXPECT_EQ(status_with_token(port_, new_token), 401);

  // Rotated in the file only; the pipeline file is untouched.
  write_file(tokens, "read " + new_token + "\n");
  ::chmod(tokens.c_str(), 0600);
  sluice.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return status_with_token(port_, new_token) == 200; }, 20s, 100ms)) << sluice.err();
  EXPECT_EQ(status_with_token(port_, old_token), 401);

  // A tokens file others may read is refused at a reload too: the tokens in use stay.
  write_file(tokens, "read " + old_token + "\n");
  ::chmod(tokens.c_str(), 0644);
  sluice.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return sluice.err().find("has mode 644") != std::string::npos; }, 20s, 100ms))
      << sluice.err();
  EXPECT_EQ(status_with_token(port_, new_token), 200);
  EXPECT_EQ(status_with_token(port_, old_token), 401);

  sluice.signal(SIGTERM);
  EXPECT_EQ(sluice.wait(20s), 0) << sluice.err();
}

}  // namespace
}  // namespace sluice::test
