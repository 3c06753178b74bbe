// bte convert on the oracle's Hugging Face checkpoints: every tensor arrives
// bit-exact (fp32) or correctly rounded (bf16/fp16); the sharded and the
// bare-encoder variants give the same tensors; bad checkpoints are refused
// with a message naming the tensor or field and the file.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "base/check.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"
#include "weights/bte_file.h"
#include "convert/hf_convert.h"

using namespace bte;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

using StMap = std::map<std::string, bte::test::StTensor>;

StMap load_hf(const std::string& dir) {
  StMap m;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (p.size() > 12 && p.substr(p.size() - 12) == ".safetensors")
      for (auto& t : bte::test::read_safetensors(p)) {
        std::string key = t.name.rfind("roberta.", 0) == 0 ? t.name.substr(8) : t.name;
        m[key] = std::move(t);
      }
  }
  return m;
}

std::string convert(const std::string& hf, const std::string& out, DType dt = DType::F32,
                    int num_labels = 0, uint64_t seed = 0) {
  ConvertOptions o;
  o.hf_dir = hf;
  o.output = out;
  o.dtype = dt;
  o.num_labels = num_labels;
  o.seed = seed;
  convert_hf(o);
  return out;
}

std::string bytes_of(const BteFile::Tensor& t) {
  return std::string(static_cast<const char*>(t.data), t.bytes);
}

// What the .bte tensor `name` must hold, as fp32 bytes, from the HF tensors.
std::string expected_f32(const StMap& hf, const std::string& name, int64_t d) {
  auto get = [&](const std::string& k) { return hf.at(k).bytes; };
  if (name == "embeddings.word") return get("embeddings.word_embeddings.weight");
  if (name == "embeddings.position") return get("embeddings.position_embeddings.weight");
  if (name == "embeddings.token_type") return get("embeddings.token_type_embeddings.weight").substr(0, 4 * d);
  if (name == "embeddings.ln.gamma") return get("embeddings.LayerNorm.weight");
  if (name == "embeddings.ln.beta") return get("embeddings.LayerNorm.bias");
  if (name.rfind("head.", 0) == 0) {
    const std::string part = name.substr(5, name.find('.', 5) - 5);
    const std::string kind = name.substr(name.rfind('.') + 1);
    return get("classifier." + std::string(part == "dense" ? "dense" : "out_proj") + "." + kind);
  }
  // layers.{i}.<rest>
  const size_t dot = name.find('.', 7);
  const std::string i = name.substr(7, dot - 7), rest = name.substr(dot + 1);
  const std::string h = "encoder.layer." + i + ".";
  const std::string kind = rest.substr(rest.rfind('.') + 1);  // weight bias gamma beta
  const std::string wb = kind == "gamma" ? "weight" : kind == "beta" ? "bias" : kind;
  if (rest.rfind("attn.qkv.", 0) == 0)
    return get(h + "attention.self.query." + wb) + get(h + "attention.self.key." + wb) +
           get(h + "attention.self.value." + wb);
  static const std::map<std::string, std::string> m = {
      {"attn.out", "attention.output.dense"}, {"attn.ln", "attention.output.LayerNorm"},
      {"ffn.up", "intermediate.dense"},       {"ffn.down", "output.dense"},
      {"ffn.ln", "output.LayerNorm"}};
  return get(h + m.at(rest.substr(0, rest.rfind('.'))) + "." + wb);
}

// A writable copy of an oracle checkpoint directory.
std::string copy_ckpt(const bte::test::TempDir& dir, const std::string& which, const std::string& as = "hf") {
  const std::string out = dir / as;
  fs::create_directories(out);
  for (const auto& e : fs::directory_iterator(bte::test::data_path("golden/" + which)))
    if (e.path().filename() != "expected.json")
      fs::copy_file(e.path(), out + "/" + e.path().filename().string());
  return out;
}

