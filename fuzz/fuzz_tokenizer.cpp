// libFuzzer target: arbitrary bytes as text for the tokenizer front end
// (UTF-8 validation, sentencepiece, the fairseq id mapping, truncation).
// The first byte picks the model (unigram or BPE) and max_tokens.
#include <cstdlib>
#include <memory>
#include <string_view>

#include "base/check.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace {
const bte::Tokenizer& model(int which) {
  static const bte::SentencePieceTokenizer unigram = bte::SentencePieceTokenizer::from_file(BTE_FUZZ_DATA "/spm/unigram.model");
  static const bte::SentencePieceTokenizer bpe = bte::SentencePieceTokenizer::from_file(BTE_FUZZ_DATA "/spm/bpe.model");
  return which ? bpe : unigram;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bte::Tokenizer& tok = model(data[0] & 1);
  const int max_tokens = 2 + (data[0] >> 1);  // 2 .. 129
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const bte::Encoding e = tok.encode(text, max_tokens);
    // The contract: <s> ... </s>, within max_tokens, ids inside the vocabulary.
    if (e.ids.size() < 2 || int(e.ids.size()) > max_tokens) std::abort();
    if (e.ids.front() != bte::SentencePieceTokenizer::kBos || e.ids.back() != bte::SentencePieceTokenizer::kEos) std::abort();
    if (e.full_length < int64_t(e.ids.size())) std::abort();
    for (size_t i = 1; i + 1 < e.ids.size(); ++i)
      if (e.ids[i] < 3 || e.ids[i] >= tok.vocab_size() - 1) std::abort();
  } catch (const bte::Error& err) {
    if (err.kind() != bte::ErrorKind::BadInput) std::abort();  // only bad UTF-8 may be refused
  }
  return 0;
}
