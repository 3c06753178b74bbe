// libFuzzer target: arbitrary bytes as text for the WordPiece tokenizer
// (UTF-8 validation, added tokens, BertNormalizer on ICU, WordPiece,
// templates, offsets, pair truncation). The first byte picks the fixture
// tokenizer (tests/data/wordpiece: uncased, cased, multilingual) and
// max_tokens; the rest is split at its first 0xFF byte into a pair.
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/check.h"
#include "convert/hf_wordpiece.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace {
const bte::WordPieceTokenizer& model(int which) {
  static const char* const names[] = {"uncased", "cased", "multilingual"};
  static const bte::WordPieceTokenizer* toks[3] = {};
  if (!toks[which]) {
    const std::string d = std::string(BTE_FUZZ_DATA "/wordpiece/") + names[which];
    toks[which] = new bte::WordPieceTokenizer(
        bte::read_hf_tokenizer_json(d + "/tokenizer.json", d + "/tokenizer_config.json"), d);
  }
  return *toks[which];
}

// The contract of one encoding: the template's specials around in-range ids,
// within max_tokens, offsets (when given) inside the text and ordered.
void check(const bte::WordPieceTokenizer& tok, const bte::Encoding& e, int max_tokens,
           size_t text_size) {
  if (e.ids.size() < 2 || int(e.ids.size()) > max_tokens) std::abort();
  if (e.ids.front() != tok.spec().cls_id || e.ids.back() != tok.spec().sep_id) std::abort();
  if (e.full_length < int64_t(e.ids.size())) std::abort();
  for (int32_t id : e.ids)
    if (id < 0 || id >= tok.vocab_size()) std::abort();
  if (!e.offsets.empty()) {
    if (e.offsets.size() != e.ids.size()) std::abort();
    for (const auto& [b, end] : e.offsets)
      if (b < 0 || b > end || size_t(end) > text_size) std::abort();
  }
  if (!e.type_ids.empty() && e.type_ids.size() != e.ids.size()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bte::WordPieceTokenizer& tok = model(data[0] % 3);
  const int max_tokens = 5 + (data[0] / 3);  // 5 .. 90
  const std::string_view all(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    check(tok, tok.encode(all, max_tokens), max_tokens, all.size());
    const bte::Encoding o = tok.encode_with_offsets(all, max_tokens);
    check(tok, o, max_tokens, all.size());
    if (o.ids != tok.encode(all, max_tokens).ids) std::abort();
    const size_t cut = all.find('\xFF');
    if (cut != std::string_view::npos)
      check(tok, tok.encode_pair(all.substr(0, cut), all.substr(cut + 1), max_tokens), max_tokens,
            all.size());
  } catch (const bte::Error& err) {
    if (err.kind() != bte::ErrorKind::BadInput) std::abort();  // only bad UTF-8 may be refused
  }
  return 0;
}
