// An int8 .bte (`bte convert --dtype int8`, docs/FORMAT.md "int8 files"):
// what the converter writes is checked against the reference quantisation
// of the checkpoint's own floats (read with the tests' independent
// safetensors reader); what the engine computes from it against PyTorch's
// golden outputs (the int8 bounds of tests/test_int8.cpp); a tampered file
// (a NaN or negative scale, a -128) is refused at load, naming the tensor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "base/check.h"
#include "base/dtype.h"
#include "engine/engine.h"
#include "kernels/cpu/linear_int8.h"
#include "kernels/reference/quantize.h"
#include "tests/golden.h"
#include "tests/test_util.h"
#include "tests/test_weights_util.h"
#include "weights/bte_file.h"
#include "weights/checksum.h"

using namespace bte;
using namespace bte::test;
using Catch::Contains;

namespace {

constexpr double kLogitTol = 5e-2, kMinCosine = 0.99;

std::string int8_file(const std::string& checkpoint) {
  return convert_checkpoint(data_path(checkpoint), "--dtype int8");
}

std::vector<float> st_floats(const StTensor& t) {
  REQUIRE(t.dtype == "F32");
  std::vector<float> v(t.bytes.size() / 4);
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

double cosine(const float* a, const float* b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return ab / std::sqrt(aa * bb);
}

// The file's bytes with tensor `name`'s data changed by `edit` and its
// checksum (and the header's) recomputed, so the load gets past them.
std::string tampered(const std::string& path, const std::string& name,
                     const std::function<void(char*, size_t)>& edit) {
  std::string img = read_file(path);
  const nlohmann::json h = header_of(img);
  for (const auto& t : h.at("tensors")) {
    if (t.at("name") != name) continue;
    const size_t off = t.at("offset"), n = t.at("bytes");
    edit(&img[off], n);
    const std::string sum = checksum_hex(checksum64(&img[off], n));
    return edit_header(img, [&](nlohmann::json& j) {
      for (auto& e : j.at("tensors"))
        if (e.at("name") == name) e["checksum"] = sum;
    });
  }
  FAIL("no tensor " << name);
  return {};
}

}  // namespace

TEST_CASE("int8 file: each layer weight is the reference per-row quantisation of the "
          "checkpoint's; scales beside it, embeddings and head bf16",
          "[weights][int8]") {
  const std::string dir = data_path("golden/tiny");
  const BteFile f = BteFile::open(int8_file("golden/tiny"));
  CHECK(f.dtype() == DType::I8);
  std::map<std::string, std::vector<float>> src;
  for (const StTensor& t : read_safetensors(dir + "/model.safetensors")) src[t.name] = st_floats(t);
  const std::string L = "roberta.encoder.layer.";
  const int layers = f.config().layers;
  for (int i = 0; i < layers; ++i) {
    const std::string h = L + std::to_string(i) + ".";
    const std::string a = h + "attention.self.";
    std::vector<float> qkv = src.at(a + "query.weight");
    for (const char* part : {"key.weight", "value.weight"})
      qkv.insert(qkv.end(), src.at(a + part).begin(), src.at(a + part).end());
    const std::pair<std::string, std::vector<float>> weights[] = {
        {"attn.qkv.weight", qkv},
        {"attn.out.weight", src.at(h + "attention.output.dense.weight")},
        {"ffn.up.weight", src.at(h + "intermediate.dense.weight")},
        {"ffn.down.weight", src.at(h + "output.dense.weight")}};
    for (const auto& [suffix, W] : weights) {
      const std::string name = "layers." + std::to_string(i) + "." + suffix;
      INFO(name);
      const BteFile::Tensor& q = f.tensor(name);
      const BteFile::Tensor& s = f.tensor(name + ".scale");
      REQUIRE(q.dtype == DType::I8);
      REQUIRE(s.dtype == DType::F32);
      const int64_t N = q.shape[0], K = q.shape[1];
      REQUIRE(int64_t(W.size()) == N * K);
      REQUIRE(s.shape == std::vector<int64_t>{N});
      std::vector<int8_t> want_q(N * K);
      std::vector<float> want_s(N);
      ref::quantize_rows_s8(W.data(), N, int(K), 127, want_q.data(), want_s.data());
      CHECK(std::memcmp(q.data, want_q.data(), N * K) == 0);
      CHECK(std::memcmp(s.data, want_s.data(), N * 4) == 0);
    }
  }
  // The tables and the head: bf16 of the checkpoint's floats (round to nearest even).
  for (const auto& [name, hf] :
       {std::pair<std::string, std::string>{"embeddings.word", "roberta.embeddings.word_embeddings.weight"},
        {"head.dense.weight", "classifier.dense.weight"},
        {"head.out.weight", "classifier.out_proj.weight"}}) {
    INFO(name);
    const BteFile::Tensor& t = f.tensor(name);
    REQUIRE(t.dtype == DType::BF16);
    const std::vector<float>& want = src.at(hf);
    REQUIRE(t.bytes == want.size() * 2);
    const auto* got = static_cast<const uint16_t*>(t.data);
    size_t differ = 0;
    for (size_t k = 0; k < want.size(); ++k) differ += got[k] != float_to_bf16(want[k]);
    CHECK(differ == 0);
  }
  CHECK(f.tensor("layers.0.attn.qkv.bias").dtype == DType::F32);
}

TEST_CASE("int8 file: runs near PyTorch's fp32 in int8 (the default on the CPU) and in fp32 "
          "from its widened weights",
          "[engine][int8][fallback]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  std::vector<std::string> texts;
  for (const auto& c : g.cases) texts.push_back(c.text);
  RunRequest req;
  req.outputs.logits = req.outputs.mean = true;
  const int C = g.num_labels, d = g.hidden;
  for (DType dt : {DType::I8, DType::F32}) {
    EngineOptions o;
    o.dtype = dt;
    auto engine = Engine::load(int8_file("golden/tiny"), o);
    for (Mode mode : {Mode::Packed, Mode::Reference}) {
      if (dt == DType::F32 && mode == Mode::Reference) continue;  // the same weights as I8's reference
      INFO(dtype_name(dt) << ", " << mode_name(mode) << ": " << engine->describe(mode));
      const bool int8_path = engine->describe(mode).find("fused int8") != std::string::npos;
      CHECK(int8_path == (dt == DType::I8 && mode != Mode::Reference));
      const RunOutputs out = engine->run(engine->encode(texts), mode, req);
      // int8 packed ran on the stored rows: nothing was widened to fp32 for it.
      CHECK((engine->weights().layers[0].qkv_w == nullptr) == (dt == DType::I8 && mode == Mode::Packed));
      double worst = 0, worst_cos = 1;
      for (size_t i = 0; i < g.cases.size(); ++i) {
        for (int c = 0; c < C; ++c)
          worst = std::max(worst, std::fabs(double(out.logits[i * C + c]) - g.cases[i].logits[c]));
        worst_cos = std::min(worst_cos, cosine(&out.mean[i * d], g.cases[i].mean.data(), d));
      }
      INFO("max |logit - PyTorch fp32| " << worst << ", min cosine " << worst_cos);
      CHECK(worst <= kLogitTol);
      CHECK(worst > 1e-4);  // int8 weights: never fp32's 1e-6
      CHECK(worst_cos >= kMinCosine);
    }
  }
  // The CLI picks int8 for an int8 file unless told otherwise.
  const std::string cmd = bte_binary() + " classify -m " + shell_quote(int8_file("golden/tiny")) +
                          " 'Hello world' --verbose";
  auto r = run_command(cmd);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("cpu fused int8"));
  r = run_command(cmd + " --dtype fp32");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("cpu fused fp32"));
  r = run_command(bte_binary() + " info " + shell_quote(int8_file("golden/tiny")));
  CHECK_THAT(r.out, Contains("int8 (the layers' linear weights"));
}

