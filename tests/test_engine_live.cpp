// Live differential test against PyTorch: each run draws a fresh seed, model
// shape and set of texts, has tools/oracle build that model with
// nn.TransformerEncoderLayer and compute its outputs, converts the checkpoint
// with `bte convert`, and compares all three modes. Tagged [live]: needs
// /usr/bin/python3 with torch (CI installs python3-torch); skipped visibly
// otherwise. Tolerance as in the golden test (fp32, 1e-4).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/engine.h"
#include "tests/golden.h"
#include "tests/test_util.h"

using namespace bte;
using namespace bte::test;

TEST_CASE("engine: live differential test against PyTorch", "[engine][live]") {
  const uint64_t seed = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  std::mt19937_64 rng(seed);
  // Awkward shapes: head dims 8..40 (not only powers of two), hidden not a multiple of 16.
  const int heads = std::vector<int>{1, 2, 3, 4, 6}[rng() % 5];
  const int dh = std::vector<int>{8, 12, 16, 20, 32, 40}[rng() % 6];
  const int hidden = heads * dh, layers = 1 + int(rng() % 3), ffn = hidden * (1 + int(rng() % 4));
  const int max_positions = 20 + int(rng() % 60), labels = 1 + int(rng() % 5);
  INFO("seed " << seed << ": layers " << layers << ", hidden " << hidden << ", heads " << heads
               << ", ffn " << ffn << ", max_positions " << max_positions << ", labels " << labels);

  // Texts: random runs of corpus lines, some over the limit, one empty.
  std::vector<std::string> corpus;
  {
    std::istringstream in(read_file(data_path("corpus.txt")));
    for (std::string l; std::getline(in, l);) corpus.push_back(l);
  }
  const std::string dir = temp_dir();
  const int n_texts = 1 + int(rng() % 12);
  std::vector<std::string> texts;
  {
    std::ofstream f(dir + "/texts.txt");
    for (int i = 0; i < n_texts; ++i) {
      std::string t;
      if (i != n_texts / 2) {
        const int parts = 1 + int(rng() % 3);
        for (int p = 0; p < parts; ++p) t += (p ? " " : "") + corpus[rng() % corpus.size()];
      }
      texts.push_back(t);
      f << t << "\n";
    }
  }
  std::ostringstream cmd;
  cmd << "/usr/bin/python3 " << BTE_SOURCE_DIR << "/tools/oracle/oracle.py live --seed "
      << (seed % 1000000) << " --out " << dir << "/oracle --spm " << data_path("spm/unigram.model")
      << " --layers " << layers << " --hidden " << hidden << " --heads " << heads << " --ffn "
      << ffn << " --max-positions " << max_positions << " --num-labels " << labels
      << " --texts-file " << dir << "/texts.txt";
  const auto r = run_command(cmd.str());
  INFO(cmd.str() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);

  const Golden g = load_golden(dir + "/oracle/expected.json");
  REQUIRE(int(g.cases.size()) == n_texts);
  auto engine = Engine::load(convert_checkpoint(dir + "/oracle/checkpoint"), {});
  const PackedBatch b = engine->encode(texts);
  RunRequest req;
  req.outputs.cls = req.outputs.mean = req.outputs.logits = true;
  req.hidden_states = true;
  for (Mode mode : {Mode::Reference, Mode::Fused, Mode::Packed}) {
    const RunOutputs out = engine->run(b, mode, req);
    for (int i = 0; i < n_texts; ++i) {
      const GoldenCase& gc = g.cases[i];
      INFO(mode_name(mode) << " text " << i << " (" << gc.ids.size() << " tokens)");
      REQUIRE(std::vector<int32_t>(b.ids.begin() + b.cu_seqlens[i],
                                   b.ids.begin() + b.cu_seqlens[i + 1]) == gc.ids);
      const auto lg = compare(out.logits.data() + int64_t(i) * labels, gc.logits.data(), labels);
      INFO("logits: " << lg.describe());
      CHECK(lg.max_abs <= 1e-4);
      const auto h = compare(out.hidden_states.data() + int64_t(b.cu_seqlens[i]) * hidden,
                             gc.hidden.data(), int64_t(gc.hidden.size()), 1.0);
      INFO("hidden: " << h.describe());
      CHECK(h.max_rel <= 1e-4);
      const auto m = compare(out.mean.data() + int64_t(i) * hidden, gc.mean.data(), hidden, 1.0);
      CHECK(m.max_rel <= 1e-4);
    }
  }
}
