// The tokenizer seam: text -> model ids. One interface, one implementation
// per kind; the kind and its integer settings travel in the .bte header (the
// file format stores them without reading them), and load_tokenizer() turns
// them back into a tokenizer. Knows nothing of the engine or the file format.
//
//   std::unique_ptr<bte::Tokenizer> tok = bte::load_tokenizer(kind, settings, blob, vocab, "m.bte");
//   bte::Encoding e = tok->encode("Hello world", /*max_tokens=*/512);
//
// Kinds: "sentencepiece" (XLM-R: sentencepiece + the fairseq id mapping,
// sentencepiece_tokenizer.h); "wordpiece" (BERT: Hugging Face's BertNormalizer,
// BertPreTokenizer, WordPiece and template, wordpiece_tokenizer.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bte {

struct Encoding {
  std::vector<int32_t> ids;  // specials included, at most max_tokens long
  // With encode_with_offsets: per id, the bytes [first, second) of the text
  // it stands for ({0, 0} for a special). As Hugging Face's fast tokenizers
  // report them: a token's leading whitespace is not its own, and a token
  // that stands for whitespace alone is given the character after it.
  std::vector<std::pair<int32_t, int32_t>> offsets;
  // Per id, its segment (token type) id; empty means all 0. A kind whose
  // model has token types fills it for pairs (WordPiece: 0 up to and with
  // the first [SEP], 1 after); sentencepiece (XLM-R, one type) leaves it empty.
  std::vector<int32_t> type_ids;
  int64_t full_length = 0;   // length before truncation, specials included
  bool truncated() const { return int64_t(ids.size()) < full_length; }
};

// What a .bte header records beside the tokenizer's bytes: special ids and
// the like, by name.
using TokenizerSettings = std::map<std::string, int64_t, std::less<>>;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The name the .bte header records ("sentencepiece").
  virtual std::string_view kind() const = 0;
  // The settings the .bte header records for this tokenizer.
  virtual TokenizerSettings settings() const = 0;

  // Text -> ids with the model's specials, truncated to max_tokens (>= 2)
  // total. Invalid UTF-8 throws bte::Error(BadInput) with the byte offset.
  // Thread-safe (const).
  virtual Encoding encode(std::string_view text, int max_tokens) const = 0;
  // encode() with Encoding::offsets filled in.
  virtual Encoding encode_with_offsets(std::string_view text, int max_tokens) const = 0;
  // A pair (a query and a document, for a cross-encoder) with the model's
  // pair template, truncated to max_tokens total as Hugging Face's
  // "longest_first" does: tokens come off the longer side first; when both
  // must shrink, each keeps half of what remains (the longer one the odd token).
  virtual Encoding encode_pair(std::string_view first, std::string_view second,
                               int max_tokens) const = 0;

  // Ids this tokenizer can produce: [0, vocab_size()).
  virtual int32_t vocab_size() const = 0;
  // The id of padding (what the model's config calls pad_token_id).
  virtual int32_t pad_id() const = 0;
  // The piece text of an id (for `bte tokenize --pieces`).
  virtual std::string id_to_piece(int32_t id) const = 0;
};

// The tokenizer a .bte file describes: its kind, its settings (each checked
// against what that kind implements for a model of `model_vocab` ids) and its
// serialized bytes. Throws bte::Error(BadModel) "<origin>: ..." naming an
// unknown kind, a wrong setting, or a tokenizer with more ids than the model.
std::unique_ptr<Tokenizer> load_tokenizer(std::string_view kind, const TokenizerSettings& settings,
                                          std::string_view bytes, int64_t model_vocab,
                                          const std::string& origin);

}  // namespace bte
