// The JSON header of a .bte file: built by the writer, parsed (strictly) by
// the reader. Field by field in docs/FORMAT.md.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weights/bte_format.h"
#include "base/dtype.h"
#include "models/model_config.h"

namespace bte {

// One entry of the header's tensor table (or the tokenizer blob).
struct BteEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t offset = 0, bytes = 0, checksum = 0;
};

struct BteHeader {
  BteMeta meta;
  ModelConfig config;
  DType dtype = DType::F32;  // of the 2-D weight matrices
  TokenizerRecord tokenizer;
  BteEntry tokenizer_blob;   // name "tokenizer", dtype/shape unused
  std::vector<BteEntry> tensors;
};

nlohmann::json header_to_json(const BteHeader& h);
// Strict: every field present with the right type and range; messages name
// `where` (the file) and the field. Does not look at the file's bytes.
BteHeader header_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace bte
