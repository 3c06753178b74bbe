// Element types of GPU activations and weights. Host header, no CUDA
// includes: the backend and the tests name types with it.
#pragma once

#include <cstddef>

namespace bte::cuda {

// F32: fp32 everywhere. F16 / BF16: GEMM inputs, the QKV and FFN hidden
// activations and the attention output in 16 bits; accumulation, softmax,
// LayerNorm statistics and the residual stream in fp32.
enum class ElemType { F32, F16, BF16 };

inline size_t elem_bytes(ElemType t) { return t == ElemType::F32 ? 4 : 2; }
inline const char* elem_name(ElemType t) {
  return t == ElemType::F32 ? "fp32" : t == ElemType::F16 ? "fp16" : "bf16";
}

}  // namespace bte::cuda
