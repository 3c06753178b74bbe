// Reads a safetensors file (Hugging Face's weight format), strictly:
//
//   [u64 LE header length N][N bytes of JSON][data]
//   JSON: {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..],
//          "data_offsets": [begin, end]}, ...}   offsets relative to the data
//
// Checked on open: N <= 100 MiB and inside the file, JSON syntax and nesting,
// each entry's fields, a known dtype, end - begin == elements × dtype size
// (overflow-checked), begin <= end <= data size, no two tensors overlap.
// Tensors point into the read-only mapping (no copy).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "weights/mapped_file.h"

namespace bte {

class SafetensorsFile {
 public:
  struct Tensor {
    std::string name;
    std::string dtype;  // as in the file: "F32", "F16", "BF16", "I64", ...
    size_t elem_size = 0;
    std::vector<int64_t> shape;
    const unsigned char* data = nullptr;  // may be unaligned
    size_t bytes = 0;
    int64_t elements() const { return elem_size ? int64_t(bytes / elem_size) : 0; }
  };

  static SafetensorsFile open(const std::string& path);

  const std::string& path() const { return path_; }
  const Tensor* find(std::string_view name) const;
  const std::map<std::string, Tensor, std::less<>>& tensors() const { return tensors_; }

 private:
  std::string path_;
  MappedFile map_;
  std::map<std::string, Tensor, std::less<>> tensors_;
};

// Element size of a safetensors dtype name, 0 if unknown.
size_t safetensors_dtype_size(std::string_view dtype);

}  // namespace bte
