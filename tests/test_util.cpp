#include "tests/test_util.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace bte::test {

std::string data_path(const std::string& rel) { return std::string(BTE_TEST_DATA_DIR) + "/" + rel; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("test data missing: " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool quick_tests() {
  static const bool quick = [] {
    const char* v = std::getenv("BTE_TEST_QUICK");
    return v && std::string(v) == "1";
  }();
  return quick;
}

bool have_torch() {
  static const bool ok =
      std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
  return ok;
}

std::string Diff::describe() const {
  std::ostringstream s;
  s << "max abs diff " << max_abs << " (max rel " << max_rel << ") at index " << worst
    << ": got " << a << ", expected " << b;
  return s.str();
}

Diff compare(const float* a, const float* b, int64_t n, double rel_floor) {
  Diff d;
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::fabs(double(a[i]) - double(b[i]));
    const double r = e / std::max(std::fabs(double(b[i])), rel_floor);
    if (std::isnan(e) || e > d.max_abs) {
      d.max_abs = std::isnan(e) ? INFINITY : e;
      d.worst = i, d.a = a[i], d.b = b[i];
    }
    d.max_rel = std::max(d.max_rel, std::isnan(r) ? INFINITY : r);
  }
  return d;
}

std::vector<float> random_floats(int64_t n, uint64_t seed, float lo, float hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace bte::test

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace bte::test {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

namespace {
struct TempRoot {
  std::string path;
  TempRoot() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bte-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
TempRoot& temp_root() {
  static TempRoot root;
  return root;
}
}  // namespace

std::string temp_dir() {
  static int counter = 0;
  const std::string d = temp_root().path + "/" + std::to_string(++counter);
  std::filesystem::create_directories(d);
  return d;
}

CommandResult run_command(const std::string& command) {
  const std::string dir = temp_dir();
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const int status = std::system((command + " >" + out + " 2>" + err).c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

std::string bte_binary() { return std::string(BTE_BINARY_DIR) + "/cli/bte"; }

}  // namespace bte::test
