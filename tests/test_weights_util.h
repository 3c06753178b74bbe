// Helpers for the [weights] tests: temp dirs, synthetic .bte files, byte
// surgery on headers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/dtype.h"
#include "models/model_config.h"

namespace bte::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_bytes(const std::string& path, const std::string& bytes);

// 2 layers, hidden 8, 2 heads, ffn 16, vocab 20, 12 positions; `labels`
// classes (0: bare encoder).
ModelConfig small_config(int labels = 3);

// Writes a .bte with seeded random values (as floats, converted to `dtype`
// for the 2-D tensors) and `tokenizer` as the embedded model; returns the
// float values written, by canonical name (before rounding to dtype).
std::map<std::string, std::vector<float>> write_synthetic(const std::string& path,
                                                          const ModelConfig& c, DType dtype,
                                                          const std::string& tokenizer,
                                                          uint64_t seed = 1);

// Re-serialises the JSON header of a .bte image after `edit`, keeping its
// length (pads with spaces; fails the test if the new JSON is longer).
std::string edit_header(const std::string& image, const std::function<void(nlohmann::json&)>& edit);
nlohmann::json header_of(const std::string& image);
// Recomputes the header checksum (preamble bytes 24..31) after a raw edit of
// the header bytes, so the reader gets past it to the check under test.
std::string fix_header_checksum(std::string image);

// (Commands, the bte binary, temp dirs for them: tests/test_util.h.)

}  // namespace bte::test

namespace bte::test {

// A safetensors file written from scratch (the documented layout), for tests.
struct StTensor {
  std::string name, dtype;  // "F32", ...
  std::vector<int64_t> shape;
  std::string bytes;
};
void write_safetensors(const std::string& path, const std::vector<StTensor>& tensors);
// And read back with plain nlohmann parsing (independent of weights/safetensors.cpp).
std::vector<StTensor> read_safetensors(const std::string& path);

}  // namespace bte::test
