// The tokenizer a Hugging Face checkpoint ships with, read for the .bte file
// it becomes: which kind (by the files present and what tokenizer.json says),
// the bytes the file embeds, and the tokenizer they make.
//
//   XLM-R (and multilingual BERT bodies): sentencepiece.bpe.model   -> "sentencepiece"
//   BERT, DistilBERT: tokenizer.json (WordPiece), or vocab.txt
//                     + tokenizer_config.json                       -> "wordpiece"
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/family.h"
#include "tokenizer/tokenizer.h"

namespace bte {

struct CheckpointTokenizer {
  std::string path;   // the file it was read from (for messages)
  std::string bytes;  // what the .bte file embeds
  std::unique_ptr<Tokenizer> tokenizer;
  std::string vocab_note;  // how its ids are counted, for a mismatch message
};

// The checkpoint's tokenizer, of a kind `family` takes. Throws
// Error(BadModel) naming the directory and the files it looked for, or what
// in them bte does not implement.
CheckpointTokenizer read_checkpoint_tokenizer(const std::string& dir, const ModelFamily& family);

// Every file read_checkpoint_tokenizer may read (an output must be none of them).
std::vector<std::string> tokenizer_input_files(const std::string& dir);

}  // namespace bte
