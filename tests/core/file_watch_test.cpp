// The watcher behind `sluice run --watch`: each way an editor or a shell saves a file is one
// change, reported once after the debounce; other files in the directory are not changes.
// Files are written with open/write/rename/unlink so each test controls the exact syscalls.
#include "cli/file_watch.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Paths = std::vector<fs::path>;

// Wide enough that the steps of one save, run back to back, fit in it on a loaded machine.
constexpr std::chrono::milliseconds kDebounce = 500ms;
// After the expected call: how long no other call may come (the only timed wait).
constexpr std::chrono::milliseconds kQuiet = 3 * kDebounce;
constexpr std::chrono::seconds kTimeout = 10s;

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return "<missing>";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One open, a write() per part, one close: O_TRUNC as a shell's `>` does.
void save(const fs::path& file, std::initializer_list<std::string_view> parts) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << file << ": " << std::strerror(errno);
  for (auto part : parts) ASSERT_EQ(::write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  ASSERT_EQ(::close(fd), 0);
}

// What the watcher called, with the content of the first reported file as it was then.
class Calls {
 public:
  FileWatch::Changed recorder() {
    return [this](const Paths& changed) {
      std::string content = changed.empty() ? "" : read_text(changed.front());
      std::lock_guard lock(mutex_);
      calls_.push_back(changed);
      contents_.push_back(std::move(content));
      called_.notify_all();
    };
  }
  // Whether there have been at least `count` calls within `timeout`.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock lock(mutex_);
    return called_.wait_for(lock, timeout, [&] { return calls_.size() >= count; });
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  Paths at(std::size_t i) {
    std::lock_guard lock(mutex_);
    return calls_.at(i);
  }
  std::string content_at(std::size_t i) {
    std::lock_guard lock(mutex_);
    return contents_.at(i);
  }

 private:
  std::mutex mutex_;
  std::condition_variable called_;
  std::vector<Paths> calls_;
  std::vector<std::string> contents_;
};

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = (fs::temp_directory_path() / "sluice-file-watch-XXXXXX").string();
    ASSERT_NE(mkdtemp(name.data()), nullptr) << std::strerror(errno);
    dir_ = name;
    file_ = dir_ / "pipeline.yaml";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
  fs::path file_;
};

TEST_F(FileWatchTest, SavingInPlaceInTwoWritesIsOneChange) {
  save(file_, {"old\n"});
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  save(file_, {"stages:\n", "  - name: a\n"});
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{file_});
  EXPECT_EQ(calls.content_at(0), "stages:\n  - name: a\n");
  EXPECT_FALSE(calls.wait_for(2, kQuiet)) << "one save reported twice";
}

// A pause between two write() calls longer than the debounce: the file is reported when the
// writer closes it, never half written.
TEST_F(FileWatchTest, ASlowWriterIsReportedWhenItCloses) {
  save(file_, {"old\n"});
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  int fd = ::open(file_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "first half\n", 11), 11);
  EXPECT_FALSE(calls.wait_for(1, kQuiet)) << "reported while the writer still had the file open";
  ASSERT_EQ(::write(fd, "second half\n", 12), 12);
  ASSERT_EQ(::close(fd), 0);
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.content_at(0), "first half\nsecond half\n");
  EXPECT_FALSE(calls.wait_for(2, kQuiet));
}

// VS Code, sed -i, most atomic writers. The second save proves the watch outlived the
// rename: a watch on the original file's inode would see nothing more.
TEST_F(FileWatchTest, SavingByRenameIsOneChange) {
  save(file_, {"old\n"});
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  save(dir_ / "pipeline.yaml.tmp", {"renamed\n"});
  fs::rename(dir_ / "pipeline.yaml.tmp", file_);
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{file_});
  EXPECT_EQ(calls.content_at(0), "renamed\n");
  EXPECT_FALSE(calls.wait_for(2, kQuiet));

  save(file_, {"in place\n"});
  ASSERT_TRUE(calls.wait_for(2)) << "the watch did not survive the rename";
  EXPECT_EQ(calls.content_at(1), "in place\n");
}

// vim with backupcopy=no (and emacs): probe the directory with a file named 4913, keep a swap
// file, rename the original to a backup, write a new file, delete the backup.
TEST_F(FileWatchTest, VimStyleSaveIsOneChange) {
  save(file_, {"old\n"});
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  save(dir_ / ".pipeline.yaml.swp", {"swap"});
  save(dir_ / "4913", {});
  fs::remove(dir_ / "4913");
  fs::rename(file_, dir_ / "pipeline.yaml~");
  save(file_, {"new\n"});
  fs::remove(dir_ / "pipeline.yaml~");
  fs::remove(dir_ / ".pipeline.yaml.swp");
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{file_});
  EXPECT_EQ(calls.content_at(0), "new\n");
  EXPECT_FALSE(calls.wait_for(2, kQuiet));

  save(file_, {"again\n"});
  ASSERT_TRUE(calls.wait_for(2)) << "the watch did not survive the backup's deletion";
}

TEST_F(FileWatchTest, SeveralQuickSavesAreOneChange) {
  save(file_, {"0\n"});
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  save(file_, {"1\n"});
  save(file_, {"2\n"});
  save(dir_ / "pipeline.yaml.tmp", {"3\n"});
  fs::rename(dir_ / "pipeline.yaml.tmp", file_);
  save(file_, {"4\n"});
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{file_}) << "the file is named once";
  EXPECT_EQ(calls.content_at(0), "4\n");
  EXPECT_FALSE(calls.wait_for(2, kQuiet));
}

