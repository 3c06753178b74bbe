// tools/convert_torchtext.py on torchtext-layout state dicts made from the
// oracle's tiny model (both torchtext layouts: >= 0.13 with nn.TransformerEncoder,
// <= 0.12 with its own layers; the head as a separate file), then bte convert:
// every tensor equals the oracle checkpoint's, except the token-type row,
// which torchtext does not have (folded into the word embeddings here, so the
// model computes the same function). Needs /usr/bin/python3 with torch: [live].
#include <catch2/catch.hpp>

#include <cstring>

#include "tests/test_util.h"
#include "tests/test_weights_util.h"
#include "weights/bte_file.h"
#include "convert/hf_convert.h"

using namespace bte;

namespace {

// Builds the oracle model from the tiny checkpoint and saves its weights
// under torchtext's names. argv: OUT_DIR LAYOUT(new|old)
const char* kMakeTorchtext = R"PY(
import os, sys, torch
sys.path.insert(0, os.path.join(os.environ["BTE_SOURCE_DIR"], "tools", "oracle"))
from hf_checkpoint import read_checkpoint
from xlmr_model import XlmrEncoder, from_numpy
out, layout = sys.argv[1], sys.argv[2]
cfg, weights = read_checkpoint(os.path.join(os.environ["BTE_SOURCE_DIR"], "tests/data/golden/tiny"))
m = XlmrEncoder(cfg, from_numpy(weights))   # the oracle model (nn.TransformerEncoder inside)
p = "encoder.transformer."
sd = {}
# torchtext has no token types: fold row 0 into the word embeddings (same function).
sd[p + "token_embedding.weight"] = m.word.weight + m.token_type.weight[0]
sd[p + "positional_embedding.embedding.weight"] = m.position.weight
sd[p + "embedding_layer_norm.weight"] = m.emb_norm.weight
sd[p + "embedding_layer_norm.bias"] = m.emb_norm.bias
for i, layer in enumerate(m.encoder.layers):
    if layout == "new":
        for k, v in layer.state_dict().items():
            sd[f"{p}layers.layers.{i}.{k}"] = v
    else:
        t = f"{p}layers.{i}."
        names = {"self_attn.in_proj_weight": "attention.input_projection.weight",
                 "self_attn.in_proj_bias": "attention.input_projection.bias",
                 "self_attn.out_proj.weight": "attention.output_projection.weight",
                 "self_attn.out_proj.bias": "attention.output_projection.bias",
                 "norm1.weight": "attention_layer_norm.weight", "norm1.bias": "attention_layer_norm.bias",
                 "linear1.weight": "residual_mlp.mlp.0.weight", "linear1.bias": "residual_mlp.mlp.0.bias",
                 "linear2.weight": "residual_mlp.mlp.3.weight", "linear2.bias": "residual_mlp.mlp.3.bias",
                 "norm2.weight": "final_layer_norm.weight", "norm2.bias": "final_layer_norm.bias"}
        for k, v in layer.state_dict().items():
            sd[t + names[k]] = v
sd = {k: v.detach().clone() for k, v in sd.items()}
head = {"dense.weight": m.cls_dense.weight, "dense.bias": m.cls_dense.bias,
        "out_proj.weight": m.cls_out.weight, "out_proj.bias": m.cls_out.bias}
torch.save(sd, os.path.join(out, "encoder.pt"))
torch.save({k: v.detach().clone() for k, v in head.items()}, os.path.join(out, "head.pt"))
)PY";

std::string bytes_of(const BteFile::Tensor& t) {
  return std::string(static_cast<const char*>(t.data), t.bytes);
}

}  // namespace

TEST_CASE("torchtext: convert_torchtext.py + bte convert reproduce the oracle's tensors",
          "[weights][convert][live]") {
  bte::test::TempDir dir;
  const std::string src = BTE_SOURCE_DIR;
  bte::test::write_bytes(dir / "make.py", kMakeTorchtext);
  ConvertOptions o;
  o.hf_dir = bte::test::data_path("golden/tiny");
  o.output = dir / "ref.bte";
  convert_hf(o);
  const BteFile ref = BteFile::open(o.output);

  for (const char* layout : {"new", "old"}) {
    DYNAMIC_SECTION("torchtext layout " << layout) {
      auto r = bte::test::run_command("BTE_SOURCE_DIR=" + bte::test::shell_quote(src) +
                                      " /usr/bin/python3 " + bte::test::shell_quote(dir / "make.py") +
                                      " " + bte::test::shell_quote(dir.path()) + " " + layout);
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
      r = bte::test::run_command(
          "/usr/bin/python3 " + bte::test::shell_quote(src + "/tools/convert_torchtext.py") + " " +
          bte::test::shell_quote(dir / "encoder.pt") + " --head " +
          bte::test::shell_quote(dir / "head.pt") + " --labels negative,neutral,positive --heads 4 --spm " +
          bte::test::shell_quote(bte::test::data_path("golden/tiny/sentencepiece.bpe.model")) +
          " --out " + bte::test::shell_quote(dir / "hf"));
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
      o.hf_dir = dir / "hf";
      o.output = dir / "tt.bte";
      convert_hf(o);
      const BteFile tt = BteFile::open(o.output);
      CHECK(tt.config().labels == ref.config().labels);
      CHECK(tt.config().layers == ref.config().layers);
      CHECK(tt.config().heads == ref.config().heads);
      CHECK(tt.config().layer_norm_eps == ref.config().layer_norm_eps);
      CHECK(tt.header().meta.source_architecture == "XLMRobertaForSequenceClassification");
      REQUIRE(tt.tensors().size() == ref.tensors().size());
      const int64_t d = ref.config().hidden;
      const float* tok = static_cast<const float*>(ref.tensor("embeddings.token_type").data);
      for (const auto& t : ref.tensors()) {
        INFO(t.name);
        const auto& got = tt.tensor(t.name);
        REQUIRE(got.bytes == t.bytes);
        if (t.name == "embeddings.token_type") {
          CHECK(bytes_of(got) == std::string(t.bytes, '\0'));
        } else if (t.name == "embeddings.word") {
          const float* a = static_cast<const float*>(t.data);
          const float* b = static_cast<const float*>(got.data);
          for (int64_t i = 0; i < int64_t(t.bytes / 4); ++i) {
            const float want = a[i] + tok[i % d];  // float32 add, as torch did
            REQUIRE(std::memcmp(&b[i], &want, 4) == 0);
          }
        } else {
          CHECK(bytes_of(got) == bytes_of(t));
        }
      }
    }
  }
  // Refusals name the problem.
  bte::test::write_bytes(dir / "junk.pt", "not a torch file");
  auto r = bte::test::run_command("/usr/bin/python3 " +
                                  bte::test::shell_quote(src + "/tools/convert_torchtext.py") + " " +
                                  bte::test::shell_quote(dir / "junk.pt") + " --spm x --out " +
                                  bte::test::shell_quote(dir / "hf2"));
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("junk.pt"));
}
