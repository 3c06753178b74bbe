// float <-> the kernels' element types in the emulation's tests.
#pragma once

#include <type_traits>
#include <vector>

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
// A vector rounded to T, and one of T widened back.
template <typename T>
std::vector<T> to_type(const std::vector<float>& v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = from_f<T>(v[i]);
  return out;
}
template <typename T>
std::vector<float> to_floats(const std::vector<T>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = to_f(v[i]);
  return out;
}

template <typename T>
const char* type_name() {
  return std::is_same_v<T, float> ? "fp32" : std::is_same_v<T, __half> ? "fp16" : "bf16";
}

}  // namespace bte_emu
