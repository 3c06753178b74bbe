// The engine on --device cuda against the oracle's golden outputs (PyTorch,
// tools/oracle) in each of the three modes, and the modes against each
// other. Tolerances: fp32 logits 1e-4 max abs, hidden states 1e-4 relative
// to max(|expected|, 1); fp16 / bf16 logits 2e-2 (hidden states 5e-2: one
// 16-bit rounding per GEMM input over two layers).
#include <catch2/catch.hpp>

#include <thread>

#include "engine/engine.h"
#include "tests/golden.h"
#include "tests/test_util.h"

using namespace bte;
using namespace bte::test;

namespace {

RunRequest everything() {
  RunRequest r;
  r.outputs.cls = r.outputs.mean = r.outputs.logits = true;
  r.hidden_states = true;
  return r;
}

void check_golden(const Golden& g, const PackedBatch& b, const RunOutputs& out, double logit_tol,
                  double hidden_tol) {
  const int d = g.hidden, C = g.num_labels;
  REQUIRE(out.hidden_states.size() == size_t(b.total_tokens()) * d);
  REQUIRE(out.logits.size() == size_t(b.n_seqs()) * C);
  for (int i = 0; i < b.n_seqs(); ++i) {
    const GoldenCase& gc = g.cases[i];
    const int L = b.cu_seqlens[i + 1] - b.cu_seqlens[i];
    REQUIRE(size_t(L) * d == gc.hidden.size());
    INFO("case " << i << " \"" << gc.text.substr(0, 40) << "\"");
    const auto h = compare(out.hidden_states.data() + int64_t(b.cu_seqlens[i]) * d,
                           gc.hidden.data(), int64_t(L) * d, 1.0);
    INFO("hidden: " << h.describe());
    CHECK(h.max_rel <= hidden_tol);
    const auto m = compare(out.mean.data() + int64_t(i) * d, gc.mean.data(), d, 1.0);
    INFO("mean: " << m.describe());
    CHECK(m.max_rel <= hidden_tol);
    const auto lg = compare(out.logits.data() + int64_t(i) * C, gc.logits.data(), C);
    INFO("logits: " << lg.describe());
    CHECK(lg.max_abs <= logit_tol);
  }
}

std::vector<std::string> texts_of(const Golden& g) {
  std::vector<std::string> t;
  for (const auto& c : g.cases) t.push_back(c.text);
  return t;
}

}  // namespace

TEST_CASE("cuda engine: each mode matches PyTorch's golden outputs (fp32)", "[cuda][engine]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  EngineOptions o;
  o.device = Device::Cuda;
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tiny")), o);
  const PackedBatch b = engine->encode(texts_of(g));
  for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
    DYNAMIC_SECTION("mode " << mode_name(mode)) {
      INFO(engine->describe(mode));
      check_golden(g, b, engine->run(b, mode, everything()), 1e-4, 1e-4);
    }
  }
}

TEST_CASE("cuda engine: fp16 and bf16 match the golden outputs within 2e-2", "[cuda][engine]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  const std::string model = convert_checkpoint(data_path("golden/tiny"));
  for (DType t : {DType::F16, DType::BF16}) {
    EngineOptions o;
    o.device = Device::Cuda;
    o.dtype = t;
    auto engine = Engine::load(model, o);
    const PackedBatch b = engine->encode(texts_of(g));
    for (Mode mode : {Mode::Fused, Mode::Packed}) {
      DYNAMIC_SECTION(dtype_name(t) << " " << mode_name(mode)) {
        INFO(engine->describe(mode));
        check_golden(g, b, engine->run(b, mode, everything()), 2e-2, 5e-2);
      }
    }
  }
}

TEST_CASE("cuda engine: the three modes agree, and agree with the CPU", "[cuda][engine]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  const std::string model = convert_checkpoint(data_path("golden/tiny"));
  EngineOptions o;
  o.device = Device::Cuda;
  auto gpu = Engine::load(model, o);
  auto cpu = Engine::load(model, {});
  const PackedBatch b = gpu->encode(texts_of(g));
  const auto want = cpu->run(b, Mode::Packed, everything());
  for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
    const auto got = gpu->run(b, mode, everything());
    const auto h = compare(got.hidden_states.data(), want.hidden_states.data(),
                           int64_t(want.hidden_states.size()), 1.0);
    INFO(mode_name(mode) << " on cuda vs packed on cpu: " << h.describe());
    CHECK(h.max_rel <= 1e-4);
    const auto p = compare(got.probs.data(), want.probs.data(), int64_t(want.probs.size()));
    CHECK(p.max_abs <= 1e-4);
  }
}