TEST_CASE("int8 file: BTE_INT8_KEEP_FP32 (which needs float weights) is refused by name",
          "[engine][int8]") {
  struct Env {  // unset however the case ends
    Env() { ::setenv("BTE_INT8_KEEP_FP32", "up", 1); }
    ~Env() { ::unsetenv("BTE_INT8_KEEP_FP32"); }
  } env;
  EngineOptions o;
  o.dtype = DType::I8;
  auto engine = Engine::load(int8_file("golden/tiny"), o);
  try {
    engine->prepare(Mode::Packed);  // the backend reads the switch when it is built
    FAIL("kept an fp32 GEMM without fp32 weights");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Unsupported);
    CHECK_THAT(e.what(), Contains("BTE_INT8_KEEP_FP32=up needs a float .bte"));
  }
}

TEST_CASE("int8 file: LinearInt8 from stored rows equals the reference on the rows it uses",
          "[kernels][int8][fallback]") {
  const int wmax = cpu::int8_weight_max();
  for (auto [M, N, K] : {std::tuple{5, 48, 64}, {130, 96, 200}}) {
    auto x = random_floats(int64_t(M) * K, 11 + M, -2, 2);
    auto W = random_floats(int64_t(N) * K, 12 + N, -0.1f, 0.1f);
    auto b = random_floats(N, 13);
    std::vector<int8_t> fq(size_t(N) * K), wq(size_t(N) * K), xq(size_t(M) * K);
    std::vector<float> fs(N), ws(N), xs(M);
    ref::quantize_rows_s8(W.data(), N, K, 127, fq.data(), fs.data());  // as a file holds them
    // What the kernel multiplies: the file's rows, or without VNNI the
    // 7-bit quantisation of the values they stand for.
    std::vector<float> stood(size_t(N) * K);
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < K; ++k) stood[size_t(n) * K + k] = float(fq[size_t(n) * K + k]) * fs[n];
    if (wmax == 127) wq = fq, ws = fs;
    else ref::quantize_rows_s8(stood.data(), N, K, wmax, wq.data(), ws.data());
    ref::quantize_rows_s8(x.data(), M, K, 127, xq.data(), xs.data());
    std::vector<int32_t> sums(size_t(M) * N);
    ref::matmul_s8_nt(xq.data(), M, K, wq.data(), N, sums.data());
    std::vector<float> want(size_t(M) * N), got(size_t(M) * N);
    ref::dequantize_rows(sums.data(), M, N, xs.data(), ws.data(), b.data(), false, want.data());
    cpu::LinearInt8 lin(fq.data(), fs.data(), b.data(), N, K, cpu::Epilogue::None);
    std::vector<int32_t> acc(lin.acc_ints(M));
    lin.forward(xq.data(), xs.data(), M, got.data(), acc.data());
    const Diff dd = compare(got.data(), want.data(), int64_t(M) * N, 1.0);
    INFO("M=" << M << " N=" << N << " K=" << K << ", weights in [-" << wmax << ", " << wmax
              << "]: " << dd.describe());
    CHECK(dd.max_rel <= 1e-6);
  }
  // Rows a file must not hold.
  auto W = random_floats(16 * 8, 3);
  std::vector<int8_t> q(16 * 8);
  std::vector<float> s(16);
  ref::quantize_rows_s8(W.data(), 16, 8, 127, q.data(), s.data());
  auto refuses = [&](const char* what) {
    try {
      cpu::LinearInt8(q.data(), s.data(), nullptr, 16, 8, cpu::Epilogue::None);
      FAIL("accepted " << what);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadModel);
      return std::string(e.what());
    }
    return std::string();
  };
  q[9] = -128;
  CHECK_THAT(refuses("-128"), Contains("holds -128 at flat index 9"));
  q[9] = 0;
  s[3] = NAN;
  CHECK_THAT(refuses("a NaN scale"), Contains("scale 3"));
  s[3] = -0.5f;
  CHECK_THAT(refuses("a negative scale"), Contains("finite number >= 0"));
  s[3] = 3e37f;
  CHECK_THAT(refuses("a scale 127 x which overflows"), Contains("127 times stays finite"));
}

