// The one element-type enum: what a .bte tensor holds, what the CPU and CUDA
// linear layers take and produce, what an engine computes in. The
// conversions between them: bf16 / fp16 round to nearest even, as PyTorch
// does.
//
// A quantised type joins as one more enumerator whose tensors travel with a
// scale tensor beside them (the file format names both); nothing here
// assumes every type is a float.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bte {

enum class DType : uint8_t {
  F32,   // IEEE binary32
  BF16,  // the upper half of an fp32 (uint16_t storage)
  F16,   // IEEE binary16 (uint16_t storage); GPU compute and file storage only
  I8,    // int8 with fp32 scales (symmetric: value = q * scale); CPU compute only,
         // quantised from fp32 weights at load (kernels/cpu/linear_int8.h)
};

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "fp32", "bf16", "fp16", "int8"
// Accepts "fp32"/"f32"/"float32", "bf16"/"bfloat16", "fp16"/"f16"/"float16",
// "int8"/"i8";
// throws bte::Error(BadInput) otherwise.
DType parse_dtype(std::string_view name);

// Whether an int8 row's scale is one a model may hold: >= 0, and 127 ·
// scale finite (so every value the row stands for is). NaN: false.
bool int8_scale_ok(float scale);

uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_fp16(float f);
float fp16_to_float(uint16_t h);

}  // namespace bte
