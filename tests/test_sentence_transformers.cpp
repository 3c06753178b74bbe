// sentence-transformers checkpoints: bte convert reads their pooling,
// normalisation, prompts and max_seq_length, and bte's embeddings equal
// SentenceTransformer.encode's (tests/data/golden/st_*/expected.json, made by
// tools/oracle/make_hf_fixtures.py) within 1e-4, in every mode, from the
// engine, the CLI with no flags and the C API. Then every setting bte cannot
// honour is refused at convert, naming the file and the field.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bte/bte.h"
#include "engine/embedding.h"
#include "engine/engine.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"

using namespace bte;
using namespace bte::test;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-4;

struct StRun {
  std::string name;
  EmbeddingOverrides overrides;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<float>> embeddings;
};

struct StFixture {
  std::vector<std::string> texts;
  std::vector<StRun> runs;
  json model;
};

StFixture load_fixture(const std::string& dir) {
  const json j = json::parse(read_file(dir + "/expected.json"));
  StFixture f;
  f.model = j.at("model");
  for (const auto& t : j.at("texts")) f.texts.push_back(t.get<std::string>());
  for (const auto& r : j.at("runs")) {
    StRun run;
    run.name = r.at("name").get<std::string>();
    if (!r.at("prompt_name").is_null()) run.overrides.prompt_name = r.at("prompt_name").get<std::string>();
    if (!r.at("prompt").is_null()) run.overrides.prompt_text = r.at("prompt").get<std::string>();
    for (const auto& c : r.at("cases")) {
      run.ids.push_back(c.at("ids").get<std::vector<int32_t>>());
      run.embeddings.push_back(c.at("embedding").get<std::vector<float>>());
    }
    REQUIRE(run.ids.size() == f.texts.size());
    f.runs.push_back(std::move(run));
  }
  return f;
}

double max_abs_diff(const float* a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < b.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

}  // namespace

TEST_CASE("sentence-transformers: bte's embeddings equal SentenceTransformer.encode",
          "[st][golden]") {
  for (const char* name : {"st_mean", "st_max", "st_cls"}) {
    const std::string dir = data_path(std::string("golden/") + name);
    const StFixture f = load_fixture(dir);
    const std::string model = convert_checkpoint(dir);
    auto engine = Engine::load(model, {});
    const ModelConfig& c = engine->config();
    INFO(name);
    // What convert read.
    CHECK(pooling_name(c.embedding.pooling) == f.model.at("pooling").get<std::string>());
    CHECK(c.embedding.normalize == f.model.at("normalize").get<bool>());
    CHECK(c.embedding_max_tokens() == std::min(f.model.at("max_seq_length").get<int>(), c.max_tokens()));
    const json& dp = f.model.at("default_prompt_name");
    CHECK(c.embedding.default_prompt == (dp.is_null() ? "" : dp.get<std::string>()));
    for (const auto& [pname, ptext] : f.model.at("prompts").items()) {
      const Prompt* p = c.embedding.find_prompt(pname);
      REQUIRE(p);
      CHECK(p->text == ptext.get<std::string>());
    }
    for (const StRun& run : f.runs) {
      const EmbeddingPlan plan = plan_embedding(c, run.overrides);
      const PackedBatch batch =
          engine->encode(f.texts, Truncation::Truncate, nullptr, plan.prefix, plan.max_tokens);
      RunRequest req;
      req.outputs = embedding_outputs(plan);
      for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
        const RunOutputs out = engine->run(batch, mode, req);
        const std::vector<float>& rows = pooled_rows(out, plan.pooling);
        for (size_t i = 0; i < f.texts.size(); ++i) {
          INFO("run " << run.name << ", mode " << mode_name(mode) << ", text " << i);
          CHECK(std::vector<int32_t>(batch.ids.begin() + batch.cu_seqlens[i],
                                     batch.ids.begin() + batch.cu_seqlens[i + 1]) == run.ids[i]);
          CHECK(max_abs_diff(rows.data() + i * size_t(c.hidden), run.embeddings[i]) <= kTol);
        }
      }
    }
  }
}

