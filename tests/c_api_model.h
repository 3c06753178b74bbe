// What the C API tests share: the oracle's tiny classifier converted once
// per process, and a model handle that frees itself.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "bte/bte.h"
#include "tests/golden.h"
#include "tests/test_util.h"

namespace bte::test {

inline const std::string& tiny_model() {
  static const std::string path = convert_checkpoint(data_path("golden/tiny"));
  return path;
}

struct Model {
  bte_model* m = nullptr;
  explicit Model(const std::string& path, bte_model_options o = bte_model_default_options()) {
    REQUIRE(bte_model_load(path.c_str(), &o, &m) == BTE_OK);
  }
  ~Model() { bte_model_free(m); }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
};

}  // namespace bte::test
