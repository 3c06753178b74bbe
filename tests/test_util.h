// Helpers shared by the tests: data paths, golden-file loading, comparisons
// that name the worst element.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bte::test {

// tests/data/<rel>
std::string data_path(const std::string& rel);
// Reads a whole file; fails the test (throws) when it cannot.
std::string read_file(const std::string& path);
// Whether /usr/bin/python3 can import torch (cached).
bool have_torch();

// The sanitizer stages of tools/test.sh set BTE_TEST_QUICK=1: the same test
// cases, each with fewer repetitions (fewer calls, a shorter stream, fewer
// head-dim variants), since a sanitizer checks what every repetition does
// and 10-50x slower runs of the plain stage's counts add no coverage.
bool quick_tests();
// `full` in the plain stage, `quick` in a sanitizer stage.
template <typename T>
T full_or_quick(T full, T quick) {
  return quick_tests() ? quick : full;
}

// Largest |a - b| and where; relative error uses max(|b|, floor).
struct Diff {
  double max_abs = 0, max_rel = 0;
  int64_t worst = -1;  // index of the largest abs difference
  double a = 0, b = 0;
  std::string describe() const;
};
Diff compare(const float* a, const float* b, int64_t n, double rel_floor = 1e-3);

// Fills with seeded uniform values in [lo, hi).
std::vector<float> random_floats(int64_t n, uint64_t seed, float lo = -1.f, float hi = 1.f);

}  // namespace bte::test

namespace bte::test {

// Runs a shell command; captures stdout and stderr (via temp files).
struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
CommandResult run_command(const std::string& command);
// Path of the built `bte` binary.
std::string bte_binary();
// A fresh empty directory under the system temp dir, removed at exit.
std::string temp_dir();
// The lines of a text (without their '\n').
std::vector<std::string> lines_of(const std::string& s);
// Shell-quotes one argument.
std::string shell_quote(const std::string& s);

}  // namespace bte::test
