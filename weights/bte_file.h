// Reads a .bte model file: maps it read-only and validates every field before
// anything uses it; tensors point into the mapping (no copy of the weights).
//
//   bte::BteFile f = bte::BteFile::open("model.bte");     // throws Error(BadModel)
//   const bte::ModelConfig& c = f.config();
//   const auto& qkv = f.tensor("layers.0.attn.qkv.weight"); // [3d, d], f.dtype()
//   const float* b = static_cast<const float*>(f.tensor("layers.0.attn.qkv.bias").data);
//   std::string_view blob = f.tokenizer_model();  // the tokenizer's bytes, of kind
//                                                 // f.header().tokenizer.kind
//
// What open() checks (each failure names the file and the field): magic,
// format version (1 or 2), flags, header length (cap 16 MiB, inside the
// file), JSON syntax and nesting, every header field's type and range, the
// config (validate_config: its family among them), the tokenizer record's
// shape (a kind and integer settings; their values are the tokenizer's to
// check, load_tokenizer), each tensor:
// a known dtype, shape == what the config implies, bytes == elements × dtype
// size (overflow-checked), offset 64-byte aligned, after the header and inside
// the file; no two items overlap; no trailing bytes; exactly the expected
// tensors (the family's table, models/tensor_layout.h); the 2-D weights all of the header's dtype, 1-D
// ones fp32; and, unless turned off, every checksum; then an int8 file's
// values: no -128 in its int8 rows, every scale >= 0 with 127 · scale finite.
//
// Data pointers are 64-byte aligned and valid while the BteFile lives. 1-D
// tensors are fp32; 2-D ones are dtype() (fp32, bf16 or fp16), little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "weights/bte_header.h"
#include "base/dtype.h"
#include "weights/mapped_file.h"
#include "models/model_config.h"

namespace bte {

struct BteOpenOptions {
  // Verify every tensor's and the tokenizer's checksum (reads the whole file
  // once; several GB/s, spread over up to 8 threads for large models).
  bool verify_checksums = true;
};

class BteFile {
 public:
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    const void* data;
    size_t bytes;
  };

  static BteFile open(const std::string& path, const BteOpenOptions& options = {});

  BteFile(BteFile&&) noexcept = default;
  BteFile& operator=(BteFile&&) noexcept = default;
  BteFile(const BteFile&) = delete;
  BteFile& operator=(const BteFile&) = delete;
  ~BteFile() = default;  // the MappedFile unmaps

  const ModelConfig& config() const { return header_.config; }
  const Tensor& tensor(std::string_view name) const;  // throws BadModel naming the tensor
  const Tensor* find(std::string_view name) const;    // nullptr if absent
  const std::vector<Tensor>& tensors() const { return tensors_; }
  // The tokenizer's serialized bytes (a sentencepiece ModelProto for kind "sentencepiece").
  std::string_view tokenizer_model() const { return tokenizer_; }
  DType dtype() const { return header_.dtype; }  // of the 2-D weights
  const std::string& path() const { return path_; }

  // Everything else the header says (writer, source, tokenizer ids, checksums).
  const BteHeader& header() const { return header_; }
  bool checksums_verified() const { return verified_; }
  // Checks every checksum now (what open() does unless told not to); throws
  // Error(BadModel) naming the first corrupt tensor.
  void verify_checksums();
  size_t file_size() const { return map_.size(); }
  // Drops the resident pages of a tensor this process has consumed (see
  // MappedFile::drop_pages); its data stays readable.
  void drop_pages(const void* data, size_t bytes) const { map_.drop_pages(data, bytes); }

 private:
  BteFile() = default;
  std::string path_;
  MappedFile map_;
  BteHeader header_;
  std::vector<Tensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::string_view tokenizer_;
  bool verified_ = false;
};

}  // namespace bte
