// The file sink on its own (no process): lines appended per batch, and the unfinished last
// line a crash during write() can leave is cut at open, so the batch sent again starts on a
// line of its own (README.md, "Delivery guarantees": at-least-once into a plain file).
#include "file_sink.hpp"

#include <gtest/gtest.h>

#include "support/plugin_test_host.hpp"
#include "support/process.hpp"

namespace sluice::file_plugin {
namespace {

Batch lines(std::initializer_list<const char*> values) {
  Batch batch;
  for (const char* value : values) {
    Record record;
    record.value = value;
    batch.records.push_back(record);
  }
  return batch;
}

void append_batch(const std::filesystem::path& path, Batch batch) {
  test::PluginTestHost host;
  FileSinkSettings settings;
  settings.path = path.string();
  FileSink sink(settings, host);
  ASSERT_TRUE(sink.open().is_ok());
  Outcome outcome;
  ASSERT_TRUE(sink.write(batch, outcome).is_ok());
  sink.close();
}

TEST(FileSink, AppendsOneLinePerRecordAcrossOpens) {
  const auto path = test::scratch_dir("file-sink") / "out.ndjson";
  append_batch(path, lines({"{\"n\":1}", "{\"n\":2}"}));
  append_batch(path, lines({"{\"n\":3}"}));
  EXPECT_EQ(test::read_file(path), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
}

TEST(FileSink, AnUnfinishedLastLineIsCutAtOpen) {
  const auto path = test::scratch_dir("file-sink") / "out.ndjson";
  test::write_file(path, "{\"n\":1}\n{\"n\":2}\n{\"n\"");  // a write stopped by kill -9
  append_batch(path, lines({"{\"n\":2}", "{\"n\":3}"}));   // the uncommitted batch again
  EXPECT_EQ(test::read_file(path), "{\"n\":1}\n{\"n\":2}\n{\"n\":2}\n{\"n\":3}\n");
}

TEST(FileSink, AFileOfOneUnfinishedLineLongerThanAReadIsEmptiedAtOpen) {
  const auto path = test::scratch_dir("file-sink") / "out.ndjson";
  test::write_file(path, std::string(10000, 'x'));
  append_batch(path, lines({"{\"n\":1}"}));
  EXPECT_EQ(test::read_file(path), "{\"n\":1}\n");
}

TEST(FileSink, ACompleteFileIsLeftAsItIs) {
  const auto path = test::scratch_dir("file-sink") / "out.ndjson";
  const std::string kept = std::string(5000, 'a') + "\n" + std::string(5000, 'b') + "\n";
  test::write_file(path, kept);
  append_batch(path, lines({"c"}));
  EXPECT_EQ(test::read_file(path), kept + "c\n");
}

}  // namespace
}  // namespace sluice::file_plugin
