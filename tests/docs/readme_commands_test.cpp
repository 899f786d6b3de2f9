// Every terminal transcript of the README's Quick start, REST API, CLI and Operating sections
// runs against a real stack (the default pipeline on `sluice broker` and PostgreSQL, as the
// demo starts it), and its output must match what the README shows: the README cannot drift
// from the program. README.md, "Tests", "The README's commands", says how to write one.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "docs/readme_transcripts.hpp"
#include "reliability/default_pipeline.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

const std::string kReadToken = "readme-read-token-0123456789";
const std::string kAdminToken = "readme-admin-token-0123456789";
const std::string kRefusedOrder = R"({"order_uid":"demo-refused-1","track_number":"T"})"
                                  "\n";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// What the README's commands meet: the demo's stack and its environment file (build/demo/env).
class ReadmeStack {
 public:
  ReadmeStack() : admin_port_(free_port()) {
    DefaultPipeline::Options options;
    options.name = "readme";
    options.env = {{"SLUICE_API_TOKENS", "read:" + kReadToken + ",admin:" + kAdminToken},
                   {"ADMIN_LISTEN", "127.0.0.1:" + std::to_string(admin_port_)}};
    pipeline_ = std::make_unique<DefaultPipeline>(options);
    workdir_ = scratch_dir("workdir");
    // The commands run from "a clone": the repository's folders, and room for files they write.
    for (const char* entry : {"config", "web", "compose", "sql", "README.md"}) {
      std::filesystem::create_symlink(source_dir() / entry, workdir_ / entry);
    }
    std::filesystem::create_directories(workdir_ / "build/demo");
    write_file(workdir_ / "build/demo/env", env_file());
  }

  DefaultPipeline& pipeline() { return *pipeline_; }

  // As the demo does (compose/demo.sh): the sample order and 300 generated ones, stored, and
  // one the validator refuses, dead-lettered.
  void publish_like_the_demo() {
    auto sample = run({sluice_binary().string(), "publish", "--brokers", pipeline_->broker().address(), "--sample"});
    ASSERT_EQ(sample.code, 0) << sample.err;
    auto generated = pipeline_->publish(300, "demo");
    ASSERT_EQ(generated->wait(60s), 0) << generated->err();
    auto refused = run({sluice_binary().string(), "publish", "--brokers", pipeline_->broker().address(), "--file", "-"},
                       60s, Process::Options{.env = {}, .cwd = {}, .stdin_text = kRefusedOrder});
    ASSERT_EQ(refused.code, 0) << refused.err;
    ASSERT_TRUE(pipeline_->wait_caught_up(301, 60s)) << pipeline_->logs();
    ASSERT_TRUE(wait_until([&] { return pipeline_->db().scalar("select count(*) from dead_letters") == "1"; }, 30s))
        << pipeline_->logs();
  }

  // Runs one step as a user's shell would, the environment file sourced; stdout and stderr
  // together, in the order written, with this run's ports shown as the README's.
  RunResult run_step(const TranscriptStep& step) {
    std::string command = step.command;
    replace_all(command, "localhost:8081", "127.0.0.1:" + std::to_string(pipeline_->http_port()));
    replace_all(command, "localhost:8082", "127.0.0.1:" + std::to_string(admin_port_));
    replace_all(command, "127.0.0.1:8082", "127.0.0.1:" + std::to_string(admin_port_));
    // Lower-case shell variables a step sets (`pos=$(...)`) live on into the next steps, as
    // in one terminal; the environment file's are upper case.
    std::string script =
        "source build/demo/env\n"
        "if [ -f .transcript-vars ]; then source .transcript-vars; fi\n"
        "keep_vars() {\n"
        "  local names; names=$(compgen -v | grep -E '^[a-z][a-z0-9_]*$' | grep -vx names)\n"
        "  if [ -n \"$names\" ]; then declare -p $names >.transcript-vars 2>/dev/null; fi\n"
        "}\n"
        "trap keep_vars EXIT\n"
        "exec 2>&1\n" +
        command + "\n";
    Process::Options options;
    options.cwd = workdir_;
    auto result = run({"/bin/bash", "-o", "pipefail", "-c", script}, 60s, options);
    replace_all(result.out, "127.0.0.1:" + std::to_string(pipeline_->http_port()), "localhost:8081");
    replace_all(result.out, "127.0.0.1:" + std::to_string(admin_port_), "127.0.0.1:8082");
    // The stack runs the clone's files by absolute path; the demo names them from the clone.
    replace_all(result.out, source_dir().string() + "/", "");
    return result;
  }

 private:
  std::string env_file() const {
    const std::string http = "127.0.0.1:" + std::to_string(pipeline_->http_port());
    return "export PATH=\"" + sluice_binary().parent_path().string() + ":$PATH\"\n" + "export KAFKA_BROKERS=\"" +
           pipeline_->broker().address() + "\"\n" + "export DATABASE_URL=\"" + pipeline_->db().dsn() + "\"\n" +
           "export SLUICE_URL=\"http://" + http + "\"\n" + "export SLUICE_READ_TOKEN=\"" + kReadToken + "\"\n" +
           "export SLUICE_ADMIN_URL=\"http://127.0.0.1:" + std::to_string(admin_port_) + "\"\n" +
           "export SLUICE_ADMIN_TOKEN=\"" + kAdminToken + "\"\n";
  }

  int admin_port_;
  std::unique_ptr<DefaultPipeline> pipeline_;
  std::filesystem::path workdir_;
};

TEST(ReadmeCommands, EveryTranscriptPrintsWhatTheReadmeShows) {
  auto steps =
      readme_transcripts(read_file(source_dir() / "README.md"), {"Quick start", "REST API", "CLI", "Operating Sluice"});
  // A README whose transcripts vanished (a changed heading, another block style) checks nothing.
  ASSERT_GE(steps.size(), 12u) << "the README's transcripts were not found";

  ReadmeStack stack;
  ASSERT_TRUE(stack.pipeline().start()) << stack.pipeline().logs();
  ASSERT_NO_FATAL_FAILURE(stack.publish_like_the_demo());
  for (const auto& step : steps) {
    SCOPED_TRACE("README.md:" + std::to_string(step.line) + " (" + step.section + "): $ " + step.command);
    auto result = stack.run_step(step);
    EXPECT_EQ(result.code, 0) << result.out;
    std::string why;
    EXPECT_TRUE(transcript_output_matches(step.expected, lines_of(result.out), &why))
        << why << "\n--- the command printed:\n"
        << result.out;
  }
  EXPECT_TRUE(stack.pipeline().running()) << stack.pipeline().logs();
}

}  // namespace
}  // namespace sluice::test