void edit_config(const std::string& hf, const std::function<void(nlohmann::json&)>& f) {
  auto j = nlohmann::json::parse(bte::test::read_file(hf + "/config.json"));
  f(j);
  bte::test::write_bytes(hf + "/config.json", j.dump(2));
}

// Rewrites model.safetensors after `f` edits its tensor list.
void edit_weights(const std::string& hf, const std::function<void(std::vector<bte::test::StTensor>&)>& f) {
  auto ts = bte::test::read_safetensors(hf + "/model.safetensors");
  f(ts);
  bte::test::write_safetensors(hf + "/model.safetensors", ts);
}

}  // namespace

TEST_CASE("convert: the oracle checkpoint arrives bit-exact in fp32", "[weights][convert]") {
  bte::test::TempDir dir;
  const std::string hf = bte::test::data_path("golden/tiny");
  const BteFile f = BteFile::open(convert(hf, dir / "tiny.bte"));
  const auto golden = nlohmann::json::parse(bte::test::read_file(hf + "/expected.json"));
  const auto& gc = golden["config"];
  const ModelConfig& c = f.config();
  CHECK(c.layers == gc["layers"].get<int>());
  CHECK(c.hidden == gc["hidden"].get<int>());
  CHECK(c.heads == gc["heads"].get<int>());
  CHECK(c.ffn == gc["ffn"].get<int>());
  CHECK(c.vocab == gc["vocab_size"].get<int>());
  CHECK(c.max_positions == gc["max_positions"].get<int>());
  CHECK(c.max_tokens() == gc["max_tokens"].get<int>());
  CHECK(c.pad_id == gc["pad_id"].get<int>());
  CHECK(c.num_labels == gc["num_labels"].get<int>());
  CHECK(c.labels == gc["labels"].get<std::vector<std::string>>());
  CHECK(c.layer_norm_eps == gc["layer_norm_eps"].get<float>());
  CHECK(c.architecture == "XLMRobertaForSequenceClassification");
  CHECK_FALSE(c.head_is_random);
  CHECK(f.dtype() == DType::F32);
  CHECK(f.header().meta.source == "tiny");
  CHECK(f.header().meta.source_architecture == "XLMRobertaForSequenceClassification");
  CHECK(f.tokenizer_model() == bte::test::read_file(hf + "/sentencepiece.bpe.model"));

  const StMap st = load_hf(hf);
  REQUIRE(f.tensors().size() == 5 + 12 * 2 + 4);
  for (const auto& t : f.tensors()) {
    INFO(t.name);
    CHECK(t.dtype == DType::F32);
    const std::string want = expected_f32(st, t.name, c.hidden);
    REQUIRE(t.bytes == want.size());
    CHECK(bytes_of(t) == want);
  }
  // QKV is query, key, value stacked along dim 0.
  const auto& qkv = f.tensor("layers.1.attn.qkv.weight");
  CHECK(qkv.shape == std::vector<int64_t>{3 * 64, 64});
  CHECK(std::memcmp(static_cast<const char*>(qkv.data) + 64 * 64 * 4,
                    st.at("encoder.layer.1.attention.self.key.weight").bytes.data(), 64 * 64 * 4) == 0);
}

