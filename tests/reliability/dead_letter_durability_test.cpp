// A dead letter is as durable as the position past it (README.md, "Delivery guarantees", Bad
// input), through the real default pipeline: a stream mixing valid orders, orders the validator
// refuses and orders only the DATABASE refuses (a CHECK constraint the validator cannot know),
// `sluice run` killed with -9 again and again, right after a batch with a refused order committed
// and at random moments, and restarted. Meanwhile a checker samples every 100 ms that no stored
// position stands past a record that is neither stored nor dead-lettered; at the end every
// published message is accounted for exactly once: an order in `orders` or one letter.
//
// Twice: with the dead letters in the orders' database (the default pipeline) and in another one.
// A trigger makes every db_refused letter's INSERT take 250 ms, so the moment between the orders'
// commit and a letter written after it is wide open. Before the letters of database-refused
// orders were stored in the batch's own transaction (or, elsewhere, before it committed), the
// checker saw positions past records with no letter, and a kill at the "database refused" log
// line lost that letter for good (26 of 30 lost in one run).
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "accounting_checker.hpp"
#include "default_pipeline.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

constexpr int kMessages = 300;
constexpr int kKills = 5;

// Message i: every 10th from 3 on only the database refuses, every 10th from 7 on the validator.
std::string uid_of(int i) {
  if (i % 10 == 3) return "refuse-" + std::to_string(i);
  if (i % 10 == 7) return "bad-" + std::to_string(i);
  return "ok-" + std::to_string(i);
}

std::string message_of(int i) {
  auto order = make_order(uid_of(i));
  if (i % 10 == 7) order["payment"]["amount"] = -1;  // negative_money
  return order.dump();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

struct Published {
  std::string uid;
  int partition = 0;
  long long offset = 0;
};

std::vector<Published> published_positions(const std::string& json_lines) {
  std::vector<Published> out;
  std::istringstream in(json_lines);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    out.push_back({j.at("key").get<std::string>(), j.at("partition").get<int>(), j.at("offset").get<long long>()});
  }
  return out;
}

// The pipeline's dead letters go to `letters_dsn` instead of the orders' database: the shipped
// file with the dead-letter sink's dsn changed, nothing else.
void send_letters_to(DefaultPipeline& p, const std::string& letters_dsn) {
  std::string text = read_file(p.pipeline_file());
  auto section = text.find("\ndead_letter:");
  ASSERT_NE(section, std::string::npos);
  auto dsn = text.find("    dsn: ", section);
  ASSERT_NE(dsn, std::string::npos);
  text.replace(dsn, text.find('\n', dsn) - dsn, "    dsn: \"" + letters_dsn + "\"");
  write_file(p.pipeline_file(), text);
}

