#include "cli/default_tokenizer.h"

#include <cstddef>
#include <string_view>

extern const unsigned char bte_embedded_spm[];
extern const size_t bte_embedded_spm_size;

namespace bte::cli {

SentencePieceTokenizer open_tokenizer(const std::string& spm_path) {
  if (!spm_path.empty()) return SentencePieceTokenizer::from_file(spm_path);
  return SentencePieceTokenizer::from_bytes(
      std::string_view(reinterpret_cast<const char*>(bte_embedded_spm), bte_embedded_spm_size),
      "<embedded tokenizer>");
}

const char* embedded_tokenizer_description() {
  return "the embedded test tokenizer (unigram, 1000 pieces, trained on tests/data/corpus.txt)";
}

}  // namespace bte::cli
