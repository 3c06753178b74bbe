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

namespace bte::cpu {

enum class Epilogue {
  None,         // y = x Wᵀ + b
  Gelu,         // y = gelu_erf(x Wᵀ + b)
  Tanh,         // y = tanh(x Wᵀ + b)
  AddToOutput,  // y = y + x Wᵀ + b   (the residual already in y)
};

class Linear {
 public:
  // W: [N, K] fp32, bias: [N] fp32 (may be null). The pointers need only live
  // for the constructor: the weights are repacked into memory Linear owns.
  Linear(const float* W, const float* bias, int N, int K, Epilogue epilogue);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  // x: [M, K] (row stride K), y: [M, N] (row stride N). M may be 0.
  // Thread-safe: concurrent calls with different x/y are allowed.
  void forward(const float* x, int64_t M, float* y) const;

  int N() const;
  int K() const;
  // Which oneDNN implementation runs for this M (e.g. "brg:avx512_core").
  const char* impl_name(int64_t M) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bte::cpu
