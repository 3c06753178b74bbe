// WordPiece against Hugging Face: every expected id, type id and offset
// comes from tools/oracle/make_wordpiece_fixtures.py (tokenizers and
// transformers), in tests/data/wordpiece/<name>/. Three trained vocabularies
// (uncased with added tokens, cased without Chinese-character handling,
// multilingual), each read from tokenizer.json and from vocab.txt +
// tokenizer_config.json, on every corpus text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "convert/hf_wordpiece.h"
#include "tests/test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece_tokenizer.h"

using bte::WordPieceTokenizer;
using nlohmann::json;

namespace {

const char* const kNames[] = {"uncased", "cased", "multilingual"};

std::string dir_of(const std::string& name) { return bte::test::data_path("wordpiece/" + name); }

// The corpus as the fixture tool reads it: corpus.txt, then every
// multilingual/*.txt sorted by name; one text per line, empty lines kept.
const std::vector<std::string>& corpus() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> files = {bte::test::data_path("corpus.txt")};
    std::vector<std::string> more;
    const std::filesystem::path ml = bte::test::data_path("multilingual");
    if (std::filesystem::is_directory(ml))
      for (const auto& e : std::filesystem::directory_iterator(ml))
        if (e.path().extension() == ".txt") more.push_back(e.path().string());
    std::sort(more.begin(), more.end());
    files.insert(files.end(), more.begin(), more.end());
    std::vector<std::string> out;
    for (const auto& f : files) {
      const std::string content = bte::test::read_file(f);
      size_t b = 0;
      while (b < content.size()) {
        size_t e = content.find('\n', b);
        if (e == std::string::npos) e = content.size();
        out.push_back(content.substr(b, e - b));
        b = e + 1;
      }
    }
    return out;
  }();
  return texts;
}

// A golden file's lines after its "# bte-wordpiece-golden v1" header.
std::vector<std::string> golden_lines(const std::string& path) {
  std::vector<std::string> lines = bte::test::lines_of(bte::test::read_file(path));
  REQUIRE(!lines.empty());
  REQUIRE(lines[0].rfind("# bte-wordpiece-golden v1 ", 0) == 0);
  lines.erase(lines.begin());
  return lines;
}

std::vector<int32_t> ints(std::istream& in) {
  std::vector<int32_t> v;
  int32_t x;
  while (in >> x) v.push_back(x);
  return v;
}

std::vector<int32_t> ints(const std::string& s) {
  std::istringstream in(s);
  return ints(in);
}

std::vector<std::pair<int32_t, int32_t>> offsets_of(const json& j) {
  std::vector<std::pair<int32_t, int32_t>> v;
  for (const auto& p : j) v.push_back({p[0].get<int32_t>(), p[1].get<int32_t>()});
  return v;
}

const WordPieceTokenizer& from_json(const std::string& name) {
  static std::map<std::string, WordPieceTokenizer> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const std::string d = dir_of(name);
    it = cache.emplace(name, WordPieceTokenizer(bte::read_hf_tokenizer_json(d + "/tokenizer.json",
                                                                            d + "/tokenizer_config.json"),
                                                d + "/tokenizer.json"))
             .first;
  }
  return it->second;
}

const WordPieceTokenizer& from_vocab(const std::string& name) {
  static std::map<std::string, WordPieceTokenizer> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const std::string d = dir_of(name);
    it = cache.emplace(name, WordPieceTokenizer(bte::read_hf_vocab_txt(d + "/vocab.txt",
                                                                       d + "/tokenizer_config.json"),
                                                d + "/vocab.txt"))
             .first;
  }
  return it->second;
}

// The corpus ids of ids.txt, one vector per text.
std::vector<std::vector<int32_t>> golden_ids(const std::string& name) {
  std::vector<std::vector<int32_t>> out;
  for (const auto& l : golden_lines(dir_of(name) + "/ids.txt")) out.push_back(ints(l));
  return out;
}

