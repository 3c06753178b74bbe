// Token classification: an XLMRobertaForTokenClassification checkpoint
// converts, its per-token logits equal transformers' (1e-4), its token
// offsets equal the fast tokenizer's, and `bte tag` gives the spans of
// Hugging Face's pipeline("token-classification", aggregation_strategy=
// "simple"). Expected values: tests/data/golden/tagger_tiny/expected.json
// (tools/oracle/make_hf_fixtures.py).
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "bte/bte.h"
#include "engine/engine.h"
#include "engine/token_tags.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"

using namespace bte;
using namespace bte::test;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-4;

json load_cases() {
  return json::parse(read_file(data_path("golden/tagger_tiny/expected.json"))).at("cases");
}

// Byte offsets -> Python's code-point offsets.
int64_t code_points(const std::string& s, int64_t bytes) {
  int64_t n = 0;
  for (int64_t i = 0; i < bytes; ++i) n += (static_cast<unsigned char>(s[size_t(i)]) & 0xC0) != 0x80;
  return n;
}

void check_spans(const std::vector<TaggedSpan>& got, const json& want) {
  REQUIRE(got.size() == want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    INFO("span " << k);
    CHECK(got[k].label == want[k].at("entity_group").get<std::string>());
    CHECK(got[k].word == want[k].at("word").get<std::string>());
    CHECK(got[k].start == want[k].at("start").get<int64_t>());
    CHECK(got[k].end == want[k].at("end").get<int64_t>());
    CHECK(std::abs(got[k].score - want[k].at("score").get<double>()) <= kTol);
  }
}

}  // namespace

TEST_CASE("tagging: token logits, offsets and pipeline spans equal Hugging Face's",
          "[tagging][golden]") {
  const json cases = load_cases();
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tagger_tiny")), {});
  const ModelConfig& c = engine->config();
  REQUIRE(c.token_head());
  const size_t C = size_t(c.num_labels);
  RunRequest req;
  req.outputs.token_logits = true;
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& k = cases[i];
    const std::string text = k.at("text").get<std::string>();
    INFO("case " << i << ": " << text);
    const Encoding e = engine->tokenizer().encode_with_offsets(text, c.max_tokens());
    CHECK(e.ids == k.at("ids").get<std::vector<int32_t>>());
    const auto offsets = k.at("offsets");
    REQUIRE(offsets.size() == e.offsets.size());
    for (size_t t = 1; t + 1 < e.offsets.size(); ++t) {
      INFO("token " << t);
      CHECK(code_points(text, e.offsets[t].first) == offsets[t][0].get<int64_t>());
      CHECK(code_points(text, e.offsets[t].second) == offsets[t][1].get<int64_t>());
    }
    const PackedBatch b = PackedBatch::from_ids({e.ids}, c.first_position());
    for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
      INFO("mode " << mode_name(mode));
      const RunOutputs out = engine->run(b, mode, req);
      const auto logits = k.at("logits");
      REQUIRE(out.token_logits.size() == e.ids.size() * C);
      double worst = 0;
      for (size_t t = 0; t < e.ids.size(); ++t)
        for (size_t l = 0; l < C; ++l)
          worst = std::max(worst, std::abs(out.token_logits[t * C + l] - logits[t][l].get<double>()));
      CHECK(worst <= kTol);
      if (mode == Mode::Packed)
        check_spans(group_token_tags(text, e, out.token_probs.data(), c.labels, engine->tokenizer()),
                    k.at("entities"));
    }
  }
}