TEST_CASE("sentence-transformers: bte embed with no flags and the C API match encode",
          "[st][golden][cli]") {
  TempDir tmp;
  for (const char* name : {"st_mean", "st_cls"}) {
    const std::string dir = data_path(std::string("golden/") + name);
    const StFixture f = load_fixture(dir);
    const std::string model = convert_checkpoint(dir);
    INFO(name);
    // The run with no prompt arguments is what `encode(texts)` does.
    const StRun* plain = nullptr;
    for (const StRun& r : f.runs)
      if (!r.overrides.prompt_name && !r.overrides.prompt_text) plain = &r;
    REQUIRE(plain);
    // The CLI reads one text per line: the texts that are one line each.
    std::string file;
    std::vector<size_t> line_texts;
    for (size_t i = 0; i < f.texts.size(); ++i)
      if (f.texts[i].find_first_of("\r\n") == std::string::npos) {
        file += f.texts[i] + "\n";
        line_texts.push_back(i);
      }
    REQUIRE(line_texts.size() >= f.texts.size() - 2);
    const std::string texts_path = tmp / (std::string(name) + ".txt");
    write_bytes(texts_path, file);
    const auto r = run_command(bte_binary() + " embed -m " + model + " -f " + texts_path);
    REQUIRE(r.exit_code == 0);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == line_texts.size());
    for (size_t k = 0; k < lines.size(); ++k) {
      INFO("text " << line_texts[k]);
      const std::vector<float> got = json::parse(lines[k]).get<std::vector<float>>();
      CHECK(max_abs_diff(got.data(), plain->embeddings[line_texts[k]]) <= kTol);
    }

    bte_model* m = nullptr;
    REQUIRE(bte_model_load(model.c_str(), nullptr, &m) == BTE_OK);
    std::vector<const char*> ptrs;
    for (const std::string& t : f.texts) ptrs.push_back(t.c_str());
    const int d = bte_model_hidden_size(m);
    for (const StRun& run : f.runs) {
      bte_embed_options o = bte_embed_default_options();
      if (run.overrides.prompt_name) o.prompt_name = run.overrides.prompt_name->c_str();
      if (run.overrides.prompt_text) o.prompt_text = run.overrides.prompt_text->c_str();
      std::vector<float> out(ptrs.size() * size_t(d));
      REQUIRE(bte_embed_with(m, ptrs.data(), ptrs.size(), &o, out.data(), out.size()) == BTE_OK);
      for (size_t i = 0; i < ptrs.size(); ++i) {
        INFO("C API run " << run.name << ", text " << i);
        CHECK(max_abs_diff(out.data() + i * size_t(d), run.embeddings[i]) <= kTol);
      }
    }
    CHECK(bte_model_normalizes(m) == 1);
    bte_model_free(m);
  }
}

namespace {

// A copy of a fixture (st_mean: the older file layout; st_max: the newer
// one) with one file edited; returns convert's result.
CommandResult convert_edited(const TempDir& tmp, const std::string& file,
                             const std::function<void(json&)>& edit,
                             const std::string& fixture = "st_mean") {
  const std::string dir = tmp / "st";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(data_path("golden/" + fixture), dir, std::filesystem::copy_options::recursive);
  json j = json::parse(read_file(dir + "/" + file));
  edit(j);
  write_bytes(dir + "/" + file, j.dump(2));
  return run_command(bte_binary() + " convert " + dir + " -o " + tmp / "out.bte");
}

}  // namespace

