// BERT-family checkpoints (BERT, DistilBERT, a BERT body with XLM-R's
// sentencepiece) convert and give what transformers / sentence-transformers
// give, within 1e-4, in every mode: ids (and segment ids for pairs), logits,
// scores, token logits and embeddings. Expected values:
// tests/data/golden/{bert_*,distilbert_cls,minilm_ml_st}/expected.json, made
// by tools/oracle/make_bert_fixtures.py.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

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

json expected(const std::string& name) {
  return json::parse(read_file(data_path("golden/" + name) + "/expected.json"));
}

std::vector<int32_t> seq_ids(const PackedBatch& b, size_t i) {
  return {b.ids.begin() + b.cu_seqlens[i], b.ids.begin() + b.cu_seqlens[i + 1]};
}

std::vector<int32_t> seq_types(const PackedBatch& b, size_t i) {
  if (b.types.empty()) return std::vector<int32_t>(size_t(b.cu_seqlens[i + 1] - b.cu_seqlens[i]), 0);
  return {b.types.begin() + b.cu_seqlens[i], b.types.begin() + b.cu_seqlens[i + 1]};
}

double max_abs_diff(const float* a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < b.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

std::vector<std::string> texts_of(const json& cases) {
  std::vector<std::string> t;
  for (const auto& c : cases) t.push_back(c.at("text").get<std::string>());
  return t;
}

constexpr Mode kModes[] = {Mode::Reference, Mode::Fused, Mode::Packed};

void check_classifier(const std::string& name, const std::string& model_path, const char* family) {
  const json j = expected(name);
  auto engine = Engine::load(model_path, {});
  const ModelConfig& c = engine->config();
  CHECK(c.family == family);
  CHECK(c.labels == j.at("labels").get<std::vector<std::string>>());
  CHECK(c.head_activation == HeadActivation::Softmax);
  const json& cases = j.at("cases");
  std::vector<int> truncated;
  const PackedBatch batch = engine->encode(texts_of(cases), Truncation::Truncate, &truncated);
  RunRequest req;
  req.outputs.logits = true;
  for (Mode mode : kModes) {
    const RunOutputs out = engine->run(batch, mode, req);
    for (size_t i = 0; i < cases.size(); ++i) {
      INFO(name << ", mode " << mode_name(mode) << ", text " << i << ": " << cases[i].at("text"));
      CHECK(seq_ids(batch, i) == cases[i].at("ids").get<std::vector<int32_t>>());
      const size_t C = c.num_labels;
      CHECK(max_abs_diff(&out.logits[i * C], cases[i].at("logits").get<std::vector<float>>()) <= kTol);
      CHECK(max_abs_diff(&out.probs[i * C], cases[i].at("probs").get<std::vector<float>>()) <= kTol);
    }
  }
  std::vector<int> want_truncated;
  for (size_t i = 0; i < cases.size(); ++i)
    if (cases[i].at("truncated").get<bool>()) want_truncated.push_back(int(i));
  CHECK(truncated == want_truncated);
  CHECK_FALSE(want_truncated.empty());  // the fixture has a text past 64 tokens
}

}  // namespace

TEST_CASE("bert family: BERT and DistilBERT classifiers equal transformers", "[bert][golden]") {
  check_classifier("bert_cls", convert_checkpoint(data_path("golden/bert_cls")), "bert");
  check_classifier("distilbert_cls", convert_checkpoint(data_path("golden/distilbert_cls")), "distilbert");
}

