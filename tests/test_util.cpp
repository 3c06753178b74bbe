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
