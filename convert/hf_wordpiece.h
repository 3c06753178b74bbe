// A Hugging Face checkpoint's WordPiece tokenizer (BERT, DistilBERT, ...) as a
// WordPieceSpec, read from the files transformers saves:
//
//   tokenizer.json: model WordPiece; normalizer BertNormalizer (or none, or a
//     Sequence of just one BertNormalizer); pre_tokenizer BertPreTokenizer (or
//     a Sequence of just it); post_processor TemplateProcessing,
//     BertProcessing or none; added_tokens without single_word/lstrip/rstrip.
//     Its truncation, padding and decoder sections are not read.
//   otherwise vocab.txt (one piece per line, id = line number) with
//     tokenizer_config.json (do_lower_case, strip_accents,
//     tokenize_chinese_chars, the special token strings; each absent one
//     takes BertTokenizer's default), as transformers' BertTokenizer builds it.
//
// tokenizer_config.json, when present, names the specials (cls_token,
// sep_token, pad_token, mask_token) in both cases.
//
//   bte::WordPieceTokenizer tok(bte::read_hf_wordpiece(dir), dir + "/tokenizer.json");
#pragma once

#include <string>

#include "tokenizer/wordpiece_tokenizer.h"

namespace bte {

// Throws bte::Error(BadModel) naming the file and the field: a missing
// vocabulary, malformed JSON, or a model, normalizer, pre-tokenizer,
// post-processor or added token bte does not implement (by its type or name).
WordPieceSpec read_hf_wordpiece(const std::string& checkpoint_dir);

// The two ways, by file path, for tests and tools; `tokenizer_config` is the
// path of tokenizer_config.json, or "" for none.
WordPieceSpec read_hf_tokenizer_json(const std::string& tokenizer_json,
                                     const std::string& tokenizer_config);
WordPieceSpec read_hf_vocab_txt(const std::string& vocab_txt, const std::string& tokenizer_config);

}  // namespace bte