TEST_CASE("tagging: bte tag --json and bte_tag_tokens", "[tagging][golden][cli]") {
  const json cases = load_cases();
  const std::string model = convert_checkpoint(data_path("golden/tagger_tiny"));
  TempDir tmp;
  std::string file;
  std::vector<size_t> rows;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string t = cases[i].at("text").get<std::string>();
    if (t.find_first_of("\r\n") != std::string::npos) continue;
    file += t + "\n";
    rows.push_back(i);
  }
  write_bytes(tmp / "texts.txt", file);
  auto r = run_command(bte_binary() + " tag -m " + model + " -f " + tmp / "texts.txt" + " --json");
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    INFO("case " << rows[k]);
    const json got = json::parse(lines[k]), want = cases[rows[k]].at("entities");
    REQUIRE(got.size() == want.size());
    for (size_t s = 0; s < got.size(); ++s) {
      CHECK(got[s].at("entity_group") == want[s].at("entity_group"));
      CHECK(got[s].at("word") == want[s].at("word"));
      CHECK(got[s].at("start") == want[s].at("start"));
      CHECK(got[s].at("end") == want[s].at("end"));
      CHECK(std::abs(got[s].at("score").get<double>() - want[s].at("score").get<double>()) <= kTol);
    }
  }
  r = run_command(bte_binary() + " tag -m " + convert_checkpoint(data_path("golden/tiny")) + " hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no token classification head"));
  r = run_command(bte_binary() + " classify -m " + model + " hello");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bte tag"));

  bte_model* m = nullptr;
  REQUIRE(bte_model_load(model.c_str(), nullptr, &m) == BTE_OK);
  std::vector<std::string> texts;
  for (const auto& k : cases) texts.push_back(k.at("text").get<std::string>());
  std::vector<const char*> ptrs;
  for (const auto& t : texts) ptrs.push_back(t.c_str());
  size_t total = 0;
  REQUIRE(bte_count_tokens(m, ptrs.data(), ptrs.size(), &total) == BTE_OK);
  std::vector<int> ids(total);
  std::vector<float> scores(total);
  std::vector<size_t> offsets(ptrs.size() + 1);
  REQUIRE(bte_tag_tokens(m, ptrs.data(), ptrs.size(), ids.data(), scores.data(), total,
                         offsets.data()) == BTE_OK);
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto labels = cases[i].at("labels");
    REQUIRE(offsets[i + 1] - offsets[i] == labels.size());
    for (size_t t = 0; t < labels.size(); ++t) {
      INFO("case " << i << ", token " << t);
      CHECK(bte_model_label(m, ids[offsets[i] + t]) == labels[t].get<std::string>());
    }
  }
  CHECK(bte_tag_tokens(m, ptrs.data(), ptrs.size(), ids.data(), scores.data(), total - 1,
                       offsets.data()) == BTE_ERROR_CAPACITY);
  bte_model_free(m);
}

// Labels outside B-/I- (BIOES, BILOU): the pipeline groups on the whole label
// and names the span by what follows the first '-'.
TEST_CASE("tagging: S-/E- labels name their spans as the pipeline does", "[tagging]") {
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tagger_tiny")), {});
  const std::string text = "Angela Merkel met Macron";
  const Encoding e = engine->tokenizer().encode_with_offsets(text, 64);
  const std::vector<std::string> labels = {"O", "S-PER", "B-LOC", "E-LOC"};
  const size_t T = e.ids.size();
  REQUIRE(T >= 6);
  std::vector<float> probs(T * labels.size(), 0.f);
  auto set = [&](size_t t, size_t label) { probs[t * labels.size() + label] = 0.9f; };
  for (size_t t = 0; t < T; ++t) set(t, 0);
  std::fill(probs.begin() + 1 * 4, probs.begin() + 2 * 4, 0.f);
  set(1, 1);  // the first real token: S-PER
  std::fill(probs.begin() + 2 * 4, probs.begin() + 3 * 4, 0.f);
  set(2, 3);  // the second: E-LOC (its own span: another tag)
  const auto spans = group_token_tags(text, e, probs.data(), labels, engine->tokenizer());
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].label == "PER");
  CHECK(spans[1].label == "LOC");
  CHECK(spans[0].start == e.offsets[1].first);
}
