// The tokenizer a command uses: --spm FILE when given, else the compiled-in
// default (our test unigram model; not XLM-R's 250k-piece model, which is
// not redistributable here and comes inside a converted .bte instead).
#pragma once

#include <string>

#include "tokenizer/sentencepiece_tokenizer.h"

namespace bte::cli {

SentencePieceTokenizer open_tokenizer(const std::string& spm_path);
const char* embedded_tokenizer_description();

}  // namespace bte::cli
