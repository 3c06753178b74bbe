#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "base/atomic_file.h"
#include "base/check.h"
#include "base/utf8.h"
#include "tokenizer/truncation.h"

namespace bte {

namespace {

// What every encoding path checks: strict UTF-8 in, sentencepiece's success out.
void require_utf8(std::string_view text) {
  const size_t bad = find_invalid_utf8(text);
  BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput, "invalid UTF-8 at byte ", bad,
              " of a ", text.size(), "-byte text");
}

void require_encoded(const sentencepiece::util::Status& status) {
  BTE_REQUIRE(status.ok(), ErrorKind::BadInput, "sentencepiece could not encode a text: ",
              status.ToString());
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(
    std::unique_ptr<sentencepiece::SentencePieceProcessor> sp)
    : sp_(std::move(sp)) {}
SentencePieceTokenizer::SentencePieceTokenizer(SentencePieceTokenizer&&) noexcept = default;
SentencePieceTokenizer& SentencePieceTokenizer::operator=(SentencePieceTokenizer&&) noexcept =
    default;
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

TokenizerSettings SentencePieceTokenizer::settings_for_vocab(int64_t vocab) {
  return {{"fairseq_offset", kFairseqOffset}, {"bos_id", kBos}, {"pad_id", kPad},
          {"eos_id", kEos},                   {"unk_id", kUnk}, {"mask_id", vocab - 1}};
}

SentencePieceTokenizer SentencePieceTokenizer::from_file(const std::string& path) {
  // A directory or FIFO is refused by name (not read as "empty", not waited on).
  return from_bytes(read_regular_file(path, "sentencepiece model", ErrorKind::BadModel, 1u << 30),
                    path);
}

SentencePieceTokenizer SentencePieceTokenizer::from_bytes(std::string_view serialized, const std::string& origin) {
  BTE_REQUIRE(!serialized.empty(), ErrorKind::BadModel, origin, ": sentencepiece model is empty");
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = sp->LoadFromSerializedProto(serialized);
  BTE_REQUIRE(status.ok(), ErrorKind::BadModel, origin,
              ": not a valid sentencepiece model: ", status.ToString());
  // The fairseq mapping assumes sentencepiece's default specials (unk=0, bos=1, eos=2).
  BTE_REQUIRE(sp->unk_id() == 0, ErrorKind::BadModel, origin,
              ": sentencepiece <unk> id is ", sp->unk_id(), ", XLM-R's mapping needs 0");
  return SentencePieceTokenizer(std::move(sp));
}

std::vector<int32_t> SentencePieceTokenizer::pieces(std::string_view text) const {
  require_utf8(text);
  std::vector<int> sp;
  require_encoded(sp_->Encode(text, &sp));
  std::vector<int32_t> ids(sp.size());
  for (size_t i = 0; i < sp.size(); ++i) ids[i] = sp[i] == 0 ? kUnk : sp[i] + kFairseqOffset;
  return ids;
}

Encoding SentencePieceTokenizer::encode(std::string_view text, int max_tokens) const {
  BTE_CHECK(max_tokens >= 2, "max_tokens must leave room for <s> and </s>");
  const std::vector<int32_t> p = pieces(text);
  Encoding e;
  e.full_length = int64_t(p.size()) + 2;
  const size_t keep = std::min(p.size(), size_t(max_tokens - 2));
  e.ids.reserve(keep + 2);
  e.ids.push_back(kBos);
  e.ids.insert(e.ids.end(), p.begin(), p.begin() + keep);
  e.ids.push_back(kEos);
  return e;
}

namespace {

// Bytes of the UTF-8 character at text[i] (1 for an invalid lead byte).
size_t char_bytes(std::string_view text, size_t i) {
  const unsigned char b = static_cast<unsigned char>(text[i]);
  const size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  return std::min(n, text.size() - i);
}

// Whether the character at text[i] is one the normalizer folds into the
// word boundary "▁": ASCII whitespace, no-break space, the Unicode spaces
// U+2000-U+200A, U+202F, U+205F and the ideographic space U+3000.
bool is_space_at(std::string_view text, size_t i) {
  const unsigned char b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return b == ' ' || (b >= '\t' && b <= '\r');
  const size_t n = char_bytes(text, i);
  uint32_t cp = n == 2 ? b & 0x1F : n == 3 ? b & 0x0F : b & 0x07;
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

}  // namespace

Encoding SentencePieceTokenizer::encode_with_offsets(std::string_view text, int max_tokens) const {
  BTE_CHECK(max_tokens >= 2, "max_tokens must leave room for <s> and </s>");
  require_utf8(text);
  sentencepiece::ImmutableSentencePieceText spt;
  require_encoded(sp_->Encode(text, spt.mutable_proto()));
  const size_t n = spt.pieces_size();
  Encoding e;
  e.full_length = int64_t(n) + 2;
  const size_t keep = std::min(n, size_t(max_tokens - 2));
  e.ids.push_back(kBos);
  e.offsets.push_back({0, 0});
  for (size_t i = 0; i < keep; ++i) {
    const auto piece = spt.pieces(int(i));
    e.ids.push_back(piece.id() == 0 ? kUnk : int32_t(piece.id()) + kFairseqOffset);
    size_t b = std::min<size_t>(piece.begin(), text.size());
    const size_t end = std::min<size_t>(std::max<size_t>(piece.end(), b), text.size());
    while (b < end && is_space_at(text, b)) b += char_bytes(text, b);
    if (b == end)  // whitespace alone: the next character
      e.offsets.push_back({int32_t(end), int32_t(end < text.size() ? end + char_bytes(text, end) : end)});
    else
      e.offsets.push_back({int32_t(b), int32_t(end)});
  }
  e.ids.push_back(kEos);
  e.offsets.push_back({0, 0});
  return e;
}

Encoding SentencePieceTokenizer::encode_pair(std::string_view first, std::string_view second,
                                             int max_tokens) const {
  BTE_CHECK(max_tokens >= 4, "max_tokens must leave room for the pair's 4 specials");
  const std::vector<int32_t> a = pieces(first), b = pieces(second);
  const auto [na, nb] = longest_first(a.size(), b.size(), size_t(max_tokens - 4));
  Encoding e;
  e.full_length = int64_t(a.size() + b.size()) + 4;
  e.ids.reserve(na + nb + 4);
  e.ids.push_back(kBos);
  e.ids.insert(e.ids.end(), a.begin(), a.begin() + na);
  e.ids.push_back(kEos);
  e.ids.push_back(kEos);
  e.ids.insert(e.ids.end(), b.begin(), b.begin() + nb);
  e.ids.push_back(kEos);
  return e;
}

int32_t SentencePieceTokenizer::vocab_size() const { return sp_->GetPieceSize() + 2; }

std::string SentencePieceTokenizer::id_to_piece(int32_t id) const {
  switch (id) {
    case kBos: return "<s>";
    case kPad: return "<pad>";
    case kEos: return "</s>";
    case kUnk: return "<unk>";
    default: break;
  }
  if (id == mask_id()) return "<mask>";
  if (id < 0 || id - 1 >= sp_->GetPieceSize()) return "<out-of-range>";
  return sp_->IdToPiece(id - kFairseqOffset);
}

}  // namespace bte