TEST_CASE("cuda engine: concurrent runs on one engine give serial results", "[cuda][engine][concurrency]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  EngineOptions o;
  o.device = Device::Cuda;
  auto engine = Engine::load(convert_checkpoint(data_path("golden/tiny")), o);
  const auto texts = texts_of(g);
  std::vector<PackedBatch> batches;
  std::vector<RunOutputs> serial;
  for (size_t k = 1; k <= 8; ++k) {
    batches.push_back(engine->encode(std::vector<std::string>(texts.begin(), texts.begin() + k)));
    serial.push_back(engine->run(batches.back(), Mode::Packed, everything()));
  }
  std::vector<RunOutputs> parallel(batches.size());
  std::vector<std::thread> threads;
  for (size_t k = 0; k < batches.size(); ++k)
    threads.emplace_back([&, k] { parallel[k] = engine->run(batches[k], Mode::Packed, everything()); });
  for (auto& t : threads) t.join();
  for (size_t k = 0; k < batches.size(); ++k) {
    INFO("batch " << k);
    // Same kernels and shapes; a race would give garbage, not a last-bit change.
    CHECK(compare(parallel[k].logits.data(), serial[k].logits.data(),
                  int64_t(serial[k].logits.size())).max_abs <= 1e-6);
    CHECK(compare(parallel[k].hidden_states.data(), serial[k].hidden_states.data(),
                  int64_t(serial[k].hidden_states.size())).max_abs <= 1e-6);
  }
}

// The outputs the real-checkpoint work added (max pooling with and without
// normalisation, a one-label head's sigmoid on pairs, token logits) on the
// GPU against the CPU, whose own tests hold them to transformers' values.
TEST_CASE("cuda engine: max pooling, normalised CLS, pair scores and token logits agree with the CPU",
          "[cuda][engine]") {
  EngineOptions o;
  o.device = Device::Cuda;
  const std::vector<std::string> texts = {"Hello world", "", "naïve café 🙂 東京",
                                          "Angela Merkel met Emmanuel Macron in Paris."};
  auto compare_runs = [&](const std::string& dir, const RunRequest& req, bool pairs) {
    const std::string model = convert_checkpoint(data_path("golden/" + dir));
    auto gpu = Engine::load(model, o);
    auto cpu = Engine::load(model, {});
    std::vector<std::pair<std::string, std::string>> p;
    for (const auto& t : texts) p.emplace_back("Where is Paris?", t);
    const PackedBatch b = pairs ? cpu->encode_pairs(p) : cpu->encode(texts);
    const RunOutputs want = cpu->run(b, Mode::Packed, req);
    for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
      const RunOutputs got = gpu->run(b, mode, req);
      INFO(dir << ", " << mode_name(mode) << " on cuda vs packed on cpu");
      using Field = std::vector<float> RunOutputs::*;
      for (Field v : {Field(&RunOutputs::max), Field(&RunOutputs::cls), Field(&RunOutputs::probs),
                      Field(&RunOutputs::token_logits)}) {
        REQUIRE((got.*v).size() == (want.*v).size());
        if ((want.*v).empty()) continue;
        const auto d = compare((got.*v).data(), (want.*v).data(), int64_t((want.*v).size()), 1.0);
        INFO(d.describe());
        CHECK(d.max_rel <= 1e-4);
      }
    }
  };
  RunRequest max_pool;
  max_pool.outputs.max = true;
  compare_runs("st_max", max_pool, false);
  RunRequest cls_norm;
  cls_norm.outputs.cls = cls_norm.outputs.normalize = true;
  compare_runs("st_cls", cls_norm, false);
  RunRequest logits;
  logits.outputs.logits = true;
  compare_runs("rerank_tiny", logits, true);
  RunRequest tokens;
  tokens.outputs.token_logits = true;
  compare_runs("tagger_tiny", tokens, false);
}
