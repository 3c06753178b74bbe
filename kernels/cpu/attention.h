// Fused multi-head attention on the CPU over a VarlenLayout (packed or
// padded): for each (sequence, head, block of queries) the scores stay in a
// per-thread scratch tile (never an N×H×L×L tensor), softmax is exact with
// max subtraction, and the result is multiplied by V in the same pass.
// Twin of ref::attention (kernels/reference/ops.h).
#pragma once

#include <cstdint>

#include "base/dtype.h"
#include "kernels/varlen.h"

namespace bte::cpu {

// qkv: [layout.total_rows(), 3*H*dh], each row = [q heads | k heads | v heads]
//      (the fused QKV projection's output), row stride ld_qkv (>= 3*H*dh)
// out: [layout.total_rows(), H*dh], row stride ld_out
// scratch: attention_scratch_floats(...) floats, owned by the caller (kernels never allocate)
// compute: F32 (every CPU), or BF16: Q·Kᵀ and P·V as bf16 dot products
// (vdpbf16ps) with an fp32 softmax, on CPUs with AVX512_BF16 (has_native_bf16();
// refused elsewhere) and dh <= 2048. Inputs and outputs stay fp32 either way.
void attention(const float* qkv, int64_t ld_qkv, const VarlenLayout& layout, int H, int dh,
               float* out, int64_t ld_out, float* scratch, DType compute = DType::F32);
int64_t attention_scratch_floats(const VarlenLayout& layout, int H, int dh, int threads,
                                 DType compute = DType::F32);
// Whether this CPU runs the bf16 attention (AVX512_BF16 with AVX-512 F/BW/VL/DQ).
bool bf16_attention_available();

}  // namespace bte::cpu
