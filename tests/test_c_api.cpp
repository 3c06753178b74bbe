// The C API: results equal the engine's golden outputs, every misuse is a
// status with a message (never a crash), and an installed bte is found by
// find_package(bte) from a separate CMake project. (Concurrent calls:
// tests/concurrency/test_c_api_concurrency.cpp, a binary of its own.)
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <thread>

#include "bte/bte.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "tests/c_api_model.h"
#include "tests/golden.h"
#include "tests/test_util.h"

using namespace bte::test;

extern "C" int bte_test_from_c(const char* model_path, char* msg, size_t cap);

namespace {


}  // namespace

TEST_CASE("C API: from a C translation unit", "[capi]") {
  char msg[512];
  const int rc = bte_test_from_c(tiny_model().c_str(), msg, sizeof msg);
  INFO(msg);
  CHECK(rc == 0);
}

TEST_CASE("C API: embeddings, probabilities and token states match PyTorch", "[capi]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  Model model(tiny_model());
  const int d = bte_model_hidden_size(model.m), C = bte_model_num_labels(model.m);
  REQUIRE(d == g.hidden);
  REQUIRE(C == g.num_labels);
  for (int c = 0; c < C; ++c) CHECK(std::string(bte_model_label(model.m, c)) == g.labels[c]);
  CHECK(bte_model_label(model.m, C) == nullptr);
  CHECK(bte_model_max_tokens(model.m) == 64);

  std::vector<const char*> texts;
  for (const auto& c : g.cases) texts.push_back(c.text.c_str());
  const size_t n = texts.size();
  std::vector<float> emb(n * d), probs(n * C);
  REQUIRE(bte_embed(model.m, texts.data(), n, BTE_POOLING_CLS, 0, emb.data(), emb.size()) == BTE_OK);
  REQUIRE(bte_classify(model.m, texts.data(), n, probs.data(), probs.size()) == BTE_OK);
  for (size_t i = 0; i < n; ++i) {
    INFO("case " << i);
    CHECK(compare(&emb[i * d], g.cases[i].cls.data(), d, 1.0).max_rel <= 1e-4);
    CHECK(compare(&probs[i * C], g.cases[i].probs.data(), C).max_abs <= 1e-4);
  }
  REQUIRE(bte_embed(model.m, texts.data(), n, BTE_POOLING_MEAN, 1, emb.data(), emb.size()) == BTE_OK);
  for (size_t i = 0; i < n; ++i) CHECK(compare(&emb[i * d], g.cases[i].mean_l2.data(), d, 1.0).max_rel <= 1e-4);

  size_t total = 0;
  REQUIRE(bte_count_tokens(model.m, texts.data(), n, &total) == BTE_OK);
  size_t expect_total = 0;
  for (const auto& c : g.cases) expect_total += c.ids.size();
  CHECK(total == expect_total);
  std::vector<float> tokens(total * d);
  std::vector<size_t> offsets(n + 1);
  REQUIRE(bte_embed_tokens(model.m, texts.data(), n, tokens.data(), tokens.size(), offsets.data()) == BTE_OK);
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(offsets[i + 1] - offsets[i] == g.cases[i].ids.size());
    CHECK(compare(&tokens[offsets[i] * d], g.cases[i].hidden.data(),
                  int64_t(g.cases[i].hidden.size()), 1.0).max_rel <= 1e-4);
  }
}