TEST_CASE("bert family: vocab.txt + tokenizer_config.json convert to the same model", "[bert][golden]") {
  // The checkpoint without tokenizer.json: bte reads vocab.txt as BertTokenizer does.
  TempDir tmp;
  const std::string src = data_path("golden/bert_cls"), dir = tmp / "bert_cls_vocab_txt";
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(src))
    if (e.path().filename() != "tokenizer.json")
      std::filesystem::copy(e.path(), dir + "/" + e.path().filename().string());
  REQUIRE(std::filesystem::exists(dir + "/vocab.txt"));
  // What vocab.txt cannot know: tokenizer.json's added tokens that are not
  // specials. The texts must not hold one, or the two ways rightly differ.
  const json tj = json::parse(read_file(src + "/tokenizer.json"));
  const json want = expected("bert_cls");  // kept alive: the loop below walks into it
  for (const auto& a : tj.at("added_tokens"))
    if (!a.at("special").get<bool>())
      for (const auto& c : want.at("cases"))
        REQUIRE(c.at("text").get<std::string>().find(a.at("content").get<std::string>()) == std::string::npos);
  check_classifier("bert_cls", convert_checkpoint(dir), "bert");
}

TEST_CASE("bert family: a BERT cross-encoder scores pairs with segment ids", "[bert][rerank][golden]") {
  const json j = expected("bert_rerank");
  auto engine = Engine::load(convert_checkpoint(data_path("golden/bert_rerank")), {});
  CHECK(engine->config().token_types == 2);
  CHECK(engine->config().head_activation == HeadActivation::Sigmoid);
  const json& pairs = j.at("pairs");
  std::vector<std::pair<std::string, std::string>> in;
  for (const auto& p : pairs) in.emplace_back(p.at("query").get<std::string>(), p.at("document").get<std::string>());
  const PackedBatch batch = engine->encode_pairs(in, Truncation::Truncate);
  REQUIRE_FALSE(batch.types.empty());
  RunRequest req;
  req.outputs.logits = true;
  for (Mode mode : kModes) {
    const RunOutputs out = engine->run(batch, mode, req);
    for (size_t i = 0; i < pairs.size(); ++i) {
      INFO("mode " << mode_name(mode) << ", pair " << i);
      CHECK(seq_ids(batch, i) == pairs[i].at("ids").get<std::vector<int32_t>>());
      CHECK(seq_types(batch, i) == pairs[i].at("type_ids").get<std::vector<int32_t>>());
      CHECK(std::abs(out.logits[i] - pairs[i].at("logit").get<double>()) <= kTol);
      CHECK(std::abs(out.probs[i] - pairs[i].at("score").get<double>()) <= kTol);
    }
  }
  // Segment ids matter: the same ids all of type 0 score differently.
  PackedBatch untyped = batch;
  untyped.types.clear();
  const RunOutputs typed_out = engine->run(batch, Mode::Packed, req);
  const RunOutputs untyped_out = engine->run(untyped, Mode::Packed, req);
  double moved = 0;
  for (size_t i = 0; i < pairs.size(); ++i)
    moved = std::max(moved, double(std::abs(typed_out.logits[i] - untyped_out.logits[i])));
  CHECK(moved > 1e-3);
  // A type id the model has no row for is refused.
  PackedBatch bad = batch;
  bad.types[1] = 2;
  CHECK_THROWS_WITH(engine->run(bad, Mode::Packed, req), Catch::Contains("token type 2") &&
                                                           Catch::Contains("2 token types"));
}

TEST_CASE("bert family: a BERT token classifier's logits equal transformers", "[bert][tagging][golden]") {
  const json j = expected("bert_tagger");
  auto engine = Engine::load(convert_checkpoint(data_path("golden/bert_tagger")), {});
  const ModelConfig& c = engine->config();
  REQUIRE(c.token_head());
  const json& cases = j.at("cases");
  const PackedBatch batch = engine->encode(texts_of(cases));
  RunRequest req;
  req.outputs.token_logits = true;
  for (Mode mode : kModes) {
    const RunOutputs out = engine->run(batch, mode, req);
    for (size_t i = 0; i < cases.size(); ++i) {
      INFO("mode " << mode_name(mode) << ", text " << i);
      REQUIRE(seq_ids(batch, i) == cases[i].at("ids").get<std::vector<int32_t>>());
      const auto rows = cases[i].at("token_logits").get<std::vector<std::vector<float>>>();
      for (size_t t = 0; t < rows.size(); ++t)
        CHECK(max_abs_diff(&out.token_logits[(batch.cu_seqlens[i] + t) * c.num_labels], rows[t]) <= kTol);
    }
  }
}

