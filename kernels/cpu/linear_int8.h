// CPU int8 Linear: y[M, N] = x[M, K] · W[N, K]ᵀ + b with W held as symmetric
// int8 per output channel (fp32 scales, quantised once here from fp32) and
// x given already quantised per row (cpu::quantize_rows_s8). The product is
// int8 × int8 → int32 through oneDNN's matmul, which picks its own kernel
// (AMX, AVX512_VNNI, or its portable AVX2 path); our epilogue then
// dequantises with the bias and the GELU or residual fused
// (cpu::dequantize_rows). Twin: ref::quantize_rows_s8 + ref::matmul_s8_nt +
// ref::dequantize_rows (kernels/reference/quantize.h).
//
//   cpu::LinearInt8 up(W, b, /*N=*/3072, /*K=*/768, cpu::Epilogue::Gelu);
//   cpu::quantize_rows_s8(x, M, 768, cpu::kInt8ActivationMax, xq, xs);
//   up.forward_quantized(xq, xs, M, hq, hs, acc);   // h = gelu(x Wᵀ + b), as int8 rows
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/linear.h"  // Epilogue

namespace bte::cpu {

// Activations use the whole symmetric int8 range.
constexpr int kInt8ActivationMax = 127;

// Whether oneDNN multiplies int8 with VNNI or AMX here (its effective ISA:
// AVX512_VNNI, AVX-VNNI or AMX); ONEDNN_MAX_CPU_ISA caps it.
bool int8_has_vnni();
// The weights' range. Without VNNI oneDNN multiplies u8 × s8 pairs with
// vpmaddubsw, whose int16 sum of two products saturates past 32767
// (255 · 127 · 2 = 64770; seen: the kernel test fails under
// ONEDNN_MAX_CPU_ISA=AVX2 with full-range weights): weights in [-63, 63] keep every pair exact
// (255 · 63 · 2 = 32130), at the price of one bit. With VNNI: [-127, 127].
int int8_weight_max();

class LinearInt8 {
 public:
  // W: [N, K] fp32 (must be finite: Error(BadModel) otherwise), bias: [N] or
  // null. Epilogue None, Gelu or AddToOutput. The pointers need only live
  // for the constructor.
  LinearInt8(const float* W, const float* bias, int N, int K, Epilogue epilogue);
  // Weights quantised already (an int8 .bte): Wq [N, K] in [-127, 127] and
  // scales [N] (finite, >= 0), W ≈ Wq · scale per row. -128, a negative or
  // non-finite scale: Error(BadModel). Without VNNI the rows are quantised
  // again to int8_weight_max() here.
  LinearInt8(const int8_t* Wq, const float* scales, const float* bias, int N, int K,
             Epilogue epilogue);
  ~LinearInt8();
  LinearInt8(LinearInt8&&) noexcept;
  LinearInt8& operator=(LinearInt8&&) noexcept;

  // xq: [M, K] int8 rows, xs: [M] their scales; y: [M, N] fp32 (AddToOutput:
  // y += the product). acc: acc_ints(M) int32s of scratch, the caller's.
  // Thread-safe: concurrent calls with different buffers are allowed.
  void forward(const int8_t* xq, const float* xs, int64_t M, float* y, int32_t* acc) const;
  // Epilogue Gelu only: the result quantised per row (yq: [M, N], ys: [M]),
  // the next int8 GEMM's input.
  void forward_quantized(const int8_t* xq, const float* xs, int64_t M, int8_t* yq, float* ys,
                         int32_t* acc) const;
  // int32s of acc a call with M rows needs (rows are done in blocks).
  int64_t acc_ints(int64_t M) const;

  int N() const;
  int K() const;
  // oneDNN's implementation for M rows and our epilogue, e.g.
  // "brg:avx512_core_amx_int8 + bte dequant avx512".
  const char* impl_name(int64_t M) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void init(const std::vector<int8_t>& wq, std::vector<float> scale, const float* bias, int N,
            int K, Epilogue epilogue);
};

}  // namespace bte::cpu
