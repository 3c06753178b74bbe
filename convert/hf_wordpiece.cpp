#include "convert/hf_wordpiece.h"

#include <algorithm>
#include <map>

#include "base/atomic_file.h"
#include "base/check.h"
#include "base/utf8.h"
#include "weights/json_fields.h"

namespace bte {

namespace {

namespace jf = json_fields;
using nlohmann::json;
constexpr ErrorKind kBad = ErrorKind::BadModel;
constexpr size_t kMaxFile = 256u << 20;

// tokenizer_config.json: null when there is none.
json read_config(const std::string& path) {
  if (path.empty() || !path_exists(path)) return nullptr;
  json j = jf::parse(read_regular_file(path, "tokenizer_config.json", kBad, kMaxFile), path,
                     "tokenizer_config.json");
  BTE_REQUIRE(j.is_object(), kBad, path, ": tokenizer_config.json must be a JSON object");
  return j;
}

// A special token's text in tokenizer_config.json: a string or an AddedToken
// object ({"content": ...}); `fallback` (BertTokenizer's default) when absent.
std::string config_token(const json& config, const std::string& path, const char* key,
                         const char* fallback) {
  const json* v = config.is_object() ? jf::find(config, key) : nullptr;
  if (!v || v->is_null()) return fallback;
  if (v->is_string()) return v->get<std::string>();
  BTE_REQUIRE(v->is_object() && v->contains("content") && (*v)["content"].is_string(), kBad, path,
              ": tokenizer_config.json field '", key,
              "' must be a string or an object with a 'content' string, got ", jf::brief(*v));
  return (*v)["content"].get<std::string>();
}

bool config_bool(const json& config, const std::string& path, const char* key, bool fallback) {
  const json* v = config.is_object() ? jf::find(config, key) : nullptr;
  if (!v || v->is_null()) return fallback;
  return jf::get_bool(config, key, path, "", "tokenizer_config.json field");
}

// The id of a token's text: an added token's id, else the vocabulary's (the
// last line naming it, as Hugging Face's map); -1 when neither has it.
int32_t id_of(const WordPieceSpec& s, const std::string& token) {
  for (const auto& a : s.added_tokens)
    if (a.content == token) return a.id;
  for (size_t i = s.vocab.size(); i-- > 0;)
    if (s.vocab[i] == token) return int32_t(i);
  return -1;
}

// cls/sep/pad/mask ids from tokenizer_config.json's token names (or BERT's).
void set_special_ids(WordPieceSpec& s, const json& config, const std::string& config_path) {
  s.cls_id = id_of(s, config_token(config, config_path, "cls_token", "[CLS]"));
  s.sep_id = id_of(s, config_token(config, config_path, "sep_token", "[SEP]"));
  s.mask_id = id_of(s, config_token(config, config_path, "mask_token", "[MASK]"));
  if (s.pad_id < 0) s.pad_id = id_of(s, config_token(config, config_path, "pad_token", "[PAD]"));
}

// ---- tokenizer.json ----------------------------------------------------------------

const char* const F = "tokenizer.json field";

std::string type_of(const json& obj, const std::string& path, const std::string& field) {
  BTE_REQUIRE(obj.is_object(), kBad, path, ": ", F, " '", field, "' must be an object or null, got ",
              jf::brief(obj));
  return jf::get_string(obj, "type", path, field, F);
}

void read_normalizer(const json& n, const std::string& path, const std::string& field,
                     WordPieceSpec& s) {
  if (n.is_null()) {  // no normalizer: BertNormalizer with every step off
    s.lowercase = s.clean_text = s.handle_chinese_chars = false;
    s.strip_accents = false;
    return;
  }
  const std::string type = type_of(n, path, field);
  if (type == "Sequence") {
    const json& list = jf::get(n, "normalizers", path, field, F);
    BTE_REQUIRE(list.is_array() && list.size() <= 1, kBad, path, ": ", F, " '", field,
                ".normalizers' must list at most one normalizer (a BertNormalizer); bte does not "
                "implement a sequence of ", list.is_array() ? list.size() : 0, " normalizers");
    return read_normalizer(list.empty() ? json(nullptr) : list[0], path, field + ".normalizers[0]", s);
  }
  BTE_REQUIRE(type == "BertNormalizer", kBad, path, ": normalizer type \"", type, "\" (", field,
              ") is not one bte implements for WordPiece (BertNormalizer)");
  auto flag = [&](const char* key, bool fallback) {
    const json* v = jf::find(n, key);
    return v && !v->is_null() ? jf::get_bool(n, key, path, field, F) : fallback;
  };
  s.clean_text = flag("clean_text", true);
  s.handle_chinese_chars = flag("handle_chinese_chars", true);
  s.lowercase = flag("lowercase", true);
  const json* sa = jf::find(n, "strip_accents");
  if (sa && !sa->is_null()) s.strip_accents = jf::get_bool(n, "strip_accents", path, field, F);
}

void read_pre_tokenizer(const json& p, const std::string& path, const std::string& field) {
  BTE_REQUIRE(!p.is_null(), kBad, path, ": ", F, " '", field,
              "' is null; bte implements WordPiece with BertPreTokenizer only");
  const std::string type = type_of(p, path, field);
  if (type == "Sequence") {
    const json& list = jf::get(p, "pretokenizers", path, field, F);
    BTE_REQUIRE(list.is_array() && list.size() == 1, kBad, path, ": ", F, " '", field,
                ".pretokenizers' must list one pre-tokenizer (BertPreTokenizer); bte does not "
                "implement a sequence of ", list.is_array() ? list.size() : 0);
    return read_pre_tokenizer(list[0], path, field + ".pretokenizers[0]");
  }
  BTE_REQUIRE(type == "BertPreTokenizer", kBad, path, ": pre_tokenizer type \"", type, "\" (",
              field, ") is not one bte implements for WordPiece (BertPreTokenizer)");
}

// [name, id] as BertProcessing writes cls and sep.
int32_t named_id(const json& p, const char* key, const std::string& path) {
  const json& v = jf::get(p, key, path, "post_processor", F);
  BTE_REQUIRE(v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_number_integer(), kBad,
              path, ": ", F, " 'post_processor.", key, "' must be [token, id], got ", jf::brief(v));
  return int32_t(v[1].get<int64_t>());
}

std::vector<WordPieceTemplatePiece> read_template(const json& post, const char* key,
                                                  const std::string& path) {
  using K = WordPieceTemplatePiece::Kind;
  const std::string field = std::string("post_processor.") + key;
  const json& t = jf::get(post, key, path, "post_processor", F);
  BTE_REQUIRE(t.is_array(), kBad, path, ": ", F, " '", field, "' must be an array");
  const json& specials = jf::get(post, "special_tokens", path, "post_processor", F);
  std::vector<WordPieceTemplatePiece> out;
  for (size_t i = 0; i < t.size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    BTE_REQUIRE(t[i].is_object() && t[i].size() == 1, kBad, path, ": ", F, " '", at,
                "' must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const std::string what = t[i].begin().key();
    const json& body = t[i].begin().value();
    const int32_t type_id = int32_t(jf::get_int(body, "type_id", path, at + "." + what, 0, 255, F));
    const std::string id = jf::get_string(body, "id", path, at + "." + what, F);
    if (what == "Sequence") {
      BTE_REQUIRE(id == "A" || id == "B", kBad, path, ": ", F, " '", at,
                  ".Sequence.id' must be \"A\" or \"B\", got \"", id, "\"");
      out.push_back({id == "A" ? K::A : K::B, -1, type_id});
      continue;
    }
    BTE_REQUIRE(what == "SpecialToken", kBad, path, ": ", F, " '", at, "' is a \"", what,
                "\"; bte knows SpecialToken and Sequence");
    const json& sp = jf::get(specials, id, path, "post_processor.special_tokens", F);
    const json& ids = jf::get(sp, "ids", path, "post_processor.special_tokens." + id, F);
    BTE_REQUIRE(ids.is_array() && !ids.empty(), kBad, path, ": ", F,
                " 'post_processor.special_tokens.", id, ".ids' must be a non-empty array");
    for (const json& x : ids) {
      BTE_REQUIRE(x.is_number_integer(), kBad, path, ": ", F, " 'post_processor.special_tokens.",
                  id, ".ids' must hold integers, got ", jf::brief(x));
      out.push_back({K::Special, int32_t(x.get<int64_t>()), type_id});
    }
  }
  return out;
}

void read_post_processor(const json& p, const std::string& path, WordPieceSpec& s) {
  using K = WordPieceTemplatePiece::Kind;
  if (p.is_null()) {  // no specials; B's tokens are type 1 (HF's default merge)
    s.single = {{K::A, -1, 0}};
    s.pair = {{K::A, -1, 0}, {K::B, -1, 1}};
    return;
  }
  const std::string type = type_of(p, path, "post_processor");
  if (type == "BertProcessing") {
    const int32_t cls = named_id(p, "cls", path), sep = named_id(p, "sep", path);
    s.single = {{K::Special, cls, 0}, {K::A, -1, 0}, {K::Special, sep, 0}};
    s.pair = {{K::Special, cls, 0}, {K::A, -1, 0}, {K::Special, sep, 0}, {K::B, -1, 1},
              {K::Special, sep, 1}};
    return;
  }
  BTE_REQUIRE(type == "TemplateProcessing", kBad, path, ": post_processor type \"", type,
              "\" is not one bte implements for WordPiece (TemplateProcessing, BertProcessing)");
  s.single = read_template(p, "single", path);
  s.pair = read_template(p, "pair", path);
}

void read_added_tokens(const json& list, const std::string& path, const std::string& field,
                       bool keyed_by_id, WordPieceSpec& s) {
  BTE_REQUIRE(keyed_by_id ? list.is_object() : list.is_array(), kBad, path, ": ", F, " '", field,
              "' must be an ", keyed_by_id ? "object" : "array");
  for (auto it = list.begin(); it != list.end(); ++it) {
    const json& t = it.value();
    const std::string at = keyed_by_id ? field + "." + it.key()
                                       : field + "[" + std::to_string(s.added_tokens.size()) + "]";
    WordPieceAddedToken a;
    a.content = jf::get_string(t, "content", path, at, F);
    if (keyed_by_id) {
      const std::string& k = it.key();
      BTE_REQUIRE(!k.empty() && k.size() < 10 && k.find_first_not_of("0123456789") == std::string::npos,
                  kBad, path, ": '", at, "' must be keyed by a token id");
      a.id = int32_t(std::stol(k));
    } else {
      a.id = int32_t(jf::get_int(t, "id", path, at, 0, INT32_MAX, F));
    }
    auto flag = [&](const char* key, bool fallback) {
      const json* v = jf::find(t, key);
      return v && !v->is_null() ? jf::get_bool(t, key, path, at, F) : fallback;
    };
    a.special = flag("special", false);
    a.normalized = flag("normalized", !a.special);
    for (const char* unsupported : {"single_word", "lstrip", "rstrip"})
      BTE_REQUIRE(!flag(unsupported, false), kBad, path, ": added token \"", a.content, "\" ('",
                  at, "') has ", unsupported, " set; bte implements added tokens without ",
                  "single_word, lstrip and rstrip");
    bool seen = false;
    for (const auto& b : s.added_tokens) seen = seen || (b.id == a.id && b.content == a.content);
    if (!seen) s.added_tokens.push_back(std::move(a));
  }
}

}  // namespace

WordPieceSpec read_hf_tokenizer_json(const std::string& path, const std::string& config_path) {
  const json j =
      jf::parse(read_regular_file(path, "tokenizer.json", kBad, kMaxFile), path, "tokenizer.json");
  BTE_REQUIRE(j.is_object(), kBad, path, ": tokenizer.json must be a JSON object");
  WordPieceSpec s;
  const json& model = jf::get(j, "model", path, "", F);
  const std::string type = type_of(model, path, "model");
  BTE_REQUIRE(type == "WordPiece", kBad, path, ": model type \"", type,
              "\" is not WordPiece (bte reads BERT's WordPiece tokenizer.json; XLM-R's ",
              "sentencepiece comes from sentencepiece.bpe.model)");
  const json& vocab = jf::get(model, "vocab", path, "model", F);
  BTE_REQUIRE(vocab.is_object() && !vocab.empty(), kBad, path, ": ", F,
              " 'model.vocab' must be a non-empty object");
  s.vocab.resize(vocab.size());
  std::vector<bool> filled(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    BTE_REQUIRE(it.value().is_number_integer() && it.value().get<int64_t>() >= 0 &&
                    it.value().get<int64_t>() < int64_t(vocab.size()),
                kBad, path, ": ", F, " 'model.vocab' gives \"", it.key(), "\" the id ",
                jf::brief(it.value()), "; the ids must be 0..", vocab.size() - 1);
    const size_t id = size_t(it.value().get<int64_t>());
    BTE_REQUIRE(!filled[id], kBad, path, ": ", F, " 'model.vocab' gives the id ", id,
                " twice (\"", s.vocab[id], "\" and \"", it.key(), "\")");
    filled[id] = true;
    s.vocab[id] = it.key();
  }
  if (const json* v = jf::find(model, "unk_token"); v && !v->is_null())
    s.unk_token = jf::get_string(model, "unk_token", path, "model", F);
  if (const json* v = jf::find(model, "continuing_subword_prefix"); v && !v->is_null())
    s.continuing_subword_prefix = jf::get_string(model, "continuing_subword_prefix", path, "model", F);
  if (const json* v = jf::find(model, "max_input_chars_per_word"); v && !v->is_null())
    s.max_input_chars_per_word =
        int32_t(jf::get_int(model, "max_input_chars_per_word", path, "model", 0, INT32_MAX, F));
  const json* n = jf::find(j, "normalizer");
  read_normalizer(n ? *n : json(nullptr), path, "normalizer", s);
  const json* p = jf::find(j, "pre_tokenizer");
  read_pre_tokenizer(p ? *p : json(nullptr), path, "pre_tokenizer");
  const json* pp = jf::find(j, "post_processor");
  read_post_processor(pp ? *pp : json(nullptr), path, s);
  if (const json* a = jf::find(j, "added_tokens"); a && !a->is_null())
    read_added_tokens(*a, path, "added_tokens", false, s);
  // The padding section's id, if any; else tokenizer_config.json's pad_token.
  if (const json* pad = jf::find(j, "padding"); pad && pad->is_object() && jf::find(*pad, "pad_id"))
    s.pad_id = int32_t(jf::get_int(*pad, "pad_id", path, "padding", 0, INT32_MAX, F));
  set_special_ids(s, read_config(config_path), config_path);
  return s;
}

WordPieceSpec read_hf_vocab_txt(const std::string& path, const std::string& config_path) {
  const std::string text = read_regular_file(path, "vocab.txt", kBad, kMaxFile);
  WordPieceSpec s;
  // Hugging Face's WordPiece::read_file: one piece per line (\n or \r\n),
  // trailing whitespace trimmed, id = line number.
  for (size_t b = 0, line = 0; b < text.size(); ++line) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string piece = text.substr(b, e - b);
    const size_t bad = find_invalid_utf8(piece);
    BTE_REQUIRE(bad == std::string::npos, kBad, path, ": line ", line + 1,
                " is not valid UTF-8 (byte ", bad, ")");
    s.vocab.emplace_back(trim_end_whitespace(piece));
    b = e + 1;
  }
  BTE_REQUIRE(!s.vocab.empty(), kBad, path, ": vocab.txt is empty");
  const json config = read_config(config_path);
  const std::string& cp = config_path;
  s.lowercase = config_bool(config, cp, "do_lower_case", true);
  if (config.is_object())
    if (const json* v = jf::find(config, "strip_accents"); v && !v->is_null())
      s.strip_accents = jf::get_bool(config, "strip_accents", cp, "", "tokenizer_config.json field");
  s.handle_chinese_chars = config_bool(config, cp, "tokenize_chinese_chars", true);
  s.clean_text = true;
  s.unk_token = config_token(config, cp, "unk_token", "[UNK]");
  // The specials are added tokens (matched in the text, never split), as
  // transformers registers them; then those tokenizer_config.json lists.
  for (const char* key : {"unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    static const std::map<std::string, const char*> fallback = {
        {"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
        {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}};
    const std::string tok = config_token(config, cp, key, fallback.at(key));
    const int32_t id = id_of(s, tok);
    if (id >= 0) s.added_tokens.push_back({tok, id, true, false});
  }
  if (config.is_object()) {
    if (const json* d = jf::find(config, "added_tokens_decoder"); d && !d->is_null())
      read_added_tokens(*d, cp, "added_tokens_decoder", true, s);
    // Extra specials (transformers 5 "extra_special_tokens", before it
    // "additional_special_tokens"): a piece's id, else the next new id.
    for (const char* key : {"extra_special_tokens", "additional_special_tokens"}) {
      const json* list = jf::find(config, key);
      if (!list || list->is_null()) continue;
      BTE_REQUIRE(list->is_array(), kBad, cp, ": tokenizer_config.json field '", key,
                  "' must be an array, got ", jf::brief(*list));
      for (size_t i = 0; i < list->size(); ++i) {
        const json& t = (*list)[i];
        BTE_REQUIRE(t.is_string() || (t.is_object() && t.contains("content") && t["content"].is_string()),
                    kBad, cp, ": tokenizer_config.json field '", key, "[", i,
                    "]' must be a string or an object with a 'content' string");
        const std::string tok = t.is_string() ? t.get<std::string>() : t["content"].get<std::string>();
        bool known = false;
        for (const auto& a : s.added_tokens) known = known || a.content == tok;
        if (known) continue;
        int32_t id = id_of(s, tok);
        if (id < 0) {
          id = int32_t(s.vocab.size());
          for (const auto& a : s.added_tokens) id = std::max(id, a.id + 1);
        }
        s.added_tokens.push_back({tok, id, true, false});
      }
    }
  }
  set_special_ids(s, config, cp);
  for (const auto& [name, id] : {std::pair{"cls_token", s.cls_id}, {"sep_token", s.sep_id}})
    BTE_REQUIRE(id >= 0, kBad, path, ": the ", name, " \"",
                config_token(config, cp, name, name == std::string("cls_token") ? "[CLS]" : "[SEP]"),
                "\" is not in vocab.txt");
  s.set_bert_templates();
  return s;
}

WordPieceSpec read_hf_wordpiece(const std::string& dir) {
  const std::string json_path = dir + "/tokenizer.json", vocab = dir + "/vocab.txt";
  const std::string config = dir + "/tokenizer_config.json";
  if (path_exists(json_path)) return read_hf_tokenizer_json(json_path, config);
  if (path_exists(vocab)) return read_hf_vocab_txt(vocab, config);
  BTE_FAIL(kBad, dir, ": no tokenizer.json or vocab.txt (a WordPiece tokenizer needs one of them)");
}

}  // namespace bte
