#include "convert/sentence_transformers.h"

#include <algorithm>

#include "base/atomic_file.h"
#include "base/check.h"
#include "weights/json_fields.h"

namespace bte {

namespace {

namespace jf = json_fields;
using nlohmann::json;
constexpr ErrorKind kBad = ErrorKind::BadModel;
// Module types are Python class paths: "sentence_transformers.models.Pooling"
// (and, in newer releases, e.g. "sentence_transformers.base.modules.pooling.Pooling").
constexpr const char* kPackage = "sentence_transformers.";

json read_json(const std::string& path, const char* what) {
  return jf::parse(read_regular_file(path, what, kBad, 16 << 20), path, what);
}

struct Module {
  int64_t idx = 0;
  std::string type, path;  // type: the class name ("Pooling")
};

std::vector<Module> read_modules(const std::string& dir) {
  const std::string path = dir + "/modules.json";
  const json j = read_json(path, "modules.json");
  BTE_REQUIRE(j.is_array() && !j.empty(), kBad, path,
              ": modules.json must be a non-empty array of modules, got ", jf::brief(j));
  std::vector<Module> mods;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    BTE_REQUIRE(j[i].is_object(), kBad, path, ": modules.json entry ", at, " must be an object");
    Module m;
    m.idx = jf::get_int(j[i], "idx", path, at, 0, 1 << 20, "modules.json field");
    std::string type = jf::get_string(j[i], "type", path, at, "modules.json field");
    m.path = jf::find(j[i], "path") ? jf::get_string(j[i], "path", path, at, "modules.json field")
                                    : std::string();
    BTE_REQUIRE(type.rfind(kPackage, 0) == 0, kBad, path, ": module ", m.idx, " has type \"", type,
                "\", which is not one of sentence-transformers' own modules; bte cannot run it");
    m.type = type.substr(type.rfind('.') + 1);
    mods.push_back(std::move(m));
  }
  std::sort(mods.begin(), mods.end(), [](const Module& a, const Module& b) { return a.idx < b.idx; });
  return mods;
}

Pooling read_pooling(const std::string& path, const ModelConfig& c) {
  const json j = read_json(path, "pooling config");
  BTE_REQUIRE(j.is_object(), kBad, path, ": the pooling config must be a JSON object");
  const char* F = "pooling config field";
  // Older releases say word_embedding_dimension, newer embedding_dimension.
  for (const char* key : {"word_embedding_dimension", "embedding_dimension"})
    if (const json* d = jf::find(j, key); d && !d->is_null()) {
      const int64_t dim = jf::get_int(j, key, path, "", 0, INT32_MAX, F);
      BTE_REQUIRE(dim == c.hidden, kBad, path, ": ", key, " is ", dim,
                  " but the model's hidden size is ", c.hidden);
    }
  if (const json* p = jf::find(j, "include_prompt"); p && !p->is_null())
    BTE_REQUIRE(jf::get_bool(j, "include_prompt", path, "", F), kBad, path,
                ": include_prompt is false (the prompt's tokens left out of the pooling); bte "
                "pools every token of the prompted text, so it cannot give this model's vectors");
  struct Mode {
    const char* field;
    std::optional<Pooling> pooling;  // nullopt: one bte does not implement
  };
  const Mode modes[] = {{"pooling_mode_cls_token", Pooling::Cls},
                        {"pooling_mode_mean_tokens", Pooling::Mean},
                        {"pooling_mode_max_tokens", Pooling::Max},
                        {"pooling_mode_mean_sqrt_len_tokens", std::nullopt},
                        {"pooling_mode_weightedmean_tokens", std::nullopt},
                        {"pooling_mode_lasttoken", std::nullopt}};
  std::vector<std::string> on;
  std::optional<Pooling> chosen;
  // Newer releases: "pooling_mode": "mean" (a name, or a list of names).
  if (const json* pm = jf::find(j, "pooling_mode"); pm && !pm->is_null()) {
    const json names = pm->is_array() ? *pm : json::array({*pm});
    for (const json& n : names) {
      BTE_REQUIRE(n.is_string(), kBad, path, ": pooling_mode must name a mode, got ",
                  jf::brief(*pm));
      const std::string s = n.get<std::string>();
      std::optional<Pooling> p;
      if (s == "cls" || s == "cls_token") p = Pooling::Cls;
      if (s == "mean" || s == "mean_tokens") p = Pooling::Mean;
      if (s == "max" || s == "max_tokens") p = Pooling::Max;
      BTE_REQUIRE(p.has_value(), kBad, path, ": pooling_mode \"", s,
                  "\" is not one bte implements (cls, mean, max)");
      on.push_back("pooling_mode \"" + s + "\"");
      chosen = p;
    }
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key().rfind("pooling_mode_", 0) != 0) continue;
    const Mode* m = nullptr;
    for (const Mode& k : modes)
      if (it.key() == k.field) m = &k;
    const bool set = it.value().is_boolean() ? it.value().get<bool>() : !it.value().is_null();
    if (!set) continue;
    BTE_REQUIRE(m && m->pooling && it.value().is_boolean(), kBad, path, ": ", it.key(), " is ",
                jf::brief(it.value()), "; bte pools by pooling_mode_cls_token, "
                "pooling_mode_mean_tokens or pooling_mode_max_tokens only");
    on.push_back(it.key());
    chosen = m->pooling;
  }
  BTE_REQUIRE(!on.empty(), kBad, path, ": no pooling mode is set (one of pooling_mode_cls_token, "
              "pooling_mode_mean_tokens, pooling_mode_max_tokens must be true)");
  BTE_REQUIRE(on.size() == 1, kBad, path, ": ", on[0], " and ", on[1],
              " are both set; sentence-transformers would concatenate the two vectors, which bte "
              "does not do");
  return *chosen;
}

}  // namespace