TEST_CASE("bert family: sentence-transformers BERT embeddings equal encode", "[bert][st][golden]") {
  struct Fixture {
    const char* name;
    const char* tokenizer;
  };
  for (const Fixture& fx : {Fixture{"bert_st", "wordpiece"}, Fixture{"minilm_ml_st", "sentencepiece"}}) {
    INFO(fx.name);
    const json j = expected(fx.name);
    const std::string model = convert_checkpoint(data_path(std::string("golden/") + fx.name));
    auto engine = Engine::load(model, {});
    const ModelConfig& c = engine->config();
    CHECK(c.family == "bert");
    CHECK(engine->tokenizer().kind() == fx.tokenizer);
    CHECK(c.embedding.pooling == Pooling::Mean);
    CHECK(c.embedding.normalize == j.at("normalize").get<bool>());
    const EmbeddingPlan plan = plan_embedding(c, {});
    const json& cases = j.at("cases");
    const PackedBatch batch =
        engine->encode(texts_of(cases), Truncation::Truncate, nullptr, plan.prefix, plan.max_tokens);
    RunRequest req;
    req.outputs = embedding_outputs(plan);
    for (Mode mode : kModes) {
      const RunOutputs out = engine->run(batch, mode, req);
      const std::vector<float>& rows = pooled_rows(out, plan.pooling);
      for (size_t i = 0; i < cases.size(); ++i) {
        INFO("mode " << mode_name(mode) << ", text " << i);
        CHECK(seq_ids(batch, i) == cases[i].at("ids").get<std::vector<int32_t>>());
        CHECK(max_abs_diff(rows.data() + i * size_t(c.hidden),
                           cases[i].at("embedding").get<std::vector<float>>()) <= kTol);
      }
    }
  }
}

TEST_CASE("bert family: the CLI classifies and reranks BERT models as transformers", "[bert][cli][golden]") {
  TempDir tmp;
  const std::string bte = bte_binary();
  {  // bte classify --json: the probabilities of DistilBERT's head
    const json j = expected("distilbert_cls");
    const std::string model = convert_checkpoint(data_path("golden/distilbert_cls"));
    std::string file;
    std::vector<size_t> picked;
    for (size_t i = 0; i < j.at("cases").size(); ++i) {
      const std::string t = j["cases"][i].at("text").get<std::string>();
      if (t.find_first_of("\r\n") != std::string::npos) continue;
      file += t + "\n";
      picked.push_back(i);
    }
    write_bytes(tmp / "texts.txt", file);
    const auto r = run_command(bte + " classify -m " + model + " -f " + tmp / "texts.txt" + " --json");
    REQUIRE(r.exit_code == 0);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == picked.size());
    const auto labels = j.at("labels").get<std::vector<std::string>>();
    for (size_t k = 0; k < lines.size(); ++k) {
      const json got = json::parse(lines[k]);
      const auto want = j["cases"][picked[k]].at("probs").get<std::vector<float>>();
      for (size_t l = 0; l < labels.size(); ++l)
        CHECK(std::abs(got.at("probs").at(labels[l]).get<double>() - want[l]) <= kTol);
    }
  }
  {  // bte rerank --pairs --json: segment ids reach the CLI's path too
    const json j = expected("bert_rerank");
    const std::string model = convert_checkpoint(data_path("golden/bert_rerank"));
    std::string jsonl;
    for (const auto& p : j.at("pairs")) jsonl += json{{"query", p.at("query")}, {"text", p.at("document")}}.dump() + "\n";
    write_bytes(tmp / "pairs.jsonl", jsonl);
    const auto r = run_command(bte + " rerank -m " + model + " --pairs " + tmp / "pairs.jsonl" + " --json");
    REQUIRE(r.exit_code == 0);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == j.at("pairs").size());
    for (size_t i = 0; i < lines.size(); ++i)
      CHECK(std::abs(json::parse(lines[i]).at("score").get<double>() -
                     j["pairs"][i].at("score").get<double>()) <= kTol);
  }
}
