// CPU Linear layer through oneDNN matmul: y[M, N] = x[M, K] · W[N, K]ᵀ + b,
// with an optional fused epilogue. Weights are given once (W as stored in
// the .bte file, [out, in]) and prepared once into the layout oneDNN prefers;
// primitives are created per row count M and cached.
//
//   cpu::Linear up(W, b, /*N=*/3072, /*K=*/768, cpu::Epilogue::Gelu);
//   up.forward(x, M, y);                  // y = gelu(x Wᵀ + b)
//   cpu::Linear out(W2, b2, 768, 768, cpu::Epilogue::AddToOutput);
//   out.forward(attn, M, h);              // h = h + attn W2ᵀ + b2 (residual, in place)
#pragma once

#include <cstdint>
#include <memory>

#include "base/dtype.h"

namespace bte::cpu {

enum class Epilogue {
  None,         // y = x Wᵀ + b
  Gelu,         // y = gelu_erf(x Wᵀ + b)
  Tanh,         // y = tanh(x Wᵀ + b)
  Relu,         // y = max(0, x Wᵀ + b)
  AddToOutput,  // y = y + x Wᵀ + b   (the residual already in y)
};


class Linear {
 public:
  // W: [N, K] fp32, bias: [N] fp32 (may be null). The pointers need only live
  // for the constructor: the weights are repacked into memory Linear owns.
  // `input` (F32 or BF16; fp16 is a GPU type) is the type of x and of the packed weights (bf16: W is rounded
  // once here, to nearest even); `output` is the type of y. Bias, epilogue
  // and accumulation are fp32 either way.
  // onednn_only: every M through oneDNN, as it packs and runs it (the
  // benchmarks' "oneDNN ceiling"); otherwise few rows may run our skinny
  // GEMM and GELU our own pass where that is faster (linear.cpp says where).
  Linear(const float* W, const float* bias, int N, int K, Epilogue epilogue,
         DType input = DType::F32, DType output = DType::F32,
         bool onednn_only = false);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  // x: [M, K] (row stride K), y: [M, N] (row stride N). M may be 0.
  // Thread-safe: concurrent calls with different x/y are allowed.
  void forward(const float* x, int64_t M, float* y) const;
  // Any precision: x and y hold elements of the types given at construction.
  void forward_any(const void* x, int64_t M, void* y) const;

  int N() const;
  int K() const;
  // Which oneDNN implementation runs for this M (e.g. "brg:avx512_core").
  const char* impl_name(int64_t M) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bte::cpu
