// Classification heads score as the checkpoint says (Hugging Face's rule on
// problem_type): a multi-label head gives a sigmoid per label, a regression
// head its raw value, and the logits are there too. Expected values:
// tests/data/golden/{multilabel,regression}_tiny/expected.json, made by
// transformers (tools/oracle/make_hf_fixtures.py).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "bte/bte.h"
#include "engine/engine.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"

using namespace bte;
using namespace bte::test;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-4;

struct HeadCase {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<float> logits, scores;
};

std::vector<HeadCase> load_cases(const std::string& dir) {
  const json j = json::parse(read_file(dir + "/expected.json"));
  std::vector<HeadCase> cases;
  for (const auto& c : j.at("cases")) {
    HeadCase h;
    h.text = c.at("text").get<std::string>();
    h.ids = c.at("ids").get<std::vector<int32_t>>();
    if (c.contains("logits")) {
      h.logits = c.at("logits").get<std::vector<float>>();
      h.scores = c.at("sigmoid").get<std::vector<float>>();
    } else {
      h.logits = {c.at("logit").get<float>()};
      h.scores = {c.at("pipeline_score").get<float>()};
    }
    cases.push_back(std::move(h));
  }
  return cases;
}

}  // namespace

TEST_CASE("heads: multi-label sigmoids and regression values equal transformers'", "[heads][golden]") {
  struct Model {
    const char* dir;
    HeadActivation activation;
  };
  for (const Model& md : {Model{"multilabel_tiny", HeadActivation::Sigmoid},
                          Model{"regression_tiny", HeadActivation::Identity}}) {
    INFO(md.dir);
    const std::vector<HeadCase> cases = load_cases(data_path(std::string("golden/") + md.dir));
    auto engine = Engine::load(convert_checkpoint(data_path(std::string("golden/") + md.dir)), {});
    const ModelConfig& c = engine->config();
    CHECK(c.head_activation == md.activation);
    std::vector<std::string> texts;
    for (const auto& k : cases) texts.push_back(k.text);
    const PackedBatch batch = engine->encode(texts);
    RunRequest req;
    req.outputs.logits = true;
    for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
      const RunOutputs out = engine->run(batch, mode, req);
      for (size_t i = 0; i < cases.size(); ++i) {
        INFO("mode " << mode_name(mode) << ", case " << i);
        CHECK(std::vector<int32_t>(batch.ids.begin() + batch.cu_seqlens[i],
                                   batch.ids.begin() + batch.cu_seqlens[i + 1]) == cases[i].ids);
        REQUIRE(cases[i].logits.size() == size_t(c.num_labels));
        for (int k = 0; k < c.num_labels; ++k) {
          CHECK(std::abs(out.logits[i * c.num_labels + k] - cases[i].logits[k]) <= kTol);
          CHECK(std::abs(out.probs[i * c.num_labels + k] - cases[i].scores[k]) <= kTol);
        }
      }
    }
  }
}