TEST_CASE("convert: bf16 and fp16 round each 2-D weight to nearest, keep 1-D fp32", "[weights][convert]") {
  bte::test::TempDir dir;
  const std::string hf = bte::test::data_path("golden/tiny");
  const StMap st = load_hf(hf);
  for (DType dt : {DType::BF16, DType::F16}) {
    DYNAMIC_SECTION(dtype_name(dt)) {
      const BteFile f = BteFile::open(convert(hf, dir / "m.bte", dt));
      CHECK(f.dtype() == dt);
      for (const auto& t : f.tensors()) {
        INFO(t.name);
        const std::string src = expected_f32(st, t.name, 64);
        const size_t n = src.size() / 4;
        if (t.shape.size() == 1) {
          CHECK(t.dtype == DType::F32);
          CHECK(bytes_of(t) == src);
          continue;
        }
        REQUIRE(t.dtype == dt);
        REQUIRE(t.bytes == 2 * n);
        double worst = 0;
        for (size_t i = 0; i < n; ++i) {
          float x;
          uint16_t h;
          std::memcpy(&x, src.data() + 4 * i, 4);
          std::memcpy(&h, static_cast<const char*>(t.data) + 2 * i, 2);
          REQUIRE(h == (dt == DType::BF16 ? float_to_bf16(x) : float_to_fp16(x)));
          const float back = dt == DType::BF16 ? bf16_to_float(h) : fp16_to_float(h);
          worst = std::max(worst, std::fabs(double(back) - x) / std::max(std::fabs(double(x)), 1e-3));
        }
        CHECK(worst <= (dt == DType::BF16 ? 1.0 / 256 : 1.0 / 2048 + 1e-3));
      }
    }
  }
}

TEST_CASE("convert: sharded and bare-encoder checkpoints give the same tensors", "[weights][convert]") {
  bte::test::TempDir dir;
  const BteFile one = BteFile::open(convert(bte::test::data_path("golden/tiny"), dir / "one.bte"));
  const BteFile sh = BteFile::open(convert(bte::test::data_path("golden/tiny_sharded"), dir / "sh.bte"));
  REQUIRE(sh.tensors().size() == one.tensors().size());
  for (const auto& t : one.tensors()) {
    INFO(t.name);
    CHECK(bytes_of(sh.tensor(t.name)) == bytes_of(t));
  }
  CHECK(sh.config().labels == one.config().labels);

  const BteFile enc = BteFile::open(convert(bte::test::data_path("golden/tiny_encoder"), dir / "enc.bte"));
  CHECK(enc.config().architecture == "XLMRobertaModel");
  CHECK(enc.config().num_labels == 0);
  CHECK(enc.config().labels.empty());
  CHECK(enc.find("head.dense.weight") == nullptr);
  CHECK(enc.tensors().size() == one.tensors().size() - 4);
  for (const auto& t : enc.tensors()) CHECK(bytes_of(one.tensor(t.name)) == bytes_of(t));
}