// Every message exactly once, through kills: the letters in the orders' database (`elsewhere`
// false: stored in the batch's transaction) or in another one (kept before the commit).
void kill_and_account(bool elsewhere) {
  DefaultPipeline p({.name = elsewhere ? "dead-letter-elsewhere" : "dead-letter-durability",
                     .partitions = 2,
                     .own_pipeline_file = elsewhere});
  PostgresCluster& db = p.db();
  std::string letters_dsn = db.dsn();
  if (elsewhere) {
    db.query("CREATE DATABASE letters");
    letters_dsn = db.dsn().substr(0, db.dsn().rfind('/') + 1) + "letters";
    send_letters_to(p, letters_dsn);
    if (::testing::Test::HasFatalFailure()) return;
  }
  auto letters_query = [&](const std::string& sql) { return elsewhere ? db.query_in("letters", sql) : db.query(sql); };
  auto letters_scalar = [&](const std::string& sql) {
    auto rows = letters_query(sql);
    return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
  };
  auto rng = seeded_rng();
  // A first run creates the schema; then the rule the validator cannot know, and the slow letter.
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.wait_for(
      [&] {
        return db.scalar("SELECT to_regclass('orders') IS NOT NULL") == "t" &&
               letters_scalar("SELECT to_regclass('dead_letters') IS NOT NULL") == "t";
      },
      60s))
      << p.logs();
  ASSERT_EQ(p.terminate(30s), 0) << p.logs();
  p.db().query("ALTER TABLE orders ADD CONSTRAINT no_refuse CHECK (order_uid NOT LIKE 'refuse-%')");
  letters_query(
      "CREATE FUNCTION slow_refused_letter() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      " IF NEW.reason = 'db_refused' THEN PERFORM pg_sleep(0.25); END IF; RETURN NEW; END $$");
  letters_query(
      "CREATE TRIGGER slow_refused_letter BEFORE INSERT ON dead_letters FOR EACH ROW"
      " EXECUTE FUNCTION slow_refused_letter()");

  std::string lines;
  for (int i = 1; i <= kMessages; ++i) lines += message_of(i) + "\n";
  auto file =
      scratch_dir(elsewhere ? "dead-letter-elsewhere-orders" : "dead-letter-durability-orders") / "mixed.ndjson";
  write_file(file, lines);
  AccountingChecker checker({.dsn = db.dsn(), .letters_dsn = letters_dsn});
  Process publisher({sluice_binary().string(), "publish", "--brokers", p.broker().address(), "--topic", p.topic(),
                     "--file", file.string(), "--rate", "10", "--json", "--timeout", "180"});
  ASSERT_TRUE(p.start()) << p.logs();

  // Odd kills land right after the postgres sink logged that a batch with refused orders
  // committed (where a letter written after the commit is still on its way); even ones at a
  // random moment after this run stored something. Kills stop when the stream is all consumed.
  std::uniform_int_distribution<int> moment_ms(0, 1000);
  auto consumed = [&] { return !publisher.running() && p.stored_offsets() == p.end_offsets(); };
  int kills = 0;
  while (kills < kKills) {
    bool due = false;
    if (kills % 2 == 0) {
      const std::size_t before = count_of(p.process().err(), "the database refused");
      ASSERT_TRUE(p.wait_for(
          [&] { return (due = count_of(p.process().err(), "the database refused") > before) || consumed(); }, 60s, 5ms))
          << p.logs();
    } else {
      const long long stored = p.stored().value_or(0);
      ASSERT_TRUE(p.wait_for([&] { return (due = p.stored().value_or(0) > stored) || consumed(); }, 60s, 20ms))
          << p.logs();
      std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    }
    if (!due) break;
    p.kill9();
    ++kills;
    std::cout << "kill -9 #" << kills << ": " << p.stored().value_or(-1) << " orders, "
              << letters_scalar("SELECT count(*) FROM dead_letters") << " letters" << std::endl;
    ASSERT_TRUE(p.start()) << p.logs();
  }
  EXPECT_GE(kills, 3) << "the stream ended before the kills were done" << p.logs();

  ASSERT_EQ(publisher.wait(120s), 0) << publisher.err();
  ASSERT_TRUE(wait_until([&] { return p.stored_offsets() == p.end_offsets(); }, 60s, 100ms)) << p.logs();
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  checker.stop();
  std::cout << "accounting: " << checker.summary() << std::endl;
  EXPECT_EQ(checker.violation_count(), 0u) << checker.summary() << p.logs();

  // Every published message exactly once: an order (ok-) or one letter (refuse-, bad-).
  auto published = published_positions(publisher.out());
  ASSERT_EQ(published.size(), static_cast<std::size_t>(kMessages)) << publisher.err();
  std::map<std::pair<int, long long>, int> orders;
  for (const auto& row : p.db().query("SELECT source_partition, source_offset FROM orders")) {
    ++orders[{std::stoi(row.at(0)), std::stoll(row.at(1))}];
  }
  std::map<std::pair<int, long long>, int> letters;
  for (const auto& row : letters_query("SELECT source_partition, source_offset FROM dead_letters")) {
    ++letters[{std::stoi(row.at(0)), std::stoll(row.at(1))}];
  }
  std::size_t checked = 0;
  for (const Published& m : published) {
    const std::pair<int, long long> at{m.partition, m.offset};
    const bool valid = m.uid.rfind("ok-", 0) == 0;
    EXPECT_EQ(orders[at], valid ? 1 : 0) << m.uid << " at " << m.partition << "@" << m.offset;
    EXPECT_EQ(letters[at], valid ? 0 : 1) << m.uid << " at " << m.partition << "@" << m.offset;
    ++checked;
  }
  EXPECT_EQ(p.db().scalar("SELECT count(*) FROM orders"), std::to_string(kMessages * 8 / 10));
  EXPECT_EQ(letters_scalar("SELECT count(*) FROM dead_letters WHERE reason = 'db_refused'"),
            std::to_string(kMessages / 10));
  EXPECT_EQ(letters_scalar("SELECT count(*) FROM dead_letters WHERE reason = 'negative_money'"),
            std::to_string(kMessages / 10));
  std::cout << checked << " messages accounted for; letters counted up by redelivery: "
            << letters_scalar("SELECT count(*) FROM dead_letters WHERE attempts > 1") << std::endl;
}

TEST(DeadLetterDurability, KillDashNineNeverLosesNorDoublesALetter) { kill_and_account(false); }

// The dead-letter sink on another database: the letters are kept there before the orders commit.
TEST(DeadLetterDurability, LettersInAnotherDatabaseAreKeptBeforeThePositionMoves) { kill_and_account(true); }

}  // namespace
}  // namespace sluice::test
