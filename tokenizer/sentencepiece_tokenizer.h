// XLM-R's tokenizer: sentencepiece + the fairseq id mapping.
//
//   auto tok = bte::SentencePieceTokenizer::from_file("sentencepiece.bpe.model");
//   bte::Encoding e = tok.encode("Hello world", /*max_tokens=*/512);
//   // e.ids == {0, ..., 2}: <s> pieces </s>
//
// Ids: <s>=0, <pad>=1, </s>=2, <unk>=3, any other piece = its sentencepiece id
// + 1, <mask> = vocab_size() - 1.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace bte {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  static constexpr int32_t kBos = 0, kPad = 1, kEos = 2, kUnk = 3;
  static constexpr int32_t kFairseqOffset = 1;  // model id = sentencepiece id + 1
  static constexpr const char* kKind = "sentencepiece";

  // Throws bte::Error(BadModel) naming the file when it cannot be read or parsed.
  static SentencePieceTokenizer from_file(const std::string& path);
  // `serialized` is the bytes of a sentencepiece ModelProto (as embedded in a .bte file).
  static SentencePieceTokenizer from_bytes(std::string_view serialized, const std::string& origin);
  // The settings a .bte header carries for a vocabulary of `vocab` ids
  // (fairseq_offset, bos/pad/eos/unk/mask ids); the loader requires exactly these.
  static TokenizerSettings settings_for_vocab(int64_t vocab);

  SentencePieceTokenizer(SentencePieceTokenizer&&) noexcept;
  SentencePieceTokenizer& operator=(SentencePieceTokenizer&&) noexcept;
  ~SentencePieceTokenizer() override;

  std::string_view kind() const override { return kKind; }
  TokenizerSettings settings() const override { return settings_for_vocab(vocab_size()); }
  // <s> pieces </s>; an empty text gives {<s>, </s>}.
  Encoding encode(std::string_view text, int max_tokens) const override;
  Encoding encode_with_offsets(std::string_view text, int max_tokens) const override;
  // <s> first </s></s> second </s> (XLM-R's pair template); max_tokens >= 4.
  // An empty second text is still a pair: <s> first </s></s></s>.
  Encoding encode_pair(std::string_view first, std::string_view second,
                       int max_tokens) const override;
  // pieces + 1 (fairseq offset) + 1 (<mask>).
  int32_t vocab_size() const override;
  int32_t pad_id() const override { return kPad; }
  int32_t mask_id() const { return vocab_size() - 1; }
  std::string id_to_piece(int32_t id) const override;

 private:
  explicit SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp);
  // The text's model ids without specials (strict UTF-8, as encode()).
  std::vector<int32_t> pieces(std::string_view text) const;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
};

}  // namespace bte