void check_corpus(const bte::Tokenizer& tok, const std::vector<std::vector<int32_t>>& want,
                  const std::string& what) {
  const auto& texts = corpus();
  // A corpus grown since the fixtures were made: regenerate them.
  REQUIRE(want.size() == texts.size());
  int bad = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const bte::Encoding e = tok.encode(texts[i], 1 << 20);
    if (e.ids != want[i] && ++bad <= 5) {
      INFO(what << " corpus line " << i << ": \"" << texts[i].substr(0, 100) << "\"");
      CHECK(e.ids == want[i]);
    }
    CHECK(e.full_length == int64_t(want[i].size()));
    CHECK(e.type_ids.empty());
  }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("wordpiece: ids equal tokenizers' on every corpus text (tokenizer.json)", "[wordpiece]") {
  REQUIRE(corpus().size() >= 370);
  for (const char* name : kNames) check_corpus(from_json(name), golden_ids(name), name);
}

TEST_CASE("wordpiece: ids equal transformers' on every corpus text (vocab.txt + tokenizer_config.json)",
          "[wordpiece]") {
  for (const char* name : kNames) {
    std::vector<std::vector<int32_t>> want = golden_ids(name);
    for (const auto& l : golden_lines(dir_of(name) + "/vocab_path.txt")) {
      std::istringstream in(l);
      size_t line;
      in >> line;
      REQUIRE(line < want.size());
      want[line] = ints(in);
    }
    check_corpus(from_vocab(name), want, std::string(name) + " (vocab.txt)");
  }
}

TEST_CASE("wordpiece: edge texts: ids and byte offsets (specials, added tokens, İ, controls, long words)",
          "[wordpiece]") {
  for (const char* name : kNames) {
    int n = 0;
    for (const auto& l : golden_lines(dir_of(name) + "/edge.jsonl")) {
      const json c = json::parse(l);
      const std::string text = c.at("text");
      INFO(name << " edge text " << n++ << ": " << json(text).dump());
      const bte::Encoding e = from_json(name).encode_with_offsets(text, 1 << 20);
      CHECK(e.ids == c.at("ids").get<std::vector<int32_t>>());
      CHECK(e.offsets == offsets_of(c.at("offsets")));
    }
    CHECK(n > 30);
    n = 0;
    for (const auto& l : golden_lines(dir_of(name) + "/edge_vocab.jsonl")) {
      const json c = json::parse(l);
      const std::string text = c.at("text");
      INFO(name << " (vocab.txt) edge text " << n++ << ": " << json(text).dump());
      CHECK(from_vocab(name).encode(text, 1 << 20).ids == c.at("ids").get<std::vector<int32_t>>());
    }
  }
}

TEST_CASE("wordpiece: byte offsets into the original text equal tokenizers'", "[wordpiece]") {
  const auto& texts = corpus();
  for (const char* name : kNames) {
    int n = 0;
    for (const auto& l : golden_lines(dir_of(name) + "/offsets.txt")) {
      std::istringstream in(l);
      size_t line;
      in >> line;
      REQUIRE(line < texts.size());
      std::vector<std::pair<int32_t, int32_t>> want;
      std::string tok;
      while (in >> tok) {
        const size_t comma = tok.find(',');
        want.push_back({std::stoi(tok.substr(0, comma)), std::stoi(tok.substr(comma + 1))});
      }
      INFO(name << " corpus line " << line << ": \"" << texts[line].substr(0, 100) << "\"");
      const bte::Encoding e = from_json(name).encode_with_offsets(texts[line], 1 << 20);
      CHECK(e.offsets == want);
      CHECK(e.ids == from_json(name).encode(texts[line], 1 << 20).ids);
      ++n;
    }
    CHECK(n >= 100);
  }
}

TEST_CASE("wordpiece: truncated single texts equal tokenizers'", "[wordpiece]") {
  const auto& texts = corpus();
  for (const char* name : kNames) {
    int n = 0, cut = 0;
    for (const auto& l : golden_lines(dir_of(name) + "/truncated.txt")) {
      std::istringstream in(l);
      size_t line;
      int max_len;
      in >> line >> max_len;
      const std::vector<int32_t> want = ints(in);
      INFO(name << " corpus line " << line << " at " << max_len);
      const bte::Encoding e = from_json(name).encode(texts.at(line), max_len);
      CHECK(e.ids == want);
      cut += e.truncated();
      ++n;
    }
    CHECK(n > 100);
    CHECK(cut > 50);
  }
}

