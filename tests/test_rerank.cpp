// Cross-encoder reranking: pairs tokenized as Hugging Face's XLM-R tokenizer
// does (<s> q </s></s> d </s>, longest_first truncation) and scored as
// sentence-transformers' CrossEncoder scores them (the sigmoid of the one
// logit). Expected values: tests/data/golden/rerank_tiny/expected.json, made
// by transformers and sentence-transformers (tools/oracle/make_hf_fixtures.py).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

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

struct PairCase {
  std::string query, document;
  std::vector<int32_t> ids;
  double logit = 0, score = 0;
  bool truncated = false;
};

// The CrossEncoder's ids and scores: the same as the tokenizer's for every
// pair but an empty document, which `tokenizer(q, "")` takes for no pair at
// all while CrossEncoder (and bte) keep it a pair.
std::vector<PairCase> load_pairs() {
  const json j = json::parse(read_file(data_path("golden/rerank_tiny/expected.json")));
  std::vector<PairCase> cases;
  for (const auto& c : j.at("cases")) {
    PairCase p;
    p.query = c.at("query").get<std::string>();
    p.document = c.at("document").get<std::string>();
    p.ids = c.at("cross_encoder_ids").get<std::vector<int32_t>>();
    p.logit = c.at("cross_encoder_logit").get<double>();
    p.score = c.at("cross_encoder_score").get<double>();
    p.truncated = c.at("truncated").get<bool>();
    cases.push_back(std::move(p));
  }
  return cases;
}

}  // namespace

TEST_CASE("rerank: pair ids and scores equal Hugging Face's, in every mode", "[rerank][golden]") {
  const std::vector<PairCase> cases = load_pairs();
  const std::string model = convert_checkpoint(data_path("golden/rerank_tiny"));
  auto engine = Engine::load(model, {});
  REQUIRE(engine->config().num_labels == 1);
  CHECK(engine->config().head_activation == HeadActivation::Sigmoid);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& c : cases) pairs.emplace_back(c.query, c.document);
  std::vector<int> truncated;
  const PackedBatch batch = engine->encode_pairs(pairs, Truncation::Truncate, &truncated);
  std::vector<int> want_truncated;
  for (size_t i = 0; i < cases.size(); ++i)
    if (cases[i].truncated) want_truncated.push_back(int(i));
  CHECK(truncated == want_truncated);
  RunRequest req;
  req.outputs.logits = true;
  for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
    const RunOutputs out = engine->run(batch, mode, req);
    for (size_t i = 0; i < cases.size(); ++i) {
      INFO("mode " << mode_name(mode) << ", pair " << i);
      CHECK(std::vector<int32_t>(batch.ids.begin() + batch.cu_seqlens[i],
                                 batch.ids.begin() + batch.cu_seqlens[i + 1]) == cases[i].ids);
      CHECK(std::abs(out.logits[i] - cases[i].logit) <= kTol);
      CHECK(std::abs(out.probs[i] - cases[i].score) <= kTol);
    }
  }
  CHECK_THROWS_WITH(engine->encode_pairs(pairs, Truncation::Refuse),
                    Catch::Contains("pair 5 has") && Catch::Contains("at most 64"));
}