TEST_CASE("convert: --num-labels gives a bare encoder a seeded random head, marked as such",
          "[weights][convert]") {
  bte::test::TempDir dir;
  const std::string hf = bte::test::data_path("golden/tiny_encoder");
  const BteFile a = BteFile::open(convert(hf, dir / "a.bte", DType::F32, 5, 7));
  const BteFile b = BteFile::open(convert(hf, dir / "b.bte", DType::F32, 5, 7));
  const BteFile c = BteFile::open(convert(hf, dir / "c.bte", DType::F32, 5, 8));
  CHECK(a.config().head_is_random);
  CHECK(a.config().head_seed == 7);
  CHECK(a.config().num_labels == 5);
  CHECK(a.config().labels == std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3", "LABEL_4"});
  CHECK(a.tensor("head.out.weight").shape == std::vector<int64_t>{5, 64});
  CHECK(bytes_of(a.tensor("head.dense.weight")) == bytes_of(b.tensor("head.dense.weight")));
  CHECK(bytes_of(a.tensor("head.dense.weight")) != bytes_of(c.tensor("head.dense.weight")));
  CHECK(bytes_of(a.tensor("head.dense.weight")) != bytes_of(a.tensor("head.out.weight")).substr(0, 1));
  // N(0, 0.02²) weights, zero biases.
  const auto& w = a.tensor("head.dense.weight");
  const float* p = static_cast<const float*>(w.data);
  double s = 0, s2 = 0;
  const size_t n = w.bytes / 4;
  for (size_t i = 0; i < n; ++i) s += p[i], s2 += double(p[i]) * p[i];
  CHECK(std::fabs(s / n) < 0.002);
  CHECK(std::sqrt(s2 / n) == Approx(0.02).epsilon(0.05));
  const auto& bias = a.tensor("head.out.bias");
  CHECK(bytes_of(bias) == std::string(bias.bytes, '\0'));
  // The head's values are platform-independent: pinned.
  const auto v = random_head_values(7, 1, 3);
  CHECK(v[0] == p[0]);
  CHECK(v[0] == Approx(0.0113999).margin(1e-7));  // from a Python re-implementation
  CHECK(v[1] == Approx(-0.0255105).margin(1e-7));
}

TEST_CASE("convert: bad checkpoints are refused naming the tensor or field and the file",
          "[weights][convert][corrupt]") {
  bte::test::TempDir dir;
  auto fails = [&](const std::string& hf, ErrorKind kind = ErrorKind::BadModel, int num_labels = 0) {
    try {
      convert(hf, dir / "out.bte", DType::F32, num_labels);
    } catch (const Error& e) {
      CHECK(e.kind() == kind);
      CHECK_FALSE(fs::exists(dir / "out.bte"));
      CHECK_FALSE(fs::exists(dir / "out.bte.partial"));
      throw;
    }
  };
  SECTION("not a directory / no such directory") {
    CHECK_THROWS_WITH(fails(dir / "absent", ErrorKind::BadInput), Contains("no such directory"));
    bte::test::write_bytes(dir / "file", "x");
    CHECK_THROWS_WITH(fails(dir / "file", ErrorKind::BadInput), Contains("is not a directory"));
  }
  SECTION("pickled checkpoints are refused with instructions") {
    const std::string hf = copy_ckpt(dir, "tiny");
    fs::remove(hf + "/model.safetensors");
    bte::test::write_bytes(hf + "/pytorch_model.bin", "PK...");
    CHECK_THROWS_WITH(fails(hf), Contains("pytorch_model.bin") && Contains("can run code") &&
                                     Contains("safe_serialization=True"));
    fs::remove(hf + "/pytorch_model.bin");
    CHECK_THROWS_WITH(fails(hf), Contains("no model.safetensors or model.safetensors.index.json"));
  }
  SECTION("config.json") {
    const std::string hf = copy_ckpt(dir, "tiny");
    fs::rename(hf + "/config.json", hf + "/c.json");
    CHECK_THROWS_WITH(fails(hf), Contains("no config.json"));
    fs::rename(hf + "/c.json", hf + "/config.json");
    edit_config(hf, [](auto& j) { j["model_type"] = "gpt2"; });
    CHECK_THROWS_WITH(fails(hf), Contains("config.json") && Contains("unsupported model_type \"gpt2\"") &&
                                     Contains("\"bert\"") && Contains("\"distilbert\""));
    // A family's model_type with another family's architecture.
    edit_config(hf, [](auto& j) { j["model_type"] = "bert"; });
    CHECK_THROWS_WITH(fails(hf), Contains("unsupported architecture \"XLMRobertaForSequenceClassification\"") &&
                                     Contains("BertForSequenceClassification"));
    edit_config(hf, [](auto& j) { j["model_type"] = "xlm-roberta"; j["architectures"] = {"XLMRobertaForQuestionAnswering"}; });
    CHECK_THROWS_WITH(fails(hf), Contains("unsupported architecture \"XLMRobertaForQuestionAnswering\""));
    // A token classifier without its head tensors.
    edit_config(hf, [](auto& j) { j["architectures"] = {"XLMRobertaForTokenClassification"}; });
    CHECK_THROWS_WITH(fails(hf), Contains("says XLMRobertaForTokenClassification") &&
                                     Contains("no classifier head tensors (classifier.weight"));
    edit_config(hf, [](auto& j) { j["architectures"] = {"XLMRobertaForSequenceClassification"}; j["hidden_act"] = "gelu_new"; });
    CHECK_THROWS_WITH(fails(hf), Contains("hidden_act \"gelu_new\" is not supported"));
    edit_config(hf, [](auto& j) { j["hidden_act"] = "gelu"; j["num_attention_heads"] = 5; });
    CHECK_THROWS_WITH(fails(hf), Contains("config.json") && Contains("'heads' (5) does not divide 'hidden' (64)"));
    edit_config(hf, [](auto& j) { j["num_attention_heads"] = 4; j["hidden_size"] = "64"; });
    CHECK_THROWS_WITH(fails(hf), Contains("config.json field 'hidden_size' must be an integer"));
    edit_config(hf, [](auto& j) { j["hidden_size"] = 32; });
    CHECK_THROWS_WITH(fails(hf), Contains("model.safetensors") &&
                                     Contains("tensor 'roberta.embeddings.word_embeddings.weight' has shape "
                                              "[1002, 64] but config.json implies [1002, 32]"));
    edit_config(hf, [](auto& j) { j["hidden_size"] = 64; j["num_hidden_layers"] = 3; });
    CHECK_THROWS_WITH(fails(hf), Contains("tensor 'encoder.layer.2.attention.self.query.weight'") &&
                                     Contains("is missing"));
    edit_config(hf, [](auto& j) { j["num_hidden_layers"] = 1; });
    CHECK_THROWS_WITH(fails(hf), Contains("unknown tensors 'roberta.encoder.layer.1."));
    edit_config(hf, [](auto& j) { j["num_hidden_layers"] = 2; j["pad_token_id"] = 0; });
    CHECK_THROWS_WITH(fails(hf), Contains("pad_token_id is 0"));
    edit_config(hf, [](auto& j) { j["pad_token_id"] = 1; j["id2label"] = {{"0", "a"}, {"1", "b"}}; });
    CHECK_THROWS_WITH(fails(hf), Contains("id2label has 2 entries but classifier.out_proj.weight has 3 rows"));
  }
  SECTION("tensors: unknown, missing, unsupported dtype; other dtypes convert") {
    const std::string hf = copy_ckpt(dir, "tiny");
    edit_weights(hf, [](auto& ts) { ts.push_back({"roberta.encoder.extra", "F32", {1}, std::string(4, '\0')}); });
    CHECK_THROWS_WITH(fails(hf), Contains("model.safetensors") && Contains("unknown tensor 'roberta.encoder.extra'"));
    edit_weights(hf, [](auto& ts) {
      std::erase_if(ts, [](auto& t) {
        return t.name == "roberta.encoder.extra" || t.name == "roberta.encoder.layer.1.output.dense.bias";
      });
    });
    CHECK_THROWS_WITH(fails(hf), Contains("tensor 'encoder.layer.1.output.dense.bias'") &&
                                     Contains("is missing"));
    fs::remove(hf + "/model.safetensors");
    fs::copy_file(bte::test::data_path("golden/tiny/model.safetensors"), hf + "/model.safetensors");
    edit_weights(hf, [](auto& ts) {
      for (auto& t : ts)
        if (t.name == "roberta.encoder.layer.0.intermediate.dense.bias") {
          t.dtype = "F64";
          t.bytes += t.bytes;
        }
    });
    CHECK_THROWS_WITH(fails(hf), Contains("tensor 'roberta.encoder.layer.0.intermediate.dense.bias' has dtype F64"));
    // An fp16 checkpoint converts, to fp32 values that are exactly the fp16 ones.
    edit_weights(hf, [](auto& ts) {
      for (auto& t : ts) {
        if (t.dtype == "F64") t.bytes.resize(t.bytes.size() / 2), t.dtype = "F32";
        std::string h;
        for (size_t i = 0; i < t.bytes.size(); i += 4) {
          float x;
          std::memcpy(&x, t.bytes.data() + i, 4);
          const uint16_t b = float_to_fp16(x);
          h.append(reinterpret_cast<const char*>(&b), 2);
        }
        t.bytes = h, t.dtype = "F16";
      }
    });
    const BteFile f = BteFile::open(convert(hf, dir / "from16.bte"));
    const auto& g = f.tensor("embeddings.ln.gamma");
    const float* p = static_cast<const float*>(g.data);
    const auto src = bte::test::read_safetensors(hf + "/model.safetensors");
    for (const auto& t : src)
      if (t.name == "roberta.embeddings.LayerNorm.weight") {
        uint16_t h;
        std::memcpy(&h, t.bytes.data() + 2 * 5, 2);
        CHECK(p[5] == fp16_to_float(h));
      }
  }
  SECTION("head: classifier config without classifier tensors; --num-labels on a trained head") {
    const std::string hf = copy_ckpt(dir, "tiny");
    CHECK_THROWS_WITH(fails(hf, ErrorKind::BadInput, 2), Contains("trained classifier head"));
    edit_weights(hf, [](auto& ts) {
      std::erase_if(ts, [](auto& t) { return t.name.rfind("classifier.", 0) == 0; });
    });
    CHECK_THROWS_WITH(fails(hf), Contains("says XLMRobertaForSequenceClassification but the checkpoint has no classifier"));
  }
  SECTION("tokenizer: missing, or not the one the vocabulary was made for") {
    const std::string hf = copy_ckpt(dir, "tiny");
    fs::remove(hf + "/sentencepiece.bpe.model");
    CHECK_THROWS_WITH(fails(hf), Contains("no sentencepiece.bpe.model"));
    bte::test::write_bytes(hf + "/sentencepiece.bpe.model", "not a sentencepiece model");
    CHECK_THROWS_AS(fails(hf), Error);
    fs::copy_file(bte::test::data_path("spm/unigram.model"), hf + "/sentencepiece.bpe.model",
                  fs::copy_options::overwrite_existing);
    // A model whose embedding table is one row short of the tokenizer's ids.
    edit_config(hf, [](auto& j) { j["vocab_size"] = 1001; });
    edit_weights(hf, [](auto& ts) {
      for (auto& t : ts)
        if (t.name == "roberta.embeddings.word_embeddings.weight")
          t.shape[0] = 1001, t.bytes.resize(t.bytes.size() - 64 * 4);
    });
    CHECK_THROWS_WITH(fails(hf), Contains("sentencepiece.bpe.model: the sentencepiece model implies a vocabulary of 1002") &&
                                     Contains("vocab_size 1001"));
  }
  SECTION("sharded index: a bad shard name, a missing shard, a tensor in the wrong shard") {
    const std::string hf = copy_ckpt(dir, "tiny_sharded");
    const std::string index = hf + "/model.safetensors.index.json";
    auto j = nlohmann::json::parse(bte::test::read_file(index));
    auto bad = j;
    bad["weight_map"]["classifier.dense.bias"] = "../model-00002-of-00002.safetensors";
    bte::test::write_bytes(index, bad.dump());
    CHECK_THROWS_WITH(fails(hf), Contains("shards must be plain file names"));
    bad = j;
    bad["weight_map"]["classifier.dense.bias"] = "model-00001-of-00002.safetensors";
    bte::test::write_bytes(index, bad.dump());
    CHECK_THROWS_WITH(fails(hf), Contains("model-00001-of-00002.safetensors: tensor 'classifier.dense.bias' is not in this shard"));
    bad = j;
    bad["weight_map"].erase("classifier.dense.bias");
    bte::test::write_bytes(index, bad.dump());
    CHECK_THROWS_WITH(fails(hf), Contains("tensor 'classifier.dense.bias' is not listed for this shard"));
    bte::test::write_bytes(index, j.dump());
    fs::remove(hf + "/model-00002-of-00002.safetensors");
    CHECK_THROWS_WITH(fails(hf), Contains("model-00002-of-00002.safetensors: cannot open"));
  }
}
