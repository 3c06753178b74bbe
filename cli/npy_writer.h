// Streams rows of float32 into a NumPy .npy file (format version 1.0,
// little-endian '<f4', C order, shape (rows, cols)). The row count is
// patched into the header at the end, so the file can be written as results
// arrive; a non-seekable output (a pipe) is buffered and written at close.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bte::cli {

class NpyWriter {
 public:
  // `out` stays owned by the caller; `name` is for messages ("cannot write to NAME").
  NpyWriter(std::FILE* out, std::string name, int cols);
  void append(const float* row);
  void close();  // writes the final header; throws on I/O errors

 private:
  std::string header(int64_t rows) const;
  std::FILE* out_;
  std::string name_;
  int cols_;
  int64_t rows_ = 0;
  bool seekable_;
  std::vector<float> buffered_;
};

}  // namespace bte::cli