TEST_F(FileWatchTest, TwoFilesInOneDirectoryChangedTogetherAreOneChange) {
  fs::path env = dir_ / ".env";
  save(file_, {"old\n"});
  save(env, {"A=1\n"});
  Calls calls;
  FileWatch watch({file_, env}, kDebounce, calls.recorder());
  save(env, {"A=2\n"});
  save(file_, {"new\n"});
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), (Paths{file_, env})) << "in the order given";
  EXPECT_FALSE(calls.wait_for(2, kQuiet));

  // Sharing the directory's watch, each file is still told apart.
  save(env, {"A=3\n"});
  ASSERT_TRUE(calls.wait_for(2));
  EXPECT_EQ(calls.at(1), Paths{env});
}

TEST_F(FileWatchTest, OtherFilesInTheDirectoryAreNotChanges) {
  save(file_, {"old\n"});
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  save(dir_ / ".pipeline.yaml.swp", {"swap"});
  save(dir_ / "4913", {});
  fs::remove(dir_ / "4913");
  save(dir_ / "pipeline.yaml~", {"backup"});
  save(dir_ / "other.yaml", {"other"});
  fs::rename(dir_ / "other.yaml", dir_ / "other2.yaml");
  fs::remove(dir_ / "other2.yaml");
  fs::create_directory(dir_ / "sub");
  save(dir_ / "sub" / "pipeline.yaml", {"same name, other directory"});
  EXPECT_FALSE(calls.wait_for(1, kQuiet)) << "reported " << (calls.count() ? calls.at(0).front() : "");

  // Still watching: the test above did not pass for want of a watcher.
  save(file_, {"new\n"});
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{file_});
}

TEST_F(FileWatchTest, AFileCreatedLaterIsAChange) {
  Calls calls;
  FileWatch watch({file_}, kDebounce, calls.recorder());
  save(file_, {"stages:\n", "  - name: a\n"});
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{file_});
  EXPECT_EQ(calls.content_at(0), "stages:\n  - name: a\n");
  EXPECT_FALSE(calls.wait_for(2, kQuiet));
}

// Resolved against the working directory when the watch starts; reported as given; two
// spellings of one file are one watched file.
TEST_F(FileWatchTest, RelativePathsAreResolvedAtStartAndReportedAsGiven) {
  fs::path before = fs::current_path();
  fs::current_path(dir_);
  Calls calls;
  FileWatch watch({"pipeline.yaml", "./sub/../pipeline.yaml"}, kDebounce, calls.recorder());
  fs::current_path(before);
  save(file_, {"new\n"});
  ASSERT_TRUE(calls.wait_for(1));
  EXPECT_EQ(calls.at(0), Paths{"pipeline.yaml"});
}

TEST_F(FileWatchTest, AMissingDirectoryThrowsNamingThePath) {
  fs::path missing = dir_ / "nowhere" / "pipeline.yaml";
  try {
    FileWatch watch({missing}, kDebounce, [](const Paths&) {});
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
}

// A reload that throws is logged; the next save is still reported.
TEST_F(FileWatchTest, AThrowingCallbackDoesNotEndTheWatch) {
  save(file_, {"old\n"});
  Calls calls;
  auto record = calls.recorder();
  FileWatch watch({file_}, kDebounce, [&](const Paths& changed) {
    record(changed);
    if (calls.count() == 1) throw std::runtime_error("bad pipeline");
  });
  save(file_, {"broken\n"});
  ASSERT_TRUE(calls.wait_for(1));
  save(file_, {"fixed\n"});
  ASSERT_TRUE(calls.wait_for(2));
}

// Nothing to wait for: the destructor wakes the thread's poll. A hang hits ctest's timeout.
TEST_F(FileWatchTest, DestroyingWhileIdleReturnsPromptly) {
  Calls calls;
  auto start = std::chrono::steady_clock::now();
  { FileWatch watch({file_}, std::chrono::hours(1), calls.recorder()); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(calls.count(), 0u);
}

// A change waiting out a long debounce is dropped, not waited for nor reported later.
TEST_F(FileWatchTest, DestroyingWithAChangePendingReturnsPromptlyAndNeverCalls) {
  Calls calls;
  auto start = std::chrono::steady_clock::now();
  {
    FileWatch watch({file_}, std::chrono::hours(1), calls.recorder());
    save(file_, {"new\n"});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(calls.count(), 0u);
}

// The Runtime a reload touches may be destroyed right after the watch: the destructor must
// not return while the callback still runs.
TEST_F(FileWatchTest, DestructorWaitsForACallbackUnderWay) {
  std::mutex mutex;
  std::condition_variable entered_cv;
  bool entered = false, left = false;
  {
    FileWatch watch({file_}, 10ms, [&](const Paths&) {
      {
        std::lock_guard lock(mutex);
        entered = true;
      }
      entered_cv.notify_all();
      std::this_thread::sleep_for(300ms);  // a slow reload, not a synchronisation
      std::lock_guard lock(mutex);
      left = true;
    });
    save(file_, {"new\n"});
    std::unique_lock lock(mutex);
    ASSERT_TRUE(entered_cv.wait_for(lock, kTimeout, [&] { return entered; }));
  }
  std::lock_guard lock(mutex);
  EXPECT_TRUE(left) << "the destructor returned during the callback";
}

}  // namespace
}  // namespace sluice::cli
