// Inputs and reference outputs shared by a GPU kernel's [cuda] test and its
// CPU emulation (tests/cuda_emu/), so that both check the same cases.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/reference/ops.h"
#include "tests/test_util.h"

namespace bte::test {

// Bias + residual + LayerNorm of `rows` rows of width d: x += delta + bias,
// then LayerNorm (eps 1e-5); `want` is the reference.
struct ResidualLayerNormCase {
  std::vector<float> x, delta, bias, gamma, beta, want;
  ResidualLayerNormCase(int d, int64_t rows)
      : x(random_floats(rows * d, 10 + d, -2.f, 2.f)),
        delta(random_floats(rows * d, 11 + d)),
        bias(random_floats(d, 12 + d)),
        gamma(random_floats(d, 13 + d, 0.5f, 1.5f)),
        beta(random_floats(d, 14 + d)),
        want(x) {
    ref::add_inplace(want.data(), delta.data(), rows * d);
    ref::add_bias(want.data(), rows, d, bias.data());
    ref::layernorm(want.data(), rows, d, gamma.data(), beta.data(), 1e-5f, want.data());
  }
};

}  // namespace bte::test
