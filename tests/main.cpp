// Test entry point. Catch2 2.x has no SKIP(); this main does what it cannot:
// [cuda] cases need a GPU, [live] cases need PyTorch and [bf16] cases a CPU
// with native bf16 (AVX512_BF16 or AMX), and [rlimit] cases (which cap the
// address space) a build without ASan/TSan, whose shadow memory needs
// terabytes of address space. When the machine
// lacks one, each such selected case is named with the reason, and
//  - a run that selects only such cases (ctest runs one case per process)
//    exits 77 with --skip-exit-code, which ctest reports as "Skipped";
//  - a wider run excludes them and runs the rest.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "tests/test_util.h"

// This file is built without instrumentation in a sanitizer tree
// (tests/CMakeLists.txt), so the tree says so itself: BTE_SANITIZER_BUILD.
#if defined(BTE_SANITIZER_BUILD) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

int main(int argc, char** argv) {
  bool skip_exit = false;
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--skip-exit-code") == 0) skip_exit = true;
    else args.emplace_back(argv[i]);
  }
  auto to_argv = [](std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    return out;
  };

  Catch::Session session;  // Catch2 allows one; its command line can be re-applied
  auto pargv = to_argv(args);
  if (int rc = session.applyCommandLine(int(pargv.size()), pargv.data()); rc != 0) return rc;

  // Probed only when a selected case needs them (importing torch takes ~1 s).
  bool have_gpu = true, have_torch = true, have_bf16 = true, can_rlimit = true;
  const auto& config = session.config();
  if (config.listTestNamesOnly() || config.listTests() || config.listTags()) return session.run();
  int selected = 0, blocked = 0;
  for (const auto& tc :
       Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config)) {
    ++selected;
    const auto& tags = tc.getTestCaseInfo().tags;
    const bool cuda = std::find(tags.begin(), tags.end(), "cuda") != tags.end();
    const bool live = std::find(tags.begin(), tags.end(), "live") != tags.end();
    const bool bf16 = std::find(tags.begin(), tags.end(), "bf16") != tags.end();
    if (cuda) have_gpu = bte::cuda::device_count() > 0;
    if (live) have_torch = bte::test::have_torch();
    const bool rlimit = std::find(tags.begin(), tags.end(), "rlimit") != tags.end();
    if (bf16) have_bf16 = bte::cpu::has_native_bf16();
    if (rlimit) can_rlimit = !kSanitizerBuild;
    if ((cuda && !have_gpu) || (live && !have_torch) || (bf16 && !have_bf16) || (rlimit && !can_rlimit)) {
      ++blocked;
      const std::string why =
          cuda && !have_gpu ? bte::cuda::device_summary()
          : live && !have_torch
              ? std::string("PyTorch is not importable by /usr/bin/python3 (apt install python3-torch)")
              : bf16 && !have_bf16 ? std::string("this CPU has no native bf16 (AVX512_BF16 or AMX)")
                                   : std::string("an address-space limit cannot be set in a sanitizer build");
      std::printf("SKIPPED %s: %s\n", tc.getTestCaseInfo().name.c_str(), why.c_str());
    }
  }
  if (blocked == 0) return session.run();
  if (blocked == selected) return skip_exit ? 77 : 0;

  // Mixed selection: the same selection minus the blocked tags, appended to
  // each OR-term of the test spec ("a,b" -> "a~[cuda],b~[cuda]").
  const std::string excl = std::string(have_gpu ? "" : "~[cuda]") +
                           std::string(have_torch ? "" : "~[live]") +
                           std::string(have_bf16 ? "" : "~[bf16]") + std::string(can_rlimit ? "" : "~[rlimit]");
  // Catch2 options whose next argument is a value, not a test spec.
  static const char* const kValued[] = {"-o", "--out", "-r", "--reporter", "-n", "--name", "-d",
                                        "--durations", "-f", "--input-file", "-x", "--abortx",
                                        "-w", "--warn", "-v", "--verbosity", "--rng-seed", "--order",
                                        "--use-colour", "-c", "--section"};
  std::vector<std::string> args2;
  bool any_spec = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i == 0 || args[i][0] == '-') {
      args2.push_back(args[i]);
      for (const char* v : kValued)
        if (args[i] == v && i + 1 < args.size()) args2.push_back(args[++i]);
      continue;
    }
    any_spec = true;
    std::string term, spec;
    for (size_t k = 0; k <= args[i].size(); ++k) {
      if (k == args[i].size() || args[i][k] == ',') {
        spec += (spec.empty() ? "" : ",") + term + excl;
        term.clear();
      } else {
        term += args[i][k];
      }
    }
    args2.push_back(spec);
  }
  if (!any_spec) args2.push_back(excl);
  auto argv2 = to_argv(args2);
  session.configData() = Catch::ConfigData();  // applyCommandLine appends to the old spec otherwise
  if (int rc = session.applyCommandLine(int(argv2.size()), argv2.data()); rc != 0) return rc;
  return session.run();
}