TEST_CASE("heads: bte classify --json and --output logits, and the C API, carry both",
          "[heads][golden][cli]") {
  const std::string dir = data_path("golden/multilabel_tiny");
  const std::vector<HeadCase> cases = load_cases(dir);
  const std::string model = convert_checkpoint(dir);
  TempDir tmp;
  std::string file;
  std::vector<size_t> rows;
  for (size_t i = 0; i < cases.size(); ++i)
    if (cases[i].text.find_first_of("\r\n") == std::string::npos && !cases[i].text.empty()) {
      file += cases[i].text + "\n";
      rows.push_back(i);
    }
  write_bytes(tmp / "texts.txt", file);
  const std::vector<std::string> labels = {"toxic", "insult", "threat"};

  auto r = run_command(bte_binary() + " classify -m " + model + " -f " + tmp / "texts.txt" + " --json");
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    const json j = json::parse(lines[k]);
    const HeadCase& want = cases[rows[k]];
    INFO("case " << rows[k]);
    CHECK(j.at("activation") == "sigmoid");
    for (size_t l = 0; l < labels.size(); ++l) {
      CHECK(std::abs(j.at("probs").at(labels[l]).get<double>() - want.scores[l]) <= kTol);
      CHECK(std::abs(j.at("logits").at(labels[l]).get<double>() - want.logits[l]) <= kTol);
    }
  }
  r = run_command(bte_binary() + " classify -m " + model + " -f " + tmp / "texts.txt" +
                  " --output logits -k 3");
  REQUIRE(r.exit_code == 0);
  lines = lines_of(r.out);
  REQUIRE(lines.size() == rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    // label<TAB>logit three times, highest first
    std::vector<std::string> f;
    size_t at = 0;
    for (size_t tab; (tab = lines[k].find('\t', at)) != std::string::npos; at = tab + 1)
      f.push_back(lines[k].substr(at, tab - at));
    f.push_back(lines[k].substr(at));
    REQUIRE(f.size() == 6);
    for (int t = 0; t < 3; ++t) {
      const size_t l = size_t(std::find(labels.begin(), labels.end(), f[2 * t]) - labels.begin());
      REQUIRE(l < labels.size());
      CHECK(std::abs(std::stod(f[2 * t + 1]) - cases[rows[k]].logits[l]) <= 1e-4 + 1e-5 * std::abs(cases[rows[k]].logits[l]));
    }
  }
  r = run_command(bte_binary() + " classify -m " + model + " --output raw hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--output must be probs or logits"));

  bte_model* m = nullptr;
  REQUIRE(bte_model_load(model.c_str(), nullptr, &m) == BTE_OK);
  CHECK(std::string(bte_model_head_activation(m)) == "sigmoid");
  std::vector<const char*> ptrs;
  for (const auto& k : cases) ptrs.push_back(k.text.c_str());
  std::vector<float> probs(ptrs.size() * 3), logits(ptrs.size() * 3);
  REQUIRE(bte_classify(m, ptrs.data(), ptrs.size(), probs.data(), probs.size()) == BTE_OK);
  REQUIRE(bte_classify_logits(m, ptrs.data(), ptrs.size(), logits.data(), logits.size()) == BTE_OK);
  for (size_t i = 0; i < cases.size(); ++i)
    for (size_t l = 0; l < 3; ++l) {
      CHECK(std::abs(probs[i * 3 + l] - cases[i].scores[l]) <= kTol);
      CHECK(std::abs(logits[i * 3 + l] - cases[i].logits[l]) <= kTol);
    }
  bte_model_free(m);
}

TEST_CASE("heads: an unknown problem_type is refused at convert", "[heads][cli]") {
  TempDir tmp;
  const std::string dir = tmp / "hf";
  std::filesystem::copy(data_path("golden/multilabel_tiny"), dir);
  json j = json::parse(read_file(dir + "/config.json"));
  j["problem_type"] = "ordinal_regression";
  write_bytes(dir + "/config.json", j.dump());
  const auto r = run_command(bte_binary() + " convert " + dir + " -o " + tmp / "m.bte");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("config.json") && Catch::Contains("problem_type \"ordinal_regression\""));
}

// Hugging Face's text-classification pipeline: regression first, then
// multi-label or one label is a sigmoid, else a softmax.
TEST_CASE("heads: the activation rule of the text-classification pipeline", "[heads]") {
  struct Row {
    int labels;
    const char* problem_type;
    HeadActivation want;
  };
  for (const Row& r : {Row{3, "", HeadActivation::Softmax}, Row{1, "", HeadActivation::Sigmoid},
                       Row{1, "single_label_classification", HeadActivation::Sigmoid},
                       Row{3, "single_label_classification", HeadActivation::Softmax},
                       Row{3, "multi_label_classification", HeadActivation::Sigmoid},
                       Row{1, "regression", HeadActivation::Identity},
                       Row{2, "regression", HeadActivation::Identity}}) {
    HeadActivation got = HeadActivation::Softmax;
    INFO(r.labels << " labels, problem_type \"" << r.problem_type << "\"");
    REQUIRE(head_activation_for(r.labels, r.problem_type, &got));
    CHECK(got == r.want);
  }
  HeadActivation got;
  CHECK_FALSE(head_activation_for(2, "ordinal", &got));
}
