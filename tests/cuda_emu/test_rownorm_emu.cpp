// The CUDA LayerNorm kernels' own source (bias + residual + LayerNorm, and
// embedding + LayerNorm, both on row_norm.cuh's block reductions) run on the
// CPU by cuda_emu.h against the reference twins, with the [cuda] tests'
// sizes and tolerances: rows shorter than a warp, not a multiple of the
// block, and the 2048 maximum.
#include <catch2/catch.hpp>

#include "tests/cuda_emu/emu_types.h"  // first: CUDA's keywords and types
#include "kernels/cuda/embedding_kernel.cuh"
#include "kernels/cuda/layernorm_kernel.cuh"
#include "kernels/reference/embedding.h"
#include "kernels/reference/ops.h"
#include "tests/kernel_cases.h"
#include "tests/test_util.h"

#include <random>

using namespace bte;
using namespace bte::test;
using bte_emu::from_f;
using bte_emu::type_name;

namespace {

template <typename T>
void check_residual_layernorm(int d, int64_t rows) {
  const ResidualLayerNormCase k(d, rows);  // the [cuda] test's case
  const auto& want = k.want;
  std::vector<float> got = k.x;
  std::vector<T> copy(size_t(rows) * d, from_f<T>(NAN));
  bte_emu::launch(dim3(unsigned(rows)), cuda::rownorm::kThreads, 0, [&] {
    cuda::layernorm_kernel::residual_ln_kernel<T>(got.data(), k.delta.data(), k.bias.data(), k.gamma.data(),
                                                  k.beta.data(), d, 1e-5f, copy.data());
  });
  const auto diff = compare(got.data(), want.data(), rows * d, 1.0);
  INFO("d=" << d << " rows=" << rows << " copy " << type_name<T>() << ": " << diff.describe());
  CHECK(diff.max_rel <= 1e-5);
  const std::vector<float> copied = bte_emu::to_floats(copy);
  const auto c = compare(copied.data(), want.data(), rows * d, 1.0);
  INFO("copy: " << c.describe());
  CHECK(c.max_rel <= (std::is_same_v<T, float> ? 1e-5 : std::is_same_v<T, __half> ? 2e-3 : 8e-3));
}

}  // namespace

TEST_CASE("cuda emulation: bias + residual + LayerNorm kernel matches the reference", "[cuda_emu]") {
  for (int d : {32, 100, 768, 2048})
    for (int64_t rows : {1, 3}) {
      check_residual_layernorm<float>(d, rows);
      check_residual_layernorm<__half>(d, rows);
      check_residual_layernorm<__nv_bfloat16>(d, rows);
    }
}

TEST_CASE("cuda emulation: embedding + LayerNorm kernel matches the reference", "[cuda_emu]") {
  const int vocab = 300, max_pos = 70;
  std::mt19937 rng(11);
  for (int d : {32, 100, 768, 2048}) {
    const int64_t T = 5;
    const auto word = random_floats(int64_t(vocab) * d, 1 + d);
    const auto pos = random_floats(int64_t(max_pos) * d, 2 + d);
    const auto type = random_floats(2 * d, 3 + d);  // two token types
    const auto gamma = random_floats(d, 4 + d, 0.5f, 1.5f);
    const auto beta = random_floats(d, 5 + d);
    std::vector<int32_t> ids(T), positions(T), types(T);
    for (int64_t t = 0; t < T; ++t)
      ids[t] = int32_t(rng() % vocab), positions[t] = int32_t(rng() % max_pos), types[t] = int32_t(rng() % 2);
    std::vector<float> want(size_t(T) * d);
    ref::embed_layernorm(ids.data(), positions.data(), types.data(), T, word.data(), pos.data(),
                         type.data(), gamma.data(), beta.data(), d, 1e-5f, want.data());
    std::vector<float> got(want.size(), NAN);
    bte_emu::launch(dim3(unsigned(T)), cuda::rownorm::kThreads, 0, [&] {
      cuda::embedding_kernel::embed_layernorm_kernel<float>(ids.data(), positions.data(), types.data(),
                                                            word.data(),
                                                            pos.data(), type.data(), gamma.data(),
                                                            beta.data(), d, 1e-5f, got.data(), nullptr);
    });
    const auto diff = compare(got.data(), want.data(), T * d);
    INFO("d=" << d << ": " << diff.describe());
    CHECK(diff.max_abs <= 1e-5);
  }
}
