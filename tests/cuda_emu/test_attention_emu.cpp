// The CUDA attention kernels' own source, run on the CPU by the emulation in
// cuda_emu.h, against the reference twin (ref::attention): CI has no GPU, so
// this is where every commit executes the kernels' index arithmetic, tile
// bounds, masking, online softmax and barriers. Inputs as the [cuda] test's
// (awkward lengths, empty sequences, both layouts, every kernel variant);
// outputs start as NaN and shared memory as 0xFF, so an element left
// unwritten or a read of uninitialised shared memory shows. The GPU itself
// is checked by tests/cuda/ on a machine that has one.
#include <catch2/catch.hpp>

#include "tests/cuda_emu/emu_types.h"  // first: CUDA's keywords and types
// (the shim/ directory stands in for CUDA's headers)
#include "kernels/cuda/attention_simt_kernel.cuh"
#include "kernels/cuda/attention_wmma_kernel.cuh"
#include "kernels/reference/ops.h"
#include "kernels/varlen.h"
#include "tests/test_util.h"
#include "base/dtype.h"

#include <random>

using namespace bte;
using namespace bte::test;
using bte_emu::from_f;
using bte_emu::type_name;

namespace {

// Runs the kernel that bte::cuda::attention would launch for T (fp32: the
// CUDA-core kernel; fp16 / bf16: the tensor-core one) with its launcher's
// grid, block and shared-memory size.
template <typename T, int DH>
void emulate(const cuda::AttentionParams& p) {
  const float scale = cuda::attention_scale(DH);
  if constexpr (std::is_same_v<T, float>) {
    using namespace cuda::simt_attention;
    bte_emu::launch(cuda::attention_grid(p, SimtShape<DH>::BQ), SimtShape<DH>::kThreads, 0,
                    [&] { attention_simt_kernel<DH>(p, scale); });
  } else {
    using namespace cuda::wmma_attention;
    bte_emu::launch(cuda::attention_grid(p, WmmaShape<DH>::BQ), WmmaShape<DH>::kThreads, WmmaShape<DH>::smem,
                    [&] { attention_wmma_kernel<T, DH>(p, scale); });
  }
}

template <typename T, int DH>
void check_attention(const std::vector<int>& lengths, bool padded, float magnitude, double tol) {
  const int H = 2;
  std::vector<int32_t> cu(lengths.size() + 1, 0);
  for (size_t i = 0; i < lengths.size(); ++i) cu[i + 1] = cu[i] + lengths[i];
  VarlenLayout layout;
  layout.n_seqs = int(lengths.size());
  layout.max_len = *std::max_element(lengths.begin(), lengths.end());
  layout.cu_seqlens = cu.data();
  layout.padded = padded;
  const int64_t rows = layout.total_rows(), ld_qkv = 3LL * H * DH, ld_out = int64_t(H) * DH;
  const auto x = random_floats(rows * ld_qkv, 20 + DH + rows, -magnitude, magnitude);
  const std::vector<T> qkv = bte_emu::to_type<T>(x);
  const std::vector<float> rounded = bte_emu::to_floats(qkv);
  std::vector<float> want(size_t(rows) * ld_out);
  ref::attention(rounded.data(), rounded.data() + H * DH, rounded.data() + 2 * H * DH, ld_qkv, layout, H,
                 DH, want.data(), ld_out);

  std::vector<T> out(want.size(), from_f<T>(NAN));
  cuda::AttentionParams p;
  p.qkv = qkv.data();
  p.ld_qkv = ld_qkv;
  p.out = out.data();
  p.ld_out = ld_out;
  p.cu_seqlens = cu.data();
  p.n_seqs = layout.n_seqs;
  p.max_len = layout.max_len;
  p.heads = H;
  p.head_dim = DH;
  p.padded = padded;
  if (rows > 0) emulate<T, DH>(p);  // as cuda::attention, which launches nothing for no rows
  const std::vector<float> got = bte_emu::to_floats(out);
  const Diff d = compare(got.data(), want.data(), int64_t(got.size()), 1.0);
  INFO(type_name<T>() << " dh=" << DH << " lengths=" << lengths.size() << " rows=" << rows
                      << (padded ? " padded" : " packed") << " |x|<=" << magnitude << ": " << d.describe());
  CHECK(d.max_rel <= tol);  // NaN (an unwritten element) fails too
}

template <typename T, int DH>
void check_all(double tol) {
  // Under the sanitizers (BTE_TEST_QUICK) the head dims 64 (the models') and
  // 128 (two threads per query) run, every batch and layout, magnitude 1:
  // the barriers and memory accesses are the same code for every DH and
  // magnitude; the plain stage checks all of them against the reference.
  if (quick_tests() && DH != 64 && DH != 128) return;
  // One token; empty sequences around a short one; lengths on both sides of
  // the 32-key (fp32), 64-key and 64-query tiles.
  // (Quick: without the 130-token sequence; 64 and 65 still straddle every
  // tile, and a third tile runs the same loop as the second.)
  const std::vector<std::vector<int>> batches = full_or_quick<std::vector<std::vector<int>>>(
      {{1}, {0, 3, 0}, {5, 1, 64, 65, 130}}, {{1}, {0, 3, 0}, {5, 1, 64, 65}});
  const std::vector<float> magnitudes = full_or_quick<std::vector<float>>({1.f, 4.f}, {1.f});
  for (const auto& lengths : batches)
    for (bool padded : {false, true})
      for (float magnitude : magnitudes)  // 4: peaked softmax rows
        check_attention<T, DH>(lengths, padded, magnitude, tol);
}

}  // namespace