TEST_CASE("wordpiece: pairs with type ids and longest_first truncation equal tokenizers'",
          "[wordpiece]") {
  const auto& texts = corpus();
  for (const char* name : kNames) {
    int n = 0, cut = 0;
    for (const auto& l : golden_lines(dir_of(name) + "/pairs.txt")) {
      const size_t bar1 = l.find('|'), bar2 = l.rfind('|');
      std::istringstream head(l.substr(0, bar1));
      size_t i, j;
      int max_len;
      head >> i >> j >> max_len;
      const std::vector<int32_t> ids = ints(l.substr(bar1 + 1, bar2 - bar1 - 1));
      const std::vector<int32_t> types = ints(l.substr(bar2 + 1));
      INFO(name << " pair (" << i << ", " << j << ") at " << max_len);
      const bte::Encoding e = from_json(name).encode_pair(texts.at(i), texts.at(j), max_len);
      CHECK(e.ids == ids);
      CHECK(e.type_ids == types);
      cut += e.truncated();
      ++n;
    }
    CHECK(n > 100);
    CHECK(cut > 20);
  }
}

TEST_CASE("wordpiece: to_bytes / from_bytes round trip", "[wordpiece]") {
  for (const char* name : kNames) {
    const WordPieceTokenizer& a = from_json(name);
    const WordPieceTokenizer b = WordPieceTokenizer::from_bytes(a.to_bytes(), "round trip");
    CHECK(b.to_bytes() == a.to_bytes());
    CHECK(b.settings() == a.settings());
    CHECK(b.vocab_size() == a.vocab_size());
    CHECK(b.pad_id() == a.pad_id());
    CHECK(b.kind() == "wordpiece");
    for (int32_t id = 0; id < a.vocab_size(); id += 97) CHECK(b.id_to_piece(id) == a.id_to_piece(id));
    CHECK(b.id_to_piece(a.vocab_size() - 1) == a.id_to_piece(a.vocab_size() - 1));
    const auto& texts = corpus();
    for (size_t i = 0; i < texts.size(); i += 5)
      CHECK(b.encode(texts[i], 1 << 20).ids == a.encode(texts[i], 1 << 20).ids);
  }
  // The settings the .bte header records.
  const auto s = from_json("uncased").settings();
  CHECK(s.at("lowercase") == 1);
  CHECK(s.at("strip_accents") == 1);  // unset in tokenizer.json: follows lowercase
  CHECK(s.at("handle_chinese_chars") == 1);
  CHECK(s.at("max_input_chars_per_word") == 100);
  CHECK(s.at("vocab_size") == 8002);
  const auto c = from_json("cased").settings();
  CHECK(c.at("lowercase") == 0);
  CHECK(c.at("strip_accents") == 0);
  CHECK(c.at("handle_chinese_chars") == 0);
  CHECK(from_json("cased").id_to_piece(c.at("cls_id")) == "[CLS]");
  CHECK(from_json("cased").id_to_piece(c.at("sep_id")) == "[SEP]");
  CHECK(from_json("cased").id_to_piece(c.at("pad_id")) == "[PAD]");
  CHECK(from_json("cased").id_to_piece(c.at("mask_id")) == "[MASK]");
  CHECK(from_json("cased").id_to_piece(c.at("unk_id")) == "[UNK]");
  CHECK(from_json("uncased").id_to_piece(8001) == "Xyzzy");
  CHECK(from_json("uncased").id_to_piece(8002) == "<out-of-range>");
}

