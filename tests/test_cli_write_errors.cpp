// Every command checks that what it printed reached standard output: a full
// disk (/dev/full) or a closed descriptor is exit 1 with a message, never a
// silent success, and a failure is said once. (Output files:
// tests/test_output_safety.cpp.) run_command redirects the whole command
// line, so each redirection under test sits in a subshell of its own.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/golden.h"
#include "tests/test_util.h"

using namespace bte::test;

namespace {

const std::string& tiny_model() {
  static const std::string path = convert_checkpoint(data_path("golden/tiny"));
  return path;
}

// The command lines whose standard output is checked: every command, its
// help, and both forms of info.
std::vector<std::string> commands_that_print() {
  const std::string bte = bte_binary(), m = tiny_model();
  return {
      bte + " help",
      bte + " --help",
      bte + " tokenize --help",
      bte + " classify --help",
      bte + " embed --help",
      bte + " convert --help",
      bte + " info --help",
      bte + " bench --help",
      bte + " tokenize 'Hello world' 'second text'",
      bte + " info " + m,
      bte + " info --json " + m,
      bte + " classify -m " + m + " 'Hello world'",
      bte + " classify --json -m " + m + " 'Hello world'",
      bte + " embed -m " + m + " 'Hello world'",
      bte + " embed --format npy -m " + m + " 'Hello world'",
      bte + " bench --config tiny --workload seed-small --iters 1 --warmup 0 --mode packed",
  };
}

}  // namespace

TEST_CASE("CLI: a full standard output is exit 1 with a message", "[cli][write-errors]") {
  for (const auto& cmd : commands_that_print()) {
    INFO(cmd);
    const auto ok = run_command(cmd);
    REQUIRE(ok.exit_code == 0);  // the command itself is fine
    REQUIRE(!ok.out.empty());
    const auto r = run_command("(" + cmd + " > /dev/full)");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot write to standard output"));
    CHECK(lines_of(r.err).size() == 1);
  }
}

TEST_CASE("CLI: a closed standard output is exit 1 with a message", "[cli][write-errors]") {
  for (const auto& cmd : commands_that_print()) {
    INFO(cmd);
    const auto r = run_command("(" + cmd + " >&-)");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot write to standard output"));
  }
}

TEST_CASE("CLI: a long stream to a full output fails with the reason", "[cli][write-errors]") {
  // 200,000 lines to /dev/full: more than any stdio buffer, so the failure
  // comes from a write inside the loop (write_stdout), not the final flush.
  const std::string dir = temp_dir();
  const auto gen = run_command("(yes 'some words to tokenize' | head -n 200000 > " + dir + "/many.txt)");
  REQUIRE(gen.exit_code == 0);
  const auto r = run_command("(" + bte_binary() + " tokenize -f " + dir + "/many.txt > /dev/full)");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot write to standard output") &&
                        Catch::Contains("No space left on device"));
}