TEST_CASE("sentence-transformers: what bte cannot honour is refused at convert", "[st][cli]") {
  TempDir tmp;
  struct Case {
    const char* file;
    std::function<void(json&)> edit;
    std::vector<std::string> said;
    std::string fixture = "st_mean";
  };
  const std::vector<Case> cases = {
      {"modules.json",
       [](json& j) {
         j.push_back({{"idx", 3}, {"name", "3"}, {"path", "3_Dense"},
                      {"type", "sentence_transformers.models.Dense"}});
       },
       {"modules.json", "module 3 (Dense)"}},
      {"modules.json", [](json& j) { j[1]["type"] = "my_package.CustomPooling"; },
       {"modules.json", "my_package.CustomPooling"}},
      {"modules.json", [](json& j) { j.erase(1); }, {"modules.json"}},
      {"1_Pooling/config.json",
       [](json& j) {
         j["pooling_mode_mean_tokens"] = false;
         j["pooling_mode_weightedmean_tokens"] = true;
       },
       {"1_Pooling/config.json", "pooling_mode_weightedmean_tokens"}},
      {"1_Pooling/config.json", [](json& j) { j["pooling_mode_lasttoken"] = true; },
       {"1_Pooling/config.json", "pooling_mode_lasttoken"}},
      {"1_Pooling/config.json", [](json& j) { j["pooling_mode_cls_token"] = true; },
       {"1_Pooling/config.json", "concatenate"}},
      {"1_Pooling/config.json", [](json& j) { j["pooling_mode_mean_tokens"] = false; },
       {"1_Pooling/config.json", "no pooling mode"}},
      {"1_Pooling/config.json", [](json& j) { j["include_prompt"] = false; },
       {"1_Pooling/config.json", "include_prompt"}},
      {"1_Pooling/config.json", [](json& j) { j["word_embedding_dimension"] = 65; },
       {"1_Pooling/config.json", "word_embedding_dimension is 65"}},
      {"config_sentence_transformers.json",
       [](json& j) { j["prompts"]["long"] = std::string(400, 'x') + " "; },
       {"config_sentence_transformers.json", "prompt \"long\"", "no room"}},
      {"config_sentence_transformers.json", [](json& j) { j["default_prompt_name"] = "nope"; },
       {"config_sentence_transformers.json", "default_prompt_name \"nope\""}},
      {"config_sentence_transformers.json", [](json& j) { j["prompts"]["q"] = 5; },
       {"config_sentence_transformers.json", "prompt \"q\" must be a string"}},
      {"sentence_bert_config.json", [](json& j) { j["do_lower_case"] = true; },
       {"sentence_bert_config.json", "do_lower_case"}},
      {"sentence_bert_config.json", [](json& j) { j["max_seq_length"] = 1; },
       {"sentence_bert_config.json", "max_seq_length"}},
      {"1_Pooling/config.json", [](json& j) { j["pooling_mode"] = "weightedmean"; },
       {"1_Pooling/config.json", "pooling_mode \"weightedmean\""}, "st_max"},
      {"1_Pooling/config.json", [](json& j) { j["pooling_mode"] = {"cls", "max"}; },
       {"1_Pooling/config.json", "concatenate"}, "st_max"},
      {"1_Pooling/config.json", [](json& j) { j["embedding_dimension"] = 32; },
       {"1_Pooling/config.json", "embedding_dimension is 32"}, "st_max"},
  };
  for (const Case& k : cases) {
    const CommandResult r = convert_edited(tmp, k.file, k.edit, k.fixture);
    INFO(k.file << ": " << r.err);
    CHECK(r.exit_code == 2);
    for (const std::string& s : k.said) CHECK_THAT(r.err, Catch::Contains(s));
    CHECK_FALSE(std::filesystem::exists(tmp / "out.bte"));
  }
}

TEST_CASE("sentence-transformers: the newer layout takes its length from tokenizer_config.json",
          "[st][cli]") {
  TempDir tmp;
  // sentence-transformers 6 writes no max_seq_length; the tokenizer's limit is it.
  const CommandResult r = convert_edited(
      tmp, "tokenizer_config.json", [](json& j) { j["model_max_length"] = 20; }, "st_max");
  REQUIRE(r.exit_code == 0);
  auto engine = Engine::load(tmp / "out.bte", {});
  CHECK(engine->config().embedding_max_tokens() == 20);
  CHECK(engine->config().embedding.pooling == Pooling::Max);
  // A tokenizer without a limit (Hugging Face writes 1e30) leaves the model's.
  const CommandResult big = convert_edited(
      tmp, "tokenizer_config.json", [](json& j) { j["model_max_length"] = 1e30; }, "st_max");
  REQUIRE(big.exit_code == 0);
  CHECK(Engine::load(tmp / "out.bte", {})->config().embedding_max_tokens() == 64);
}
