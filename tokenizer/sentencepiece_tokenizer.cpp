#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "base/atomic_file.h"
#include "base/check.h"
#include "base/utf8.h"

namespace bte {

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

Encoding SentencePieceTokenizer::encode(std::string_view text, int max_tokens) const {
  BTE_CHECK(max_tokens >= 2, "max_tokens must leave room for <s> and </s>");
  const size_t bad = find_invalid_utf8(text);
  BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput,
              "invalid UTF-8 at byte ", bad, " of a ", text.size(), "-byte text");
  std::vector<int> pieces;
  const auto status = sp_->Encode(text, &pieces);
  BTE_REQUIRE(status.ok(), ErrorKind::BadInput, "sentencepiece could not encode a text: ",
              status.ToString());
  Encoding e;
  e.full_length = int64_t(pieces.size()) + 2;
  const size_t keep = std::min(pieces.size(), size_t(max_tokens - 2));
  e.ids.reserve(keep + 2);
  e.ids.push_back(kBos);
  for (size_t i = 0; i < keep; ++i) e.ids.push_back(pieces[i] == 0 ? kUnk : pieces[i] + kFairseqOffset);
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
