// 8 threads calling one model through the C API at once: every result is
// bit-identical to the same call made serially. A binary of its own
// (bte_concurrency_tests) so that the ThreadSanitizer stage builds only what
// it runs: this and the CUDA kernels' emulation.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bte/bte.h"
#include "tests/c_api_model.h"
#include "tests/test_util.h"

using namespace bte::test;

TEST_CASE("C API: 8 threads x 1000 mixed calls are bit-identical to serial calls", "[capi][concurrency][stress]") {
  Model model(tiny_model());
  const int d = bte_model_hidden_size(model.m), C = bte_model_num_labels(model.m);
  // A pool of texts from empty to over the model's maximum (64 tokens).
  std::vector<std::string> pool = {"", "a", "Hello world", "How are you!", "Привет мир", "東京"};
  std::string longer;
  for (int i = 0; i < 30; ++i) pool.push_back(longer += "word" + std::to_string(i) + " ");
  pool.push_back(longer + longer + longer);  // 90 words: at least 92 tokens, over any cut
  auto call = [&](int k, std::vector<float>& out) {
    const size_t n = 1 + size_t(k % 7);
    std::vector<const char*> texts;
    for (size_t i = 0; i < n; ++i) texts.push_back(pool[(size_t(k) * 7 + i * 3) % pool.size()].c_str());
    if (k % 2) {
      out.assign(n * C, 0);
      return bte_classify(model.m, texts.data(), n, out.data(), out.size());
    }
    out.assign(n * d, 0);
    return bte_embed(model.m, texts.data(), n, k % 4 ? BTE_POOLING_CLS : BTE_POOLING_MEAN, k % 3 == 0,
                     out.data(), out.size());
  };
  // 1000 calls a thread in the plain stage; 150 under the sanitizers, which
  // check every call's memory and synchronisation (the pool's 42 texts and
  // all call shapes still come round many times).
  constexpr int kThreads = 8;
  const int kCalls = full_or_quick(1000, 150);
  std::vector<std::vector<float>> serial(kThreads * kCalls);
  for (int k = 0; k < kThreads * kCalls; ++k) REQUIRE(call(k, serial[k]) == BTE_OK);
  std::vector<std::vector<float>> parallel(kThreads * kCalls);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        const int k = t * kCalls + c;
        if (call(k, parallel[k]) != BTE_OK) ++failures[t];
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) CHECK(failures[t] == 0);
  int differing = 0;
  for (int k = 0; k < kThreads * kCalls; ++k)
    if (std::memcmp(serial[k].data(), parallel[k].data(), serial[k].size() * sizeof(float)) != 0 ||
        serial[k].size() != parallel[k].size())
      ++differing;
  CHECK(differing == 0);
}

