// BERT's tokenizer, exactly as Hugging Face `tokenizers` runs it:
// BertNormalizer -> BertPreTokenizer -> WordPiece -> the template
// post-processor (TemplateProcessing / BertProcessing), with the added
// tokens (the specials among them) split out of the text first.
//
//   bte::WordPieceSpec spec = bte::read_hf_wordpiece("bert-base-uncased/");  // convert/hf_wordpiece.h
//   bte::WordPieceTokenizer tok(std::move(spec), "bert-base-uncased/tokenizer.json");
//   bte::Encoding e = tok.encode("Hello world", 512);         // [CLS] hello world [SEP]
//   bte::Encoding p = tok.encode_pair("a query", "a doc", 512); // type_ids 0 0 0 0 1 1 1
//   std::string blob = tok.to_bytes();                         // what a .bte file embeds
//
// Unicode (character classes, NFD, lowercase) comes from ICU; see the .cpp for
// how each of Hugging Face's Rust rules maps onto it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bte {

// One element of a post-processor template: a special token or a sequence.
struct WordPieceTemplatePiece {
  enum class Kind { Special, A, B };
  Kind kind = Kind::Special;
  int32_t id = -1;      // Special only: the token's id
  int32_t type_id = 0;  // the segment (token type) id of the piece's tokens
};

// A token Hugging Face's AddedVocabulary matches in the text before the
// normalizer, pre-tokenizer and model run (the specials are such tokens).
// bte implements the flags single_word = lstrip = rstrip = false only.
struct WordPieceAddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;
  bool normalized = false;  // true: matched in the normalized text (its content normalized too)
};

// Everything that defines a WordPiece tokenizer; a plain value the
// converter fills from a checkpoint (convert/hf_wordpiece.h).
struct WordPieceSpec {
  std::vector<std::string> vocab;  // the WordPiece model's vocabulary: id = index
  // BertNormalizer
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: as lowercase (Hugging Face's rule)
  bool clean_text = true;
  bool handle_chinese_chars = true;
  // WordPiece
  std::string continuing_subword_prefix = "##";
  std::string unk_token = "[UNK]";
  int32_t max_input_chars_per_word = 100;
  // The special ids (-1: none). unk_id is unk_token's id.
  int32_t cls_id = -1, sep_id = -1, pad_id = -1, mask_id = -1, unk_id = -1;
  // Post-processor: single = one A, no B; pair = one A and one B.
  std::vector<WordPieceTemplatePiece> single, pair;
  // Matched in the text first, leftmost-longest. An id >= vocab.size()
  // extends the id space (such ids must follow the vocabulary without gaps).
  std::vector<WordPieceAddedToken> added_tokens;

  bool strips_accents() const { return strip_accents.value_or(lowercase); }
  // BERT's templates: [CLS] A [SEP] and [CLS] A [SEP] B [SEP] (B and its
  // [SEP] type 1), with cls_id and sep_id.
  void set_bert_templates();
};

// `s` without its trailing White_Space characters (Rust's str::trim_end, which
// Hugging Face applies to each vocab.txt line). `s` must be valid UTF-8.
std::string_view trim_end_whitespace(std::string_view s);

class WordPieceTokenizer final : public Tokenizer {
 public:
  static constexpr const char* kKind = "wordpiece";

  // Checks the spec (ids inside the id space, unk_token in the vocabulary and
  // its id unk_id, templates well formed, added tokens bte implements);
  // throws bte::Error(BadModel) "<origin>: ..." naming what is wrong.
  WordPieceTokenizer(WordPieceSpec spec, const std::string& origin);
  // The bytes of to_bytes() (docs/FORMAT.md, "The wordpiece tokenizer's bytes").
  static WordPieceTokenizer from_bytes(std::string_view bytes, const std::string& origin);
  std::string to_bytes() const;

  WordPieceTokenizer(WordPieceTokenizer&&) noexcept;
  WordPieceTokenizer& operator=(WordPieceTokenizer&&) noexcept;
  ~WordPieceTokenizer() override;

  const WordPieceSpec& spec() const { return spec_; }

  std::string_view kind() const override { return kKind; }
  // lowercase, strip_accents (resolved: 0/1), clean_text, handle_chinese_chars,
  // max_input_chars_per_word, vocab_size, cls_id, sep_id, pad_id, mask_id, unk_id.
  TokenizerSettings settings() const override;
  // The single template around the text's tokens; type_ids filled only when
  // the template gives some token a type other than 0.
  Encoding encode(std::string_view text, int max_tokens) const override;
  Encoding encode_with_offsets(std::string_view text, int max_tokens) const override;
  // The pair template; type_ids always filled.
  Encoding encode_pair(std::string_view first, std::string_view second,
                       int max_tokens) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  int32_t pad_id() const override { return spec_.pad_id; }
  std::string id_to_piece(int32_t id) const override;

  // The text's ids without the template's specials; offsets (when not null)
  // get each id's bytes of `text`. Strict UTF-8 as encode().
  void tokenize(std::string_view text, std::vector<int32_t>& ids,
                std::vector<std::pair<int32_t, int32_t>>* offsets) const;
  // The words the model is given: the text normalized and pre-tokenized
  // (what HF's normalizer.normalize_str + pre_tokenizer.pre_tokenize_str
  // give), added tokens not split out. For inspection and tests.
  std::vector<std::string> words(std::string_view text) const;

 private:
  struct Tables;
  Encoding encode_single(std::string_view text, int max_tokens, bool with_offsets) const;

  WordPieceSpec spec_;
  int32_t vocab_size_ = 0;
  int n_single_specials_ = 0, n_pair_specials_ = 0;
  std::unique_ptr<const Tables> tables_;
};

}  // namespace bte
