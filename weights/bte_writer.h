// Writes a .bte file, streaming: the tensor table is declared up front (so
// every offset is known), then each tensor's bytes are appended in declared
// order in pieces of any size, and finish() fills in the checksums. Memory use
// is one I/O buffer, whatever the model size.
//
//   BteWriter w("model.bte", header);   // header.tensors: names, dtypes, shapes
//   w.begin_tensor("embeddings.word");  w.append(p, n);  ...  w.end_tensor();
//   ... every tensor, in header.tensors order ...
//   w.write_tokenizer(spm_bytes);
//   w.finish();                         // renames ".model.bte.XXXXXX.tmp" to "model.bte"
//
// The header is validated first (config, tensors == expected_tensors(config,
// dtype)), so a writer cannot produce a file the reader refuses. Until
// finish(), the output is a private temporary beside it (base/atomic_file.h);
// a writer destroyed early removes it. I/O failures throw Error(BadInput)
// naming the file.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "base/atomic_file.h"
#include "weights/bte_header.h"
#include "weights/checksum.h"

namespace bte {

class BteWriter {
 public:
  // `header.tensors` gives names, dtypes and shapes (offsets, bytes and
  // checksums are filled in here); `header.tokenizer_blob.bytes` the size of
  // the sentencepiece model that write_tokenizer() will get.
  BteWriter(const std::string& path, BteHeader header);
  BteWriter(const BteWriter&) = delete;
  BteWriter& operator=(const BteWriter&) = delete;
  ~BteWriter();

  void begin_tensor(std::string_view name);
  void append(const void* data, size_t n);
  void end_tensor();
  void write_tensor(std::string_view name, const void* data, size_t n);  // begin + append + end
  void write_tokenizer(std::string_view bytes);
  void finish();

  const BteHeader& header() const { return header_; }
  uint64_t file_size() const { return file_size_; }

 private:
  void write_preamble();
  void write_raw(const void* data, size_t n);
  void pad_to(uint64_t offset);
  std::string header_bytes() const;  // JSON, space-padded to header_len_

  std::string path_;
  BteHeader header_;
  std::unique_ptr<AtomicOutput> out_;
  std::FILE* f_ = nullptr;  // out_->file()
  uint64_t header_len_ = 0, pos_ = 0, file_size_ = 0;
  size_t next_ = 0;           // index of the next tensor to write
  bool in_tensor_ = false;
  uint64_t written_ = 0;      // bytes of the current tensor so far
  Checksum64 sum_;
  bool finished_ = false;
};

// Fills header.meta.writer and format_version: what every writer of ours
// records. (header.tokenizer comes from the tokenizer: kind() and settings().)
void fill_standard_meta(BteHeader& header);

}  // namespace bte