TEST_CASE("wordpiece: corrupt bytes are refused naming the field", "[wordpiece]") {
  json j = json::parse(from_json("cased").to_bytes());
  auto refused = [&](const json& k, const std::string& what) {
    CHECK_THROWS_WITH(WordPieceTokenizer::from_bytes(k.dump(), "m.bte"), Catch::Contains(what));
  };
  CHECK_THROWS_WITH(WordPieceTokenizer::from_bytes("{not json", "m.bte"),
                    Catch::Contains("m.bte: the wordpiece tokenizer's bytes are not valid JSON"));
  CHECK_THROWS_WITH(WordPieceTokenizer::from_bytes("", "m.bte"), Catch::Contains("empty"));
  json k = j;
  k["version"] = 2;
  refused(k, "format version 2");
  k = j;
  k.erase("lowercase");
  refused(k, "lack 'lowercase'");
  k = j;
  k["unk_token"] = "[NOPE]";
  refused(k, "the unk token \"[NOPE]\" is not in the WordPiece vocabulary");
  k = j;
  k["pad_id"] = 1 << 20;
  refused(k, "pad_id is 1048576, outside");
  k = j;
  k["single"] = json::array({{{"sequence", "B"}, {"type_id", 0}}});
  refused(k, "the single template must hold sequence A once");
  k = j;
  k["vocab"][7] = 7;
  refused(k, "'vocab[7]' must be a string");
}

TEST_CASE("wordpiece: load_tokenizer checks every setting against the embedded bytes",
          "[wordpiece]") {
  const WordPieceTokenizer& tok = from_json("uncased");
  const std::string bytes = tok.to_bytes();
  const bte::TokenizerSettings good = tok.settings();
  auto loaded = bte::load_tokenizer("wordpiece", good, bytes, tok.vocab_size(), "m.bte");
  CHECK(loaded->kind() == "wordpiece");
  CHECK(loaded->encode("Hello world", 512).ids == tok.encode("Hello world", 512).ids);
  auto bad = good;
  bad["lowercase"] = 0;
  CHECK_THROWS_WITH(bte::load_tokenizer("wordpiece", bad, bytes, tok.vocab_size(), "m.bte"),
                    Catch::Contains("m.bte: 'tokenizer.lowercase' is 0; the embedded wordpiece tokenizer has 1"));
  bad = good;
  bad.erase("cls_id");
  CHECK_THROWS_WITH(bte::load_tokenizer("wordpiece", bad, bytes, tok.vocab_size(), "m.bte"),
                    Catch::Contains("the wordpiece tokenizer needs the setting 'tokenizer.cls_id'"));
  bad = good;
  bad["fairseq_offset"] = 1;
  CHECK_THROWS_WITH(bte::load_tokenizer("wordpiece", bad, bytes, tok.vocab_size(), "m.bte"),
                    Catch::Contains("'tokenizer.fairseq_offset' is not a setting of the wordpiece tokenizer"));
  CHECK_THROWS_WITH(bte::load_tokenizer("wordpiece", good, bytes, 100, "m.bte"),
                    Catch::Contains("8002 ids but the model's vocabulary is 100"));
  CHECK_THROWS_WITH(bte::load_tokenizer("wordpiece", good, "garbage", tok.vocab_size(), "m.bte"),
                    Catch::Contains("m.bte: the wordpiece tokenizer's bytes are not valid JSON"));
}

TEST_CASE("wordpiece: invalid UTF-8 is refused with its byte offset", "[wordpiece]") {
  const WordPieceTokenizer& tok = from_json("multilingual");
  for (auto call : {0, 1, 2}) {
    try {
      const std::string text = "fine \xC3\x28 then bad";
      if (call == 0) tok.encode(text, 512);
      if (call == 1) tok.encode_with_offsets(text, 512);
      if (call == 2) tok.encode_pair("ok", text, 512);
      FAIL("invalid UTF-8 accepted");
    } catch (const bte::Error& e) {
      CHECK(e.kind() == bte::ErrorKind::BadInput);
      CHECK_THAT(e.what(), Catch::Contains("invalid UTF-8 at byte 5"));
    }
  }
  CHECK_THROWS_WITH(tok.encode("\xED\xA0\x80", 512), Catch::Contains("invalid UTF-8 at byte 0"));
}

namespace {

// A copy of the uncased checkpoint's tokenizer.json with `edit` applied,
// in a fresh directory; returns the directory.
std::string edited_checkpoint(const std::function<void(json&)>& edit) {
  json j = json::parse(bte::test::read_file(dir_of("uncased") + "/tokenizer.json"));
  edit(j);
  const std::string d = bte::test::temp_dir();
  std::ofstream(d + "/tokenizer.json") << j.dump();
  return d;
}

}  // namespace