TEST_CASE("rerank: bte rerank and bte_rerank give the same scores", "[rerank][golden][cli]") {
  const std::vector<PairCase> cases = load_pairs();
  const std::string model = convert_checkpoint(data_path("golden/rerank_tiny"));
  TempDir tmp;
  const std::string bte = bte_binary();

  // --pairs: every case, in order, as JSON lines.
  std::string jsonl;
  for (const auto& c : cases) jsonl += json{{"query", c.query}, {"text", c.document}}.dump() + "\n";
  write_bytes(tmp / "pairs.jsonl", jsonl);
  auto r = run_command(bte + " rerank -m " + model + " --pairs " + tmp / "pairs.jsonl" + " --json");
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json j = json::parse(lines[i]);
    INFO("pair " << i);
    CHECK(j.at("index") == i);
    CHECK(std::abs(j.at("score").get<double>() - cases[i].score) <= kTol);
    CHECK(std::abs(j.at("logit").get<double>() - cases[i].logit) <= kTol);
  }

  // One query, its documents as arguments: scores in order, then the top 2.
  std::map<std::string, std::vector<size_t>> by_query;
  for (size_t i = 0; i < cases.size(); ++i) by_query[cases[i].query].push_back(i);
  const auto& [query, idx] = *std::max_element(
      by_query.begin(), by_query.end(),
      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  REQUIRE(idx.size() >= 2);
  std::string docs;
  for (size_t i : idx) docs += " " + shell_quote(cases[i].document);
  r = run_command(bte + " rerank -m " + model + " -q " + shell_quote(query) + docs + " --raw-scores");
  REQUIRE(r.exit_code == 0);
  lines = lines_of(r.out);
  REQUIRE(lines.size() == idx.size());
  for (size_t k = 0; k < idx.size(); ++k) CHECK(std::abs(std::stod(lines[k]) - cases[idx[k]].logit) <= kTol);
  r = run_command(bte + " rerank -m " + model + " -q " + shell_quote(query) + docs + " -k 2");
  REQUIRE(r.exit_code == 0);
  lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  const size_t best = std::stoul(lines[0].substr(0, lines[0].find('\t')));
  for (size_t k = 0; k < idx.size(); ++k) CHECK(cases[idx[best]].logit >= cases[idx[k]].logit - 1e-6);

  // The C API, query by query.
  bte_model* m = nullptr;
  REQUIRE(bte_model_load(model.c_str(), nullptr, &m) == BTE_OK);
  for (const auto& [q, ids] : by_query) {
    std::vector<const char*> d;
    for (size_t i : ids) d.push_back(cases[i].document.c_str());
    std::vector<float> scores(d.size()), raw(d.size());
    REQUIRE(bte_rerank(m, q.c_str(), d.data(), d.size(), 0, scores.data(), scores.size()) == BTE_OK);
    REQUIRE(bte_rerank(m, q.c_str(), d.data(), d.size(), 1, raw.data(), raw.size()) == BTE_OK);
    for (size_t k = 0; k < ids.size(); ++k) {
      CHECK(std::abs(scores[k] - cases[ids[k]].score) <= kTol);
      CHECK(std::abs(raw[k] - cases[ids[k]].logit) <= kTol);
    }
  }
  const char* one[] = {"doc"};
  float s = 0;
  CHECK(bte_rerank(m, nullptr, one, 1, 0, &s, 1) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_rerank(m, "q", one, 1, 2, &s, 1) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_rerank(m, "q", one, 1, 0, &s, 0) == BTE_ERROR_CAPACITY);
  bte_model_free(m);
}

TEST_CASE("rerank: bad use gets a clear message and exit status", "[rerank][cli]") {
  const std::string bte = bte_binary();
  const std::string reranker = convert_checkpoint(data_path("golden/rerank_tiny"));
  const std::string classifier = convert_checkpoint(data_path("golden/tiny"));
  TempDir tmp;
  auto r = run_command(bte + " rerank -m " + reranker + " doc");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("needs --query"));
  r = run_command(bte + " rerank -m " + classifier + " -q q doc");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("3 labels") && Catch::Contains("one-label head"));
  write_bytes(tmp / "bad.jsonl", "{\"query\": \"q\", \"text\": \"d\"}\n{\"query\": \"q\"}\n");
  r = run_command(bte + " rerank -m " + reranker + " --pairs " + tmp / "bad.jsonl");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.jsonl:2") && Catch::Contains("'text'"));
  write_bytes(tmp / "junk.jsonl", "not json\n");
  r = run_command(bte + " rerank -m " + reranker + " --pairs " + tmp / "junk.jsonl");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("junk.jsonl:1") && Catch::Contains("not a JSON object"));
  r = run_command(bte + " rerank -m " + reranker + " --pairs " + tmp / "bad.jsonl" + " -k 1");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--top-k"));
}

TEST_CASE("rerank: --max-length cuts pairs shorter, and the CLI uses it", "[rerank][cli]") {
  const std::vector<PairCase> cases = load_pairs();
  const std::string model = convert_checkpoint(data_path("golden/rerank_tiny"));
  auto engine = Engine::load(model, {});
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& c : cases) pairs.emplace_back(c.query, c.document);
  const PackedBatch b = engine->encode_pairs(pairs, Truncation::Truncate, nullptr, 16);
  CHECK(b.max_len <= 16);
  RunRequest req;
  req.outputs.logits = true;
  const RunOutputs out = engine->run(b, Mode::Packed, req);
  TempDir tmp;
  std::string jsonl;
  for (const auto& c : cases) jsonl += json{{"query", c.query}, {"text", c.document}}.dump() + "\n";
  write_bytes(tmp / "pairs.jsonl", jsonl);
  const auto r = run_command(bte_binary() + " rerank -m " + model + " --pairs " + tmp / "pairs.jsonl" +
                             " --json --max-length 16");
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i)
    CHECK(std::abs(json::parse(lines[i]).at("logit").get<double>() - out.logits[i]) <= 1e-6);
  CHECK_THROWS_WITH(engine->encode_pairs(pairs, Truncation::Truncate, nullptr, 3),
                    Catch::Contains("4 special tokens"));
}