TEST_CASE("C API: token ids equal PyTorch's; the model says what it is", "[capi]") {
  const Golden g = load_golden(data_path("golden/tiny/expected.json"));
  Model model(tiny_model());
  CHECK(std::string(bte_model_architecture(model.m)) == "XLMRobertaForSequenceClassification");
  CHECK(std::string(bte_model_family(model.m)) == "xlm-roberta");
  CHECK(std::string(bte_model_describe(model.m)).find("packed") != std::string::npos);
  CHECK(bte_model_architecture(nullptr) == nullptr);
  std::vector<const char*> texts;
  for (const auto& c : g.cases) texts.push_back(c.text.c_str());
  size_t total = 0;
  REQUIRE(bte_count_tokens(model.m, texts.data(), texts.size(), &total) == BTE_OK);
  std::vector<int> ids(total);
  std::vector<size_t> offsets(texts.size() + 1);
  REQUIRE(bte_tokenize(model.m, texts.data(), texts.size(), ids.data(), ids.size(), offsets.data()) == BTE_OK);
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO("case " << i);
    CHECK(std::vector<int32_t>(ids.begin() + long(offsets[i]), ids.begin() + long(offsets[i + 1])) ==
          g.cases[i].ids);
  }
  CHECK(bte_tokenize(model.m, texts.data(), texts.size(), ids.data(), total - 1, offsets.data()) ==
        BTE_ERROR_CAPACITY);
  CHECK(bte_tokenize(model.m, texts.data(), texts.size(), nullptr, total, offsets.data()) ==
        BTE_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("C API: misuse and bad input are statuses with messages", "[capi]") {
  bte_model* m = nullptr;
  CHECK(bte_model_load(nullptr, nullptr, &m) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_model_load("x", nullptr, nullptr) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_model_load("/nonexistent/model.bte", nullptr, &m) == BTE_ERROR_BAD_MODEL);
  CHECK(m == nullptr);
  CHECK_THAT(bte_last_error(), Catch::Contains("/nonexistent/model.bte"));
  bte_model_options o = bte_model_default_options();
  o.device = BTE_DEVICE_CUDA;
  if (bte::cuda::device_count() == 0) {  // without a GPU: refused with a message naming the field
    // A build without CUDA cannot run it at all; a CUDA build finds no GPU.
    CHECK(bte_model_load(tiny_model().c_str(), &o, &m) ==
          (bte::cuda::built_with_cuda() ? BTE_ERROR_DEVICE : BTE_ERROR_UNSUPPORTED));
    CHECK_THAT(bte_last_error(), Catch::Contains("options.device = BTE_DEVICE_CUDA"));
    CHECK_THAT(bte_last_error(), !Catch::Contains("--"));
  } else {
    REQUIRE(bte_model_load(tiny_model().c_str(), &o, &m) == BTE_OK);
    bte_model_free(m);
    m = nullptr;
  }
  o = bte_model_default_options();
  o.mode = bte_mode(42);
  CHECK(bte_model_load(tiny_model().c_str(), &o, &m) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(bte_status_string(BTE_ERROR_CAPACITY)) == "output buffer too small");

  Model model(tiny_model());
  const int d = bte_model_hidden_size(model.m);
  std::vector<float> out(4 * d);
  const char* ok[] = {"fine", ""};
  CHECK(bte_embed(model.m, ok, 2, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_OK);  // empty text is fine
  CHECK(bte_embed(nullptr, ok, 2, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_embed(model.m, nullptr, 2, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_embed(model.m, ok, 0, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("no texts"));
  CHECK(bte_embed(model.m, ok, 2, BTE_POOLING_CLS, 0, nullptr, out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK(bte_embed(model.m, ok, 2, bte_pooling(7), 0, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  const std::vector<float> before = out;
  CHECK(bte_embed(model.m, ok, 2, BTE_POOLING_CLS, 0, out.data(), size_t(d)) == BTE_ERROR_CAPACITY);
  CHECK(out == before);  // nothing written on failure
  const char* null_text[] = {"a", nullptr};
  CHECK(bte_embed(model.m, null_text, 2, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("texts[1]"));
  const char* bad_utf8[] = {"ok", "bad \xC3\x28"};
  CHECK(bte_embed(model.m, bad_utf8, 2, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_ERROR_BAD_INPUT);
  CHECK_THAT(bte_last_error(), Catch::Contains("text 1") && Catch::Contains("invalid UTF-8"));
  const std::string mega(1 << 20, 'a');
  const char* big[] = {mega.c_str()};
  CHECK(bte_embed(model.m, big, 1, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_OK);  // truncated
  std::vector<float> probs(3);
  CHECK(bte_classify(model.m, ok, 2, probs.data(), probs.size()) == BTE_ERROR_CAPACITY);

  o = bte_model_default_options();
  o.truncate = 0;
  Model strict(tiny_model(), o);
  CHECK(bte_embed(strict.m, big, 1, BTE_POOLING_CLS, 0, out.data(), out.size()) == BTE_ERROR_BAD_INPUT);
  CHECK_THAT(bte_last_error(), Catch::Contains("at most 64"));

  Model encoder(convert_checkpoint(data_path("golden/tiny_encoder")));
  CHECK(bte_model_num_labels(encoder.m) == 0);
  CHECK(bte_classify(encoder.m, ok, 2, probs.data(), 100) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("no classification head"));
}

TEST_CASE("C API: absurd options and arguments are refused with the field's name, never a crash", "[capi]") {
  bte_model* m = nullptr;
  const auto load = [&](bte_model_options o) {
    m = reinterpret_cast<bte_model*>(0x1);  // must be reset to NULL on failure
    const bte_status s = bte_model_load(tiny_model().c_str(), &o, &m);
    if (s != BTE_OK) CHECK(m == nullptr);
    if (s == BTE_OK) bte_model_free(m), m = nullptr;
    return s;
  };
  struct Case {
    const char* field;
    void (*set)(bte_model_options&);
  };
  const Case absurd[] = {
      {"options.threads", [](bte_model_options& o) { o.threads = 100000; }},
      {"options.threads", [](bte_model_options& o) { o.threads = -1; }},
      {"options.threads", [](bte_model_options& o) { o.threads = 2147483647; }},
      {"options.max_batch_tokens", [](bte_model_options& o) { o.max_batch_tokens = -5; }},
      {"options.max_batch_tokens", [](bte_model_options& o) { o.max_batch_tokens = 2147483647; }},
      {"options.truncate", [](bte_model_options& o) { o.truncate = 7; }},
      {"options.truncate", [](bte_model_options& o) { o.truncate = -1; }},
      {"options.device", [](bte_model_options& o) { o.device = bte_device(-3); }},
      {"options.dtype", [](bte_model_options& o) { o.dtype = bte_dtype(99); }},
      {"options.mode", [](bte_model_options& o) { o.mode = bte_mode(42); }},
  };
  for (const Case& c : absurd) {
    bte_model_options o = bte_model_default_options();
    c.set(o);
    INFO(c.field);
    CHECK(load(o) == BTE_ERROR_INVALID_ARGUMENT);
    CHECK_THAT(bte_last_error(), Catch::Contains(c.field));
  }
  // The largest values inside the limits load.
  bte_model_options edge = bte_model_default_options();
  edge.max_batch_tokens = BTE_MAX_BATCH_TOKENS;
  CHECK(load(edge) == BTE_OK);
  edge = bte_model_default_options();
  edge.threads = 64;  // far more than this machine's cores: still fine
  CHECK(load(edge) == BTE_OK);

  // A valid option this CPU cannot run is its own status, named by field.
  bte_model_options fp16 = bte_model_default_options();
  fp16.dtype = BTE_DTYPE_FP16;
  CHECK(load(fp16) == BTE_ERROR_UNSUPPORTED);
  CHECK_THAT(bte_last_error(), Catch::Contains("options.dtype = BTE_DTYPE_FP16") &&
                                   Catch::Contains("fp16 is a GPU precision") && !Catch::Contains("--"));
  CHECK(std::string(bte_status_string(BTE_ERROR_UNSUPPORTED)) == "not supported on this device");
  // int8 runs on every CPU; on CUDA it is refused, named by field.
  bte_model_options int8 = bte_model_default_options();
  int8.dtype = BTE_DTYPE_INT8;
  CHECK(load(int8) == BTE_OK);
  int8.device = BTE_DEVICE_CUDA;
  CHECK(load(int8) == BTE_ERROR_UNSUPPORTED);
  CHECK_THAT(bte_last_error(), Catch::Contains("options.dtype = BTE_DTYPE_INT8") &&
                                   Catch::Contains("int8 runs on the CPU only"));
  {
    // BTE_DTYPE_AUTO (the default): fp32 for a float file, int8 for an int8 .bte on the CPU.
    CHECK(bte_model_default_options().dtype == BTE_DTYPE_AUTO);
    const std::string int8_file = convert_checkpoint(data_path("golden/tiny"), "--dtype int8");
    const auto dtype_of = [](const std::string& path, bte_dtype asked) {
      bte_model_options o = bte_model_default_options();
      o.dtype = asked;
      bte_model* mm = nullptr;
      REQUIRE(bte_model_load(path.c_str(), &o, &mm) == BTE_OK);
      const int got = bte_model_dtype(mm);
      bte_model_free(mm);
      return got;
    };
    CHECK(dtype_of(tiny_model(), BTE_DTYPE_AUTO) == BTE_DTYPE_FP32);
    CHECK(dtype_of(int8_file, BTE_DTYPE_AUTO) == BTE_DTYPE_INT8);
    CHECK(dtype_of(int8_file, BTE_DTYPE_FP32) == BTE_DTYPE_FP32);
    CHECK(dtype_of(tiny_model(), BTE_DTYPE_INT8) == BTE_DTYPE_INT8);
    bte_model_options ref = bte_model_default_options();
    ref.mode = BTE_MODE_REFERENCE;  // always fp32, whatever the file
    bte_model* rm = nullptr;
    REQUIRE(bte_model_load(int8_file.c_str(), &ref, &rm) == BTE_OK);
    CHECK(bte_model_dtype(rm) == BTE_DTYPE_FP32);
    bte_model_free(rm);
    CHECK(bte_model_dtype(nullptr) == -1);
  }

  Model model(tiny_model());
  const int d = bte_model_hidden_size(model.m);
  std::vector<float> out(2 * d, 7.f);
  const std::vector<float> untouched = out;
  const char* ok[] = {"a", "b"};
  // n far beyond the texts array: refused before any texts[i] is read
  // (under ASan a read past `ok` would be reported).
  const size_t huge_counts[] = {size_t(3), size_t(BTE_MAX_TEXTS), size_t(BTE_MAX_TEXTS) + 1, SIZE_MAX / 2,
                                SIZE_MAX};
  for (size_t n : huge_counts) {
    INFO("n = " << n);
    const bte_status s = bte_embed(model.m, ok, n, BTE_POOLING_CLS, 0, out.data(), out.size());
    CHECK((s == BTE_ERROR_CAPACITY || s == BTE_ERROR_INVALID_ARGUMENT));
    std::vector<float> probs(4);
    const bte_status c = bte_classify(model.m, ok, n, probs.data(), probs.size());
    CHECK((c == BTE_ERROR_CAPACITY || c == BTE_ERROR_INVALID_ARGUMENT));
    std::vector<size_t> offsets(3);
    const bte_status t = bte_embed_tokens(model.m, ok, n, out.data(), out.size(), offsets.data());
    CHECK((t == BTE_ERROR_CAPACITY || t == BTE_ERROR_INVALID_ARGUMENT));
    if (n > size_t(BTE_MAX_TEXTS)) {
      size_t total = 0;
      CHECK(bte_count_tokens(model.m, ok, n, &total) == BTE_ERROR_INVALID_ARGUMENT);
      CHECK_THAT(bte_last_error(), Catch::Contains("BTE_MAX_TEXTS"));
    }
  }
  CHECK(out == untouched);  // nothing written by a refused call
  // A capacity whose product with n would overflow size_t.
  CHECK(bte_embed(model.m, ok, 2, BTE_POOLING_CLS, 0, out.data(), SIZE_MAX) == BTE_OK);
  CHECK(bte_embed(model.m, ok, 2, BTE_POOLING_CLS, 2, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("normalize"));
  CHECK(bte_embed(model.m, ok, 2, bte_pooling(-1), 0, out.data(), out.size()) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("pooling = -1"));
  CHECK(bte_model_label(model.m, -1) == nullptr);
  CHECK(bte_model_label(model.m, 1 << 30) == nullptr);
  CHECK(bte_model_hidden_size(nullptr) == -1);
}

TEST_CASE("C API: an installed bte is usable through find_package(bte)", "[capi][install]") {
  const std::string dir = temp_dir();
  const std::string prefix = dir + "/prefix";
  auto r = run_command("cmake --install " + std::string(BTE_BINARY_DIR) + " --prefix " + prefix);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = run_command("cmake -S " + std::string(BTE_SOURCE_DIR) + "/examples/embed_similarity -B " + dir +
                  "/example -DCMAKE_PREFIX_PATH=" + prefix + " -DCMAKE_C_COMPILER=" + BTE_C_COMPILER +
                  " '-DCMAKE_EXE_LINKER_FLAGS=" + BTE_EXAMPLE_LINK_FLAGS + "' && cmake --build " + dir +
                  "/example");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = run_command(dir + "/example/embed_similarity " + tiny_model() + " 'Hello world' 'Hello world' 'How are you!'");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Identical texts: cosine 1.
  CHECK_THAT(r.out, Catch::Contains("cos(0, 1) = 1.0000"));
  // pkg-config file too.
  r = run_command("PKG_CONFIG_PATH=" + prefix + "/lib/pkgconfig pkg-config --cflags --libs bte");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("-lbte"));
}

TEST_CASE("C API: a prompt's bytes do not shift a text's error; a bad prompt is named",
          "[capi]") {
  Model model(tiny_model());
  const int d = bte_model_hidden_size(model.m);
  std::vector<float> out(static_cast<size_t>(d));
  const char* bad[] = {"\xff"};
  bte_embed_options o = bte_embed_default_options();
  o.prompt_text = "query: ";
  CHECK(bte_embed_with(model.m, bad, 1, &o, out.data(), out.size()) == BTE_ERROR_BAD_INPUT);
  CHECK_THAT(bte_last_error(), Catch::Contains("invalid UTF-8 at byte 0 of a 1-byte text"));
  const char* ok[] = {"fine"};
  o.prompt_text = "\xfe: ";
  CHECK(bte_embed_with(model.m, ok, 1, &o, out.data(), out.size()) == BTE_ERROR_BAD_INPUT);
  CHECK_THAT(bte_last_error(), Catch::Contains("the prompt text: invalid UTF-8 at byte 0"));
  const char* docs[] = {"a", nullptr};
  float s[2];
  CHECK(bte_rerank(model.m, "q", docs, 2, 0, s, 2) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("one-label head"));
  CHECK(bte_rerank(model.m, "q", nullptr, 1, 0, s, 2) == BTE_ERROR_INVALID_ARGUMENT);
  CHECK_THAT(bte_last_error(), Catch::Contains("documents is NULL"));
}