TEST_CASE("int8 file: a NaN or negative scale or a -128 weight is refused at load, named",
          "[weights][int8][corrupt]") {
  TempDir dir;
  const std::string good = int8_file("golden/tiny");
  const std::string scale = "layers.1.ffn.up.weight.scale", weight = "layers.0.attn.out.weight";
  const struct {
    const char* what;
    std::string name;
    std::function<void(char*, size_t)> edit;
    const char* message;
  } cases[] = {
      {"NaN scale", scale,
       [](char* p, size_t) { const float v = NAN; std::memcpy(p + 4 * 5, &v, 4); },
       "holds nan at index 5"},
      {"negative scale", scale,
       [](char* p, size_t) { const float v = -1.f; std::memcpy(p, &v, 4); },
       "a scale is a finite number >= 0"},
      {"huge scale", scale,  // finite, but 127 x it is not
       [](char* p, size_t) { const float v = 1e38f; std::memcpy(p + 8, &v, 4); },
       "that 127 times stays finite"},
      {"-128", weight, [](char* p, size_t) { p[100] = char(-128); }, "holds -128 at flat index 100"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string path = dir / "bad.bte";
    write_bytes(path, tampered(good, c.name, c.edit));
    for (DType dt : {DType::I8, DType::F32}) {
      EngineOptions o;
      o.dtype = dt;
      try {
        Engine::load(path, o);
        FAIL("loaded a file with a " << c.what);
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::BadModel);
        CHECK_THAT(e.what(), Contains(c.name) && Contains(c.message) && Contains("bad.bte"));
      }
    }
    const auto r = run_command(bte_binary() + " embed -m " + shell_quote(path) + " 'a text'");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(c.name));
  }
}
