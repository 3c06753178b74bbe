// XLM-R tokenizer: sentencepiece + the fairseq id mapping.
//
//   bte::Tokenizer tok = bte::Tokenizer::from_file("sentencepiece.bpe.model");
//   bte::Encoding e = tok.encode("Hello world", /*max_tokens=*/512);
//   // e.ids == {0, ..., 2}: <s> pieces </s>
//
// Ids: <s>=0, <pad>=1, </s>=2, <unk>=3, any other piece = its sentencepiece id
// + 1, <mask> = vocab_size() - 1. Knows nothing of the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace bte {

struct Encoding {
  std::vector<int32_t> ids;  // <s> ... </s>, at most max_tokens long
  int64_t full_length = 0;   // length before truncation, specials included
  bool truncated() const { return int64_t(ids.size()) < full_length; }
};

class Tokenizer {
 public:
  static constexpr int32_t kBos = 0, kPad = 1, kEos = 2, kUnk = 3;

  // Throws bte::Error(BadModel) naming the file when it cannot be read or parsed.
  static Tokenizer from_file(const std::string& path);
  // `serialized` is the bytes of a sentencepiece ModelProto (as embedded in a .bte file).
  static Tokenizer from_bytes(std::string_view serialized, const std::string& origin);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Text -> ids with <s>/</s>, truncated to max_tokens (>= 2) total. Invalid
  // UTF-8 throws bte::Error(BadInput) with the byte offset. An empty text
  // gives {<s>, </s>}. Thread-safe (const).
  Encoding encode(std::string_view text, int max_tokens) const;

  // Model vocabulary implied by this tokenizer: pieces + 1 (fairseq offset) + 1 (<mask>).
  int32_t vocab_size() const;
  int32_t mask_id() const { return vocab_size() - 1; }
  // The piece text of an id (for `bte tokenize --pieces`).
  std::string id_to_piece(int32_t id) const;

 private:
  explicit Tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp);
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
};

}  // namespace bte