// The tolerances are the [cuda] test's.
TEST_CASE("cuda emulation: fp32 attention kernel matches the reference", "[cuda_emu]") {
  check_all<float, 16>(5e-5);
  check_all<float, 64>(5e-5);
  check_all<float, 80>(5e-5);
  check_all<float, 128>(5e-5);  // two threads per query
}

TEST_CASE("cuda emulation: fp16 tensor-core attention kernel matches the reference", "[cuda_emu]") {
  check_all<__half, 16>(1e-2);
  check_all<__half, 64>(1e-2);
  check_all<__half, 80>(1e-2);
  check_all<__half, 128>(1e-2);
}

TEST_CASE("cuda emulation: bf16 tensor-core attention kernel matches the reference", "[cuda_emu]") {
  check_all<__nv_bfloat16, 16>(2e-2);
  check_all<__nv_bfloat16, 64>(2e-2);
  check_all<__nv_bfloat16, 80>(2e-2);
  check_all<__nv_bfloat16, 128>(2e-2);
}

TEST_CASE("cuda emulation: 16-bit conversions round as the engine's host ones", "[cuda_emu]") {
  // The emulation's conversions (what the kernels see here) against
  // weights/dtype.h (what the engine uploads), itself tested against PyTorch.
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any;
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns cover every exponent: subnormal halves, overflow, NaN.
    uint32_t u = any(rng);
    if (i % 2) u = (u & 0x807fffff) | ((100 + u % 50) << 23);  // half the draws near fp16's range
    float f;
    std::memcpy(&f, &u, 4);
    if (std::isnan(f)) continue;
    INFO("bits 0x" << std::hex << u);
    CHECK(__float2half_rn(f).bits == float_to_fp16(f));
    CHECK(__float2bfloat16_rn(f).bits == float_to_bf16(f));
    const uint16_t h = uint16_t(u >> 16);
    const float back = __half2float(__half{h});
    if (!std::isnan(back)) CHECK(back == fp16_to_float(h));
  }
  CHECK(__float2half_rn(65520.f).bits == 0x7c00);  // the tie above 65504 goes to infinity
  CHECK(__float2half_rn(std::ldexp(1.f, -25)).bits == 0);  // a tie to even: zero
}
