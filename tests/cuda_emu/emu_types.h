// float <-> the kernels' element types in the emulation's tests.
#pragma once

#include <type_traits>

#include "tests/cuda_emu/cuda_emu.h"

namespace bte_emu {

template <typename T>
T from_f(float f) {
  if constexpr (std::is_same_v<T, float>) return f;
  else if constexpr (std::is_same_v<T, __half>) return __float2half_rn(f);
  else return __float2bfloat16_rn(f);
}
template <typename T>
float to_f(T v) {
  if constexpr (std::is_same_v<T, float>) return v;
  else if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  else return __bfloat162float(v);
}
template <typename T>
const char* type_name() {
  return std::is_same_v<T, float> ? "fp32" : std::is_same_v<T, __half> ? "fp16" : "bf16";
}

}  // namespace bte_emu
