// The real binary: `sluice run` with a file source -> order_validate -> postgres -> cache,
// dead letters to postgres_dead_letter. Orders land once, bad lines land in dead_letters
// with reasons, and replaying the whole file changes nothing but the attempt counts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/order_samples.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// The invalid corpus as NDJSON lines (their line breaks are JSON whitespace); the empty
// message is left out because the file source skips empty lines.
std::vector<std::string> corpus_lines() {
  std::ifstream manifest(source_dir() / "tests/fixtures/orders/invalid/cases.tsv");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string file = line.substr(0, line.find('\t'));
    std::string text = read_file(source_dir() / "tests/fixtures/orders/invalid" / file);
    for (char& c : text) {
      if (c == '\n') c = ' ';
    }
    if (text.find_first_not_of(' ') == std::string::npos) continue;
    lines.push_back(text);
  }
  return lines;
}

class FilePipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("file-to-postgres");
    cluster_ = std::make_unique<PostgresCluster>("file-to-postgres-db");
    std::ostringstream pipeline;
    pipeline << "name: file-to-postgres-test\n"
             << "source:\n  plugin: file\n  config:\n"
             << "    path: " << (dir_ / "orders.ndjson").string() << "\n"
             << "    position_file: " << (dir_ / "orders.position").string() << "\n"
             << "transforms:\n  - plugin: order_validate\n"
             << "sinks:\n"
             << "  - { id: db, plugin: postgres_orders, config: { dsn: \"" << cluster_->dsn() << "\" } }\n"
             << "  - { id: cache, plugin: memory_cache, config: { warm_from: db } }\n"
             << "dead_letter:\n  plugin: postgres_dead_letter\n  config: { dsn: \"" << cluster_->dsn() << "\" }\n";
    write_file(dir_ / "pipeline.yaml", pipeline.str());
  }

  RunResult sluice(const std::string& command) {
    return run({sluice_binary().string(), command, (dir_ / "pipeline.yaml").string()}, 120s,
               {.env = {}, .cwd = dir_, .stdin_text = {}});
  }

  std::filesystem::path dir_;
  std::unique_ptr<PostgresCluster> cluster_;
};

TEST_F(FilePipeline, MigrateCreatesTheSchema) {
  // Every shipped migration once, however many there are by now.
  std::size_t shipped = 0;
  // Every plugin's set: sql/postgres/, sql/postgres_dead_letter/.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir() / "sql")) {
    shipped += entry.path().extension() == ".sql";
  }
  ASSERT_GT(shipped, 0u);
  RunResult result = sluice("migrate");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM schema_migrations"), std::to_string(shipped));
  result = sluice("migrate");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM schema_migrations"), std::to_string(shipped));
}

TEST_F(FilePipeline, OrdersLandOnceAndBadLinesAreDeadLettered) {
  auto bad = corpus_lines();
  std::string file = read_file(source_dir() / "tests/fixtures/model.json");
  for (char& c : file) {
    if (c == '\n') c = ' ';
  }
  file += "\n";
  constexpr int generated = 1000;
  for (int i = 0; i < generated; ++i) {
    file += make_order("gen-" + std::to_string(i), i).dump() + "\n";
    if (i % 30 == 0 && static_cast<std::size_t>(i / 30) < bad.size()) file += bad[i / 30] + "\n";
  }
  for (std::size_t k = generated / 30 + 1; k < bad.size(); ++k) file += bad[k] + "\n";
  write_file(dir_ / "orders.ndjson", file);

  RunResult result = sluice("run");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM orders"), std::to_string(generated + 1));
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM items"),
            cluster_->scalar("SELECT count(*) FROM items i JOIN orders o USING (order_uid)"));
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM dead_letters"), std::to_string(bad.size()));
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM dead_letters WHERE reason = '' OR stage = ''"), "0");
  EXPECT_EQ(cluster_->scalar("SELECT count(DISTINCT reason) > 10 FROM dead_letters"), "t");
  std::string lines = std::to_string(generated + 1 + bad.size());
  EXPECT_EQ(cluster_->scalar("SELECT next_offset FROM offsets"), lines);

  // Nothing new: the file source resumes after the last line.
  result = sluice("run");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM orders"), std::to_string(generated + 1));

  // Replay everything (position file lost): effectively-once, dead letters count attempts.
  std::filesystem::remove(dir_ / "orders.position");
  result = sluice("run");
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM orders"), std::to_string(generated + 1));
  EXPECT_EQ(cluster_->scalar("SELECT count(*) FROM dead_letters"), std::to_string(bad.size()));
  EXPECT_EQ(cluster_->scalar("SELECT min(attempts) FROM dead_letters"), "2");
  // The warm-up at the start of the last run saw every stored order.
  EXPECT_NE(result.err.find("warm-up done: " + std::to_string(generated + 1) + " entries"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace sluice::test
