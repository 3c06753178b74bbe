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

std::vector<int32_t> SentencePieceTokenizer::pieces(std::string_view text) const {
  const size_t bad = find_invalid_utf8(text);
  BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput,
              "invalid UTF-8 at byte ", bad, " of a ", text.size(), "-byte text");
  std::vector<int> sp;
  const auto status = sp_->Encode(text, &sp);
  BTE_REQUIRE(status.ok(), ErrorKind::BadInput, "sentencepiece could not encode a text: ",
              status.ToString());
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

Encoding SentencePieceTokenizer::encode_pair(std::string_view first, std::string_view second,
                                             int max_tokens) const {
  BTE_CHECK(max_tokens >= 4, "max_tokens must leave room for the pair's 4 specials");
  const std::vector<int32_t> a = pieces(first), b = pieces(second);
  const size_t room = size_t(max_tokens - 4);
  size_t na = a.size(), nb = b.size();
  if (na + nb > room) {
    // longest_first: the shorter side stays whole if the longer can take the
    // cut alone; otherwise each gets half, the longer one the odd token.
    const bool a_short = na <= nb;
    size_t short_n = a_short ? na : nb;
    size_t long_n = std::max(short_n, room > short_n ? room - short_n : 0);
    if (short_n + long_n > room) {
      short_n = room / 2;
      long_n = room / 2 + room % 2;
    }
    na = a_short ? short_n : long_n;
    nb = a_short ? long_n : short_n;
  }
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
