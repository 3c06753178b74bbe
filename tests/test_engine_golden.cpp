// The engine against the oracle's golden outputs (tools/oracle: PyTorch's
// nn.TransformerEncoderLayer fast path), in each of the three modes, on the
// whole case set at once (mixed lengths, 2..64 tokens, truncation) and on
// single texts. Tolerances (fp32): logits 1e-4 max abs; hidden states and
// pooled embeddings 1e-4 relative to max(|expected|, 1) — they are
// LayerNorm outputs of O(1), and the oracle itself agrees with a float64
// model to ~1.5e-6.
#include <catch2/catch.hpp>

#include <cstring>

#include "engine/engine.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"

using namespace bte;
using namespace bte::test;

namespace {

constexpr double kTol = 1e-4;

std::vector<std::string> texts_of(const Golden& g) {
  std::vector<std::string> t;
  for (const auto& c : g.cases) t.push_back(c.text);
  return t;
}

RunRequest everything() {
  RunRequest r;
  r.outputs.cls = r.outputs.mean = r.outputs.logits = true;
  r.hidden_states = true;
  return r;
}

void check_against_golden(const Golden& g, const PackedBatch& b, const RunOutputs& out,
                          const std::vector<int>& case_index, bool normalized) {
  const int d = g.hidden, C = g.num_labels;
  for (int i = 0; i < b.n_seqs(); ++i) {
    const GoldenCase& gc = g.cases[case_index[i]];
    INFO("case " << case_index[i] << " \"" << gc.text.substr(0, 60) << "\"");
    const int L = b.cu_seqlens[i + 1] - b.cu_seqlens[i];
    REQUIRE(L * d == int(gc.hidden.size()));
    REQUIRE(out.hidden_states.size() == size_t(b.total_tokens()) * d);
    REQUIRE(out.cls.size() == size_t(b.n_seqs()) * d);
    REQUIRE(out.mean.size() == size_t(b.n_seqs()) * d);
    const auto h = compare(out.hidden_states.data() + int64_t(b.cu_seqlens[i]) * d,
                           gc.hidden.data(), int64_t(L) * d, 1.0);
    INFO("hidden: " << h.describe());
    CHECK(h.max_rel <= kTol);
    const auto& want_cls = normalized ? gc.cls_l2 : gc.cls;
    const auto& want_mean = normalized ? gc.mean_l2 : gc.mean;
    const auto pc = compare(out.cls.data() + int64_t(i) * d, want_cls.data(), d, 1.0);
    INFO("cls: " << pc.describe());
    CHECK(pc.max_rel <= kTol);
    const auto pm = compare(out.mean.data() + int64_t(i) * d, want_mean.data(), d, 1.0);
    INFO("mean: " << pm.describe());
    CHECK(pm.max_rel <= kTol);
    if (C > 0 && !out.logits.empty()) {
      REQUIRE(out.logits.size() == size_t(b.n_seqs()) * C);
      const auto lg = compare(out.logits.data() + int64_t(i) * C, gc.logits.data(), C);
      INFO("logits: " << lg.describe());
      CHECK(lg.max_abs <= kTol);
      const auto pr = compare(out.probs.data() + int64_t(i) * C, gc.probs.data(), C);
      CHECK(pr.max_abs <= kTol);
    }
  }
}

}  // namespace

TEST_CASE("engine: each mode matches PyTorch's golden outputs (tiny model)", "[engine][golden]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  const std::string model = convert_checkpoint(data_path("golden/tiny"));
  auto engine = Engine::load(model, {});
  REQUIRE(engine->config().num_labels == g.num_labels);
  CHECK(engine->config().labels == g.labels);

  const auto texts = texts_of(g);
  std::vector<int> truncated;
  const PackedBatch batch = engine->encode(texts, Truncation::Truncate, &truncated);
  std::vector<int> all(g.cases.size());
  for (size_t i = 0; i < all.size(); ++i) {
    all[i] = int(i);
    INFO("case " << i);
    CHECK(std::vector<int32_t>(batch.ids.begin() + batch.cu_seqlens[i],
                               batch.ids.begin() + batch.cu_seqlens[i + 1]) == g.cases[i].ids);
    CHECK((std::find(truncated.begin(), truncated.end(), int(i)) != truncated.end()) ==
          g.cases[i].truncated);
  }
  engine->prepare(Mode::Fused);  // the fast path built ahead (fused and packed share it), reference lazily
  for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
    DYNAMIC_SECTION("mode " << mode_name(mode)) {
      check_against_golden(g, batch, engine->run(batch, mode, everything()), all, false);
      RunRequest norm;
      norm.outputs.cls = norm.outputs.mean = norm.outputs.normalize = true;
      norm.hidden_states = true;
      check_against_golden(g, batch, engine->run(batch, mode, norm), all, true);
    }
  }
}

