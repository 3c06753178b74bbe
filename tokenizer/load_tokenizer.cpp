// The one place that knows every tokenizer kind: a .bte header's tokenizer
// section back to a tokenizer, each setting checked against the kind.
#include "base/check.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace bte {

namespace {

// Every setting of `want` present with its value, and no other. `source`
// says where `want` comes from, for the message.
void require_settings(const TokenizerSettings& got, const TokenizerSettings& want,
                      std::string_view kind, std::string_view source, const std::string& origin) {
  for (const auto& [name, value] : want) {
    auto it = got.find(name);
    BTE_REQUIRE(it != got.end(), ErrorKind::BadModel, origin, ": the ", kind,
                " tokenizer needs the setting 'tokenizer.", name, "'");
    BTE_REQUIRE(it->second == value, ErrorKind::BadModel, origin, ": 'tokenizer.", name, "' is ",
                it->second, "; ", source, " has ", value);
  }
  for (const auto& [name, value] : got)
    BTE_REQUIRE(want.count(name), ErrorKind::BadModel, origin, ": 'tokenizer.", name,
                "' is not a setting of the ", kind, " tokenizer");
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(std::string_view kind, const TokenizerSettings& settings,
                                          std::string_view bytes, int64_t model_vocab,
                                          const std::string& origin) {
  std::unique_ptr<Tokenizer> tok;
  if (kind == SentencePieceTokenizer::kKind) {
    // The settings first: they are the cheap check. mask_id is the *model's*
    // last id (its table may be larger than the tokenizer's vocabulary).
    require_settings(settings, SentencePieceTokenizer::settings_for_vocab(model_vocab), kind,
                     "bte's sentencepiece tokenizer (XLM-R's fairseq mapping)", origin);
    tok = std::make_unique<SentencePieceTokenizer>(
        SentencePieceTokenizer::from_bytes(bytes, origin));
  } else if (kind == WordPieceTokenizer::kKind) {
    // The settings describe the embedded bytes: they must say what the
    // bytes say (a header edited by hand, or bytes from another model, is refused).
    auto wp = std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::from_bytes(bytes, origin));
    require_settings(settings, wp->settings(), kind, "the embedded wordpiece tokenizer", origin);
    tok = std::move(wp);
  }
  if (tok) {
    BTE_REQUIRE(tok->vocab_size() <= model_vocab, ErrorKind::BadModel, origin,
                ": the embedded tokenizer has ", tok->vocab_size(),
                " ids but the model's vocabulary is ", model_vocab);
    return tok;
  }
  BTE_FAIL(ErrorKind::BadModel, origin, ": tokenizer kind \"", kind,
           "\" is not one this bte implements (\"", SentencePieceTokenizer::kKind, "\", \"",
           WordPieceTokenizer::kKind, "\")");
}

}  // namespace bte
