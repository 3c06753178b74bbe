// Hugging Face checkpoint directory -> one .bte file (what `bte convert` runs).
//
//   bte::ConvertOptions o;  o.hf_dir = "xlm-roberta-base";  o.output = "base.bte";
//   o.dtype = bte::DType::BF16;
//   bte::ConvertReport r = bte::convert_hf(o, [](const std::string& line) { ... });
//
// Reads config.json, model.safetensors (or model.safetensors.index.json and
// its shards) and the tokenizer (convert/hf_tokenizer.h). The model family
// (models/family.h, by config.json's model_type: XLM-R / RoBERTa, BERT,
// DistilBERT) names the architectures it takes, its tensors with or without
// its prefix, its head and what it ignores. HF query/key/value are
// concatenated into layers.{i}.attn.qkv; the token-type table is kept (XLM-R:
// its row 0; BERT: all of it) as embeddings.token_type. Every name and shape is checked before a byte is written; any unknown
// tensor, missing tensor, shape mismatch, unsupported dtype or architecture is
// an Error(BadModel) naming the tensor or field and the file. Streams: memory
// use stays at a small buffer whatever the model size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "models/model_config.h"

namespace bte {

struct ConvertOptions {
  std::string hf_dir;
  std::string output;
  DType dtype = DType::F32;         // of the 2-D weights; 1-D tensors stay fp32
  int num_labels = 0;               // > 0: give a bare encoder a seeded random head
  std::vector<std::string> labels;  // names for the head's classes (default: the checkpoint's
                                    // id2label, or LABEL_0..)
  uint64_t seed = 0;                // of the random head
};

struct ConvertReport {
  ModelConfig config;
  std::string source_architecture;
  std::vector<std::string> weight_files;  // file names inside hf_dir
  std::vector<std::string> ignored;       // checkpoint tensors not used (pooler, lm_head)
  size_t tensors = 0;
  uint64_t file_bytes = 0;
};

// Refuses (Error(BadInput)) an output that is a directory, device or FIFO or
// any of checkpoint_input_files() before anything is read or written.
ConvertReport convert_hf(const ConvertOptions& options,
                         const std::function<void(const std::string&)>& log = {});

// Every file convert_hf may read from `hf_dir`: config.json, model.safetensors,
// model.safetensors.index.json and the shards it names (when it parses),
// sentencepiece.bpe.model; some may not exist.
std::vector<std::string> checkpoint_input_files(const std::string& hf_dir);

// The random head's init, exposed for tests: N(0, 0.02²) from a splitmix64 +
// Box-Muller stream of `seed` (platform-independent), `n` values.
std::vector<float> random_head_values(uint64_t seed, uint64_t stream, size_t n);

}  // namespace bte
