#include "rest_server.hpp"

#include "support/process.hpp"

namespace sluice::test {

std::string sample_order_json() { return read_file(source_dir() / "tests/fixtures/model.json"); }

void RestServerTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto scratch = scratch_dir(std::string("rest-") + info->test_suite_name() + "-" + info->name());
  page_dir_ = scratch / "page";
  outside_dir_ = scratch / "outside";
  std::filesystem::create_directories(page_dir_ / "css");
  std::filesystem::create_directories(outside_dir_);
  write_file(page_dir_ / "index.html", "<!doctype html><title>t</title>");
  write_file(page_dir_ / "app.js", "console.log(1);");
  write_file(page_dir_ / "css/style.css", "body{}");
  write_file(page_dir_ / ".hidden", "hidden");
  write_file(outside_dir_ / "secret.txt", "TOP SECRET");
  // A link inside the page folder that points out of it: must never be followed.
  std::filesystem::create_symlink(outside_dir_ / "secret.txt", page_dir_ / "escape.txt");
  std::filesystem::create_directory_symlink(outside_dir_, page_dir_ / "escape_dir");
  // A link that stays inside is fine.
  std::filesystem::create_symlink(page_dir_ / "app.js", page_dir_ / "alias.js");

  host.add_store("cache", &cache);
  host.add_store("db", &db);
  nlohmann::json config{{"listen", "127.0.0.1:0"},
                        {"static_dir", page_dir_.string()},
                        {"lookup", {"cache", "db"}},
                        {"threads", 2},
                        {"recent_limit", 50},
                        // The tests of routes read without tokens; auth_server.hpp's add them.
                        {"read_auth", "open"}};
  config.update(extra_config());
  api = std::make_unique<rest::RestApi>(Config(config), host);
  Status started = api->start();
  ASSERT_TRUE(started.is_ok()) << started.message();
  port_ = api->port();
  ASSERT_GT(port_, 0);
}

void RestServerTest::TearDown() {
  if (api) api->stop();
}

}  // namespace sluice::test