std::vector<std::string> sentence_transformers_files(const std::string& dir) {
  std::vector<std::string> files = {dir + "/modules.json", dir + "/config_sentence_transformers.json",
                                    dir + "/sentence_bert_config.json", dir + "/tokenizer_config.json"};
  try {  // the pooling config's path is in modules.json; a bad one is reported by the reader
    if (path_exists(files[0]))
      for (const Module& m : read_modules(dir))
        if (m.type == "Pooling") files.push_back(dir + "/" + m.path + "/config.json");
  } catch (const std::exception&) {
  }
  return files;
}

std::optional<EmbeddingSettings> read_sentence_transformers(
    const std::string& dir, const ModelConfig& c, const Tokenizer& tok,
    const std::function<void(const std::string&)>& log) {
  const std::string modules_path = dir + "/modules.json";
  if (!path_exists(modules_path)) return std::nullopt;
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  EmbeddingSettings e;
  e.origin = "sentence-transformers";

  // modules.json: Transformer at the root, then Pooling, then an optional Normalize.
  const std::vector<Module> mods = read_modules(dir);
  for (const Module& m : mods)
    BTE_REQUIRE(m.type == "Transformer" || m.type == "Pooling" || m.type == "Normalize", kBad,
                modules_path, ": module ", m.idx, " (", m.type, ") is one bte cannot apply: it "
                "runs Transformer, Pooling and a final Normalize only, so this model's vectors "
                "would come out wrong");
  bool pooled = false;
  for (size_t i = 0; i < mods.size(); ++i) {
    const Module& m = mods[i];
    if (i == 0) {
      BTE_REQUIRE(m.type == "Transformer", kBad, modules_path, ": module ", m.idx, " is ", m.type,
                  "; the first module must be the Transformer");
      BTE_REQUIRE(m.path.empty() || m.path == ".", kBad, modules_path,
                  ": the Transformer module lives in \"", m.path,
                  "\"; bte reads it from the checkpoint's root (move its files there)");
      continue;
    }
    if (m.type == "Pooling" && !pooled) {
      BTE_REQUIRE(!m.path.empty() && m.path.find("..") == std::string::npos, kBad, modules_path,
                  ": the Pooling module's path \"", m.path, "\" must be a directory inside ", dir);
      e.pooling = read_pooling(dir + "/" + m.path + "/config.json", c);
      pooled = true;
      continue;
    }
    if (m.type == "Normalize" && pooled && i + 1 == mods.size()) {
      e.normalize = true;
      continue;
    }
    BTE_FAIL(kBad, modules_path, ": module ", m.idx, " (", m.type, ") is out of place: bte runs "
             "the Transformer, then one Pooling, then at most a Normalize");
  }
  BTE_REQUIRE(pooled, kBad, modules_path, ": no Pooling module; bte makes one vector per text");

  // config_sentence_transformers.json: prompts and the default prompt.
  const std::string st_path = dir + "/config_sentence_transformers.json";
  if (path_exists(st_path)) {
    const json j = read_json(st_path, "config_sentence_transformers.json");
    BTE_REQUIRE(j.is_object(), kBad, st_path, ": must be a JSON object");
    if (const json* p = jf::find(j, "prompts"); p && !p->is_null()) {
      BTE_REQUIRE(p->is_object(), kBad, st_path, ": field 'prompts' must be an object of "
                  "name: text, got ", jf::brief(*p));
      for (auto it = p->begin(); it != p->end(); ++it) {
        BTE_REQUIRE(it.value().is_string(), kBad, st_path, ": prompt ", escape_label(it.key()),
                    " must be a string, got ", jf::brief(it.value()));
        const std::string problem = label_problem(it.key());
        BTE_REQUIRE(problem.empty(), kBad, st_path, ": field 'prompts': name ",
                    escape_label(it.key()), " ", problem);
        e.prompts.push_back({it.key(), it.value().get<std::string>()});
      }
    }
    if (const json* d = jf::find(j, "default_prompt_name"); d && !d->is_null()) {
      e.default_prompt = jf::get_string(j, "default_prompt_name", st_path, "", "field");
      BTE_REQUIRE(e.find_prompt(e.default_prompt), kBad, st_path, ": default_prompt_name ",
                  escape_label(e.default_prompt), " is not among its prompts");
    }
  }

  // The length texts are cut to: sentence_bert_config.json's max_seq_length
  // (releases up to 5), else the tokenizer's model_max_length (6, which
  // writes no max_seq_length).
  auto take_length = [&](int64_t n, const std::string& from) {
    if (n < c.max_tokens()) {
      e.max_tokens = int(n);
    } else if (n > c.max_tokens()) {
      say(from + " is " + std::to_string(n) + ", more than the model's " +
          std::to_string(c.max_tokens()) + " positions take; using " + std::to_string(c.max_tokens()));
    }
  };
  bool have_length = false;
  const std::string sb_path = dir + "/sentence_bert_config.json";
  if (path_exists(sb_path)) {
    const json j = read_json(sb_path, "sentence_bert_config.json");
    BTE_REQUIRE(j.is_object(), kBad, sb_path, ": must be a JSON object");
    if (const json* l = jf::find(j, "do_lower_case"); l && !l->is_null())
      BTE_REQUIRE(!jf::get_bool(j, "do_lower_case", sb_path, "", "field"), kBad, sb_path,
                  ": do_lower_case is true; bte's tokenizer does not lower-case texts");
    if (const json* m = jf::find(j, "max_seq_length"); m && !m->is_null()) {
      take_length(jf::get_int(j, "max_seq_length", sb_path, "", 2, INT32_MAX, "field"),
                  "sentence_bert_config.json's max_seq_length");
      have_length = true;
    }
  }
  const std::string tc_path = dir + "/tokenizer_config.json";
  if (!have_length && path_exists(tc_path)) {
    const json j = read_json(tc_path, "tokenizer_config.json");
    // Tokenizers without a limit say a huge number (1e30): no limit of their own.
    if (const json* m = j.is_object() ? jf::find(j, "model_max_length") : nullptr;
        m && m->is_number() && m->get<double>() >= 2) {
      if (m->get<double>() < double(c.max_tokens())) e.max_tokens = int(m->get<double>());
    }
  }

  // A prompt must leave room for the text.
  const int window = e.max_tokens > 0 ? e.max_tokens : c.max_tokens();
  for (const Prompt& p : e.prompts) {
    const Encoding enc = tok.encode(p.text, window);
    BTE_REQUIRE(!enc.truncated() && int(enc.ids.size()) < window, kBad, st_path, ": prompt ",
                escape_label(p.name), " makes ", enc.full_length, " tokens with the specials, "
                "which leaves no room for a text within the model's ", window);
  }

  std::string summary = std::string("sentence-transformers: ") + pooling_name(e.pooling) +
                        " pooling" + (e.normalize ? ", normalised" : "");
  if (e.max_tokens > 0) summary += ", max_seq_length " + std::to_string(e.max_tokens);
  if (!e.prompts.empty())
    summary += ", " + std::to_string(e.prompts.size()) + " prompt(s)" +
               (e.default_prompt.empty() ? "" : ", default " + escape_label(e.default_prompt));
  say(summary);
  return e;
}

}  // namespace bte
