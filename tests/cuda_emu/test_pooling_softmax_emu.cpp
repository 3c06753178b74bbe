// The CUDA pooling, L2 and (slow-path) masked-softmax kernels' own source run
// on the CPU by cuda_emu.h against the reference twins: empty sequences,
// rows narrower than a warp and wider than the block, both layouts.
#include <catch2/catch.hpp>

#include "tests/cuda_emu/cuda_emu.h"  // first: CUDA's keywords and types
#include "kernels/cuda/masked_softmax_kernel.cuh"
#include "kernels/cuda/pooling_kernel.cuh"
#include "kernels/reference/ops.h"
#include "kernels/varlen.h"
#include "tests/test_util.h"

using namespace bte;
using namespace bte::test;

TEST_CASE("cuda emulation: CLS, mean and max pooling kernel matches the reference", "[cuda_emu]") {
  const std::vector<int> lengths = {3, 0, 1, 40};
  std::vector<int32_t> cu(lengths.size() + 1, 0);
  for (size_t i = 0; i < lengths.size(); ++i) cu[i + 1] = cu[i] + lengths[i];
  for (int d : {5, 300}) {
    for (bool padded : {false, true}) {
      VarlenLayout layout;
      layout.n_seqs = int(lengths.size());
      layout.max_len = 40;
      layout.cu_seqlens = cu.data();
      layout.padded = padded;
      cuda::DeviceLayout dl;
      dl.cu_seqlens = cu.data();
      dl.n_seqs = layout.n_seqs;
      dl.max_len = layout.max_len;
      dl.padded = padded;
      const auto x = random_floats(layout.total_rows() * d, 30 + d);
      using namespace cuda::pooling_kernel;
      for (int mode : {kPoolCls, kPoolMean, kPoolMax}) {
        std::vector<float> want(size_t(layout.n_seqs) * d), got(want.size(), NAN);
        (mode == kPoolMean ? ref::pool_mean : mode == kPoolMax ? ref::pool_max : ref::pool_cls)(
            x.data(), layout, d, want.data());
        bte_emu::launch(dim3(unsigned(layout.n_seqs)), kThreads, 0,
                        [&] { pool_kernel(x.data(), dl, d, mode, got.data()); });
        const auto diff = compare(got.data(), want.data(), int64_t(got.size()), 1.0);
        INFO("d=" << d << (padded ? " padded" : " packed") << " mode " << mode << ": "
                  << diff.describe());
        CHECK(diff.max_rel <= 1e-6);
      }
    }
  }
}

TEST_CASE("cuda emulation: L2 normalisation kernel matches the reference", "[cuda_emu]") {
  for (int d : {1, 31, 768, 1000}) {
    const int64_t rows = 3;
    auto x = random_floats(rows * d, 40 + d);
    std::fill(x.begin(), x.begin() + d, 0.f);  // a zero row stays zero
    auto want = x, got = x;
    ref::l2_normalize_rows(want.data(), rows, d);
    bte_emu::launch(dim3(unsigned(rows)), cuda::pooling_kernel::kThreads, 0,
                    [&] { cuda::pooling_kernel::l2_kernel(got.data(), d); });
    const auto diff = compare(got.data(), want.data(), rows * d, 1.0);
    INFO("d=" << d << ": " << diff.describe());
    CHECK(diff.max_rel <= 1e-6);
  }
}

TEST_CASE("cuda emulation: masked softmax kernel matches the reference", "[cuda_emu]") {
  // Rows of R scores of which the first len are real keys; the rest become 0.
  for (int R : {1, 7, 130, 300}) {
    for (int len : {0, 1, R / 2, R}) {
      const int64_t rows = 3;
      const float scale = 0.125f;
      const auto s = random_floats(rows * R, 50 + R + len, -8.f, 8.f);
      std::vector<float> want(s.size(), 0.f), got = s;
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<float> real(s.begin() + r * R, s.begin() + r * R + len);
        for (auto& v : real) v *= scale;
        if (len > 0) ref::softmax_rows(real.data(), 1, len);
        std::copy(real.begin(), real.end(), want.begin() + r * R);
      }
      bte_emu::launch(dim3(unsigned(rows)), cuda::softmax_kernel::kThreads, 0,
                      [&] { cuda::softmax_kernel::masked_softmax_kernel(got.data(), R, len, scale); });
      const auto diff = compare(got.data(), want.data(), rows * R, 1.0);
      INFO("R=" << R << " len=" << len << ": " << diff.describe());
      CHECK(diff.max_rel <= 1e-6);
    }
  }
}
