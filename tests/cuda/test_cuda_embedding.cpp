// CUDA embedding + positions + LayerNorm against kernels/reference/.
// fp32; tolerance 1e-5 abs (LayerNorm outputs are O(1); the kernel reduces
// in fp32, the reference in double).
#include <catch2/catch.hpp>

#include <random>

#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/embedding.h"
#include "kernels/reference/embedding.h"
#include "tests/test_util.h"

using bte::cuda::DeviceBuffer;

TEST_CASE("cuda embed_layernorm matches the reference", "[cuda][kernels]") {
  const int vocab = 300, max_pos = 70;
  std::mt19937 rng(11);
  for (int d : {32, 64, 80, 100, 768, 1024, 2048}) {
    for (int64_t T : {1, 7, 129}) {
      auto word = bte::test::random_floats(int64_t(vocab) * d, 1 + d);
      auto pos = bte::test::random_floats(int64_t(max_pos) * d, 2 + d);
      auto type = bte::test::random_floats(2 * d, 3 + d);  // two token types
      auto gamma = bte::test::random_floats(d, 4 + d, 0.5f, 1.5f);
      auto beta = bte::test::random_floats(d, 5 + d);
      std::vector<int32_t> ids(T), positions(T), types(T);
      for (int64_t t = 0; t < T; ++t)
        ids[t] = int32_t(rng() % vocab), positions[t] = int32_t(rng() % max_pos), types[t] = int32_t(rng() % 2);
      std::vector<float> expect(T * d);
      bte::ref::embed_layernorm(ids.data(), positions.data(), types.data(), T, word.data(), pos.data(),
                                type.data(), gamma.data(), beta.data(), d, 1e-5f, expect.data());

      DeviceBuffer<int32_t> d_ids(ids), d_pos_ids(positions), d_types(types);
      DeviceBuffer<float> d_word(word), d_pos(pos), d_type(type), d_gamma(gamma), d_beta(beta);
      DeviceBuffer<float> d_out(size_t(T) * d);
      d_out.poison();
      bte::cuda::embed_layernorm(d_ids.get(), d_pos_ids.get(), d_types.get(), T, d_word.get(), d_pos.get(),
                                 d_type.get(), d_gamma.get(), d_beta.get(), d, 1e-5f, d_out.get(),
                                 nullptr);
      const auto got = d_out.download();
      const auto diff = bte::test::compare(got.data(), expect.data(), T * d);
      INFO("d=" << d << " T=" << T << ": " << diff.describe());
      CHECK(diff.max_abs <= 1e-5);
    }
  }
}
