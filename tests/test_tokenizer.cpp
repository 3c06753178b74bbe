// Tokenizer ids against the oracle (tools/oracle: sentencepiece's Python
// binding + the fairseq mapping), for both test models, on every corpus line
// and the edge cases, at 512 and 16 max tokens.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "tests/test_util.h"
#include "tokenizer/sentencepiece_tokenizer.h"

using bte::SentencePieceTokenizer;
using nlohmann::json;

TEST_CASE("tokenizer: ids equal the oracle's on the corpus and edge cases", "[tokenizer]") {
  const json golden = json::parse(bte::test::read_file(bte::test::data_path("tokenizer_golden.json")));
  REQUIRE(golden.at("magic") == "bte-tokenizer-golden");
  REQUIRE(golden.at("version") == 1);
  REQUIRE(golden.at("max_tokens") == json::array({512, 16}));
  for (const auto& [name, model] : golden.at("models").items()) {
    const SentencePieceTokenizer tok = SentencePieceTokenizer::from_file(std::string(BTE_SOURCE_DIR) + "/" +
                                               model.at("spm").get<std::string>());
    CHECK(tok.vocab_size() == model.at("vocab_size").get<int>());
    int n = 0;
    for (const auto& c : model.at("cases")) {
      const std::string text = c.at("text");
      INFO(name << " case " << n << ": \"" << text.substr(0, 80) << "\"");
      const auto e512 = tok.encode(text, 512);
      CHECK(e512.ids == c.at("ids").get<std::vector<int32_t>>());
      CHECK(e512.truncated() == c.at("truncated").get<bool>());
      const auto e16 = tok.encode(text, 16);
      CHECK(e16.ids == c.at("ids_16").get<std::vector<int32_t>>());
      ++n;
    }
    CHECK(n > 300);
  }
}

TEST_CASE("tokenizer: empty text, truncation bookkeeping, invalid UTF-8", "[tokenizer]") {
  const SentencePieceTokenizer tok = SentencePieceTokenizer::from_file(bte::test::data_path("spm/unigram.model"));
  CHECK(tok.encode("", 512).ids == std::vector<int32_t>{0, 2});
  CHECK(tok.encode("", 2).ids == std::vector<int32_t>{0, 2});
  const auto e = tok.encode(std::string(5000, 'a') + " b c d", 8);
  CHECK(e.ids.size() == 8);
  CHECK(e.ids.front() == 0);
  CHECK(e.ids.back() == 2);
  CHECK(e.truncated());
  CHECK(e.full_length > 8);
  CHECK_THROWS_WITH(tok.encode("fine \xC3\x28 then bad", 512),
                    Catch::Contains("invalid UTF-8 at byte 5"));
  try {
    tok.encode("\xFF", 512);
    FAIL("invalid UTF-8 accepted");
  } catch (const bte::Error& err) {
    CHECK(err.kind() == bte::ErrorKind::BadInput);
  }
  CHECK(tok.id_to_piece(0) == "<s>");
  CHECK(tok.id_to_piece(tok.mask_id()) == "<mask>");
}

TEST_CASE("tokenizer: a missing or corrupt model file is a clear error", "[tokenizer]") {
  CHECK_THROWS_WITH(SentencePieceTokenizer::from_file("/nonexistent/spm.model"),
                    Catch::Contains("cannot open sentencepiece model"));
  CHECK_THROWS_WITH(SentencePieceTokenizer::from_bytes("this is not a protobuf", "junk.model"),
                    Catch::Contains("junk.model: not a valid sentencepiece model"));
  CHECK_THROWS_WITH(SentencePieceTokenizer::from_bytes("", "empty.model"), Catch::Contains("empty"));
}