TEST_CASE("wordpiece: the converter refuses what bte does not implement, naming it and the file",
          "[wordpiece]") {
  auto refused = [](const std::string& dir, const std::vector<std::string>& parts) {
    try {
      bte::read_hf_wordpiece(dir);
      FAIL("accepted " << dir);
    } catch (const bte::Error& e) {
      CHECK(e.kind() == bte::ErrorKind::BadModel);
      for (const auto& p : parts) CHECK_THAT(e.what(), Catch::Contains(p));
    }
  };
  std::string d = edited_checkpoint([](json& j) { j["model"]["type"] = "BPE"; });
  refused(d, {d + "/tokenizer.json", "model type \"BPE\" is not WordPiece"});
  d = edited_checkpoint([](json& j) { j["normalizer"] = {{"type", "NFKC"}}; });
  refused(d, {d + "/tokenizer.json", "normalizer type \"NFKC\""});
  d = edited_checkpoint([](json& j) {
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "Lowercase"}}}}};
  });
  refused(d, {"sequence of 2 normalizers"});
  d = edited_checkpoint([](json& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; });
  refused(d, {d + "/tokenizer.json", "pre_tokenizer type \"Whitespace\""});
  d = edited_checkpoint([](json& j) { j["post_processor"] = {{"type", "RobertaProcessing"}}; });
  refused(d, {d + "/tokenizer.json", "post_processor type \"RobertaProcessing\""});
  d = edited_checkpoint([](json& j) { j["added_tokens"][0]["lstrip"] = true; });
  refused(d, {"added token \"[PAD]\"", "lstrip"});
  d = edited_checkpoint([](json& j) { j["model"].erase("vocab"); });
  refused(d, {d + "/tokenizer.json", "'model.vocab'"});
  d = edited_checkpoint([](json& j) { j["model"]["vocab"]["[PAD]"] = 1; });
  refused(d, {"gives the id 1 twice"});
  d = bte::test::temp_dir();
  std::ofstream(d + "/tokenizer.json") << "{\"model\": {\"type\": \"WordPiece\",";
  refused(d, {d + "/tokenizer.json", "not valid JSON"});
  d = bte::test::temp_dir();
  refused(d, {d, "no tokenizer.json or vocab.txt"});
  d = bte::test::temp_dir();
  std::ofstream(d + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\nhello\n";
  refused(d, {d + "/vocab.txt", "the sep_token \"[SEP]\" is not in vocab.txt"});
  std::ofstream(d + "/tokenizer_config.json") << "{\"do_lower_case\": \"yes\"}";
  refused(d, {d + "/tokenizer_config.json", "'do_lower_case'"});
  d = bte::test::temp_dir();
  std::ofstream(d + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n\xFF\xFE\n";
  refused(d, {d + "/vocab.txt", "line 5 is not valid UTF-8"});
}

TEST_CASE("wordpiece: a vocab.txt checkpoint takes BERT's defaults", "[wordpiece]") {
  const std::string d = bte::test::temp_dir();
  std::ofstream(d + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\n,\n";
  const WordPieceTokenizer tok(bte::read_hf_wordpiece(d), d + "/vocab.txt");
  const auto s = tok.settings();
  CHECK(s.at("lowercase") == 1);
  CHECK(s.at("strip_accents") == 1);
  CHECK(s.at("clean_text") == 1);
  CHECK(s.at("handle_chinese_chars") == 1);
  CHECK(tok.pad_id() == 0);
  // Hand-checkable: "Hellos, WORLD" -> [CLS] hello ##s , world [SEP]
  CHECK(tok.encode("Hellos, WORLD", 512).ids == std::vector<int32_t>{2, 5, 6, 8, 7, 3});
  CHECK(tok.encode("Hellos, WORLD", 3).ids == std::vector<int32_t>{2, 5, 3});
  CHECK(tok.encode("", 512).ids == std::vector<int32_t>{2, 3});
  // Each line loses its trailing White_Space, Unicode's too, but not its
  // leading: tokenizers' WordPiece.read_file gives {"a": 5, "b": 6, "\u3000c": 7}.
  std::ofstream(d + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na \nb\t\r\n\u3000c\u3000\n";
  const auto spec = bte::read_hf_wordpiece(d);
  CHECK(spec.vocab == std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "\u3000c"});
}
