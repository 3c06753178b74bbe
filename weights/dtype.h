// Element types a .bte tensor may hold, and the conversions between them.
// bf16 / fp16 conversions round to nearest even, as PyTorch does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bte {

enum class DType : uint8_t { F32, BF16, F16 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "fp32", "bf16", "fp16"
// Accepts "fp32"/"f32"/"float32", "bf16"/"bfloat16", "fp16"/"f16"/"float16";
// throws bte::Error(BadInput) otherwise.
DType parse_dtype(std::string_view name);

uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_fp16(float f);
float fp16_to_float(uint16_t h);

}  // namespace bte