TEST_CASE("engine: single texts and reordered batches give the same results", "[engine][golden]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tiny")), {});
  // Longest first, then one text per batch: order and batch composition must not matter.
  std::vector<int> order(g.cases.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return g.cases[a].ids.size() > g.cases[b].ids.size(); });
  std::vector<std::string> texts;
  for (int i : order) texts.push_back(g.cases[i].text);
  for (Mode mode : {Mode::Fused, Mode::Packed}) {
    const PackedBatch b = engine->encode(texts);
    check_against_golden(g, b, engine->run(b, mode, everything()), order, false);
    for (int i : {0, 3, 11}) {
      const PackedBatch one = engine->encode({g.cases[i].text});
      check_against_golden(g, one, engine->run(one, mode, everything()), {i}, false);
    }
  }
}

TEST_CASE("engine: the three modes agree with each other on a bare encoder", "[engine][golden]") {
  // tiny_encoder: the same weights without a head, keys without the roberta. prefix.
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tiny_encoder")), {});
  CHECK_FALSE(engine->config().has_head());
  const PackedBatch b = engine->encode(texts_of(g));
  RunRequest r;
  r.outputs.cls = r.outputs.mean = true;
  r.hidden_states = true;
  const auto ref = engine->run(b, Mode::Reference, r);
  for (Mode mode : {Mode::Fused, Mode::Packed}) {
    const auto got = engine->run(b, mode, r);
    const auto dh = compare(got.hidden_states.data(), ref.hidden_states.data(),
                            int64_t(ref.hidden_states.size()), 1.0);
    INFO(mode_name(mode) << " vs reference: " << dh.describe());
    CHECK(dh.max_rel <= kTol);
  }
  std::vector<int> all(g.cases.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = int(i);
  Golden no_head = g;
  no_head.num_labels = 0;
  check_against_golden(no_head, b, engine->run(b, Mode::Packed, r), all, false);
  RunRequest wants_logits;
  wants_logits.outputs.logits = true;
  CHECK_THROWS_WITH(engine->run(b, Mode::Packed, wants_logits),
                    Catch::Contains("no classification head"));
}

// A file of format version 1 (before families and tokenizer kinds: every
// such file is XLM-R) still loads and gives the golden outputs.
TEST_CASE("engine: a version-1 .bte file still loads and matches the golden outputs",
          "[engine][golden][format]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  const std::string v2 = convert_checkpoint(data_path("golden/tiny"));
  std::string img = edit_header(read_file(v2), [](nlohmann::json& j) {
    j["format_version"] = 1;
    j["config"].erase("family");
    nlohmann::json& t = j["tokenizer"];
    t["type"] = t["kind"];
    for (auto it = t["settings"].begin(); it != t["settings"].end(); ++it) t[it.key()] = it.value();
    t.erase("kind");
    t.erase("settings");
  });
  const uint32_t one = 1;
  std::memcpy(img.data() + 8, &one, 4);
  TempDir dir;
  const std::string v1 = dir / "v1.bte";
  write_bytes(v1, img);
  auto engine = Engine::load(v1, {});
  CHECK(engine->config().family == "xlm-roberta");
  const PackedBatch batch = engine->encode(texts_of(g));
  std::vector<int> all(g.cases.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = int(i);
  check_against_golden(g, batch, engine->run(batch, Mode::Packed, everything()), all, false);
}

// What the engine checks at load beyond the file format: the tokenizer kind
// the family reads, and the padding id the tokenizer and the config share.
TEST_CASE("engine: load refuses a tokenizer of another kind or another padding id",
          "[engine][format]") {
  const std::string good = read_file(convert_checkpoint(data_path("golden/tiny")));
  TempDir dir;
  auto load_edited = [&](const std::function<void(nlohmann::json&)>& edit) {
    const std::string path = dir / "edited.bte";
    write_bytes(path, edit_header(good, edit));
    (void)Engine::load(path, {});
  };
  CHECK_THROWS_WITH(load_edited([](nlohmann::json& j) { j["tokenizer"]["kind"] = "wordpiece"; }),
                    Catch::Contains("edited.bte") && Catch::Contains("\"wordpiece\" tokenizer") &&
                        Catch::Contains("\"sentencepiece\""));
  CHECK_THROWS_WITH(load_edited([](nlohmann::json& j) { j["config"]["pad_id"] = 0; }),
                    Catch::Contains("config.pad_id 0 differs from the tokenizer's padding id 1"));
}
