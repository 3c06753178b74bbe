// Reference twin: embedding gather + learned positions + token type row, then
// LayerNorm. Plain loops, double-precision statistics; the yardstick for the
// CPU and CUDA versions.
#pragma once

#include <cstdint>

namespace bte::ref {

// ids, positions: [T]      (ids < vocab and positions < max_positions: checked by the caller)
// word: [vocab, d]  pos: [max_positions, d]  type_row: [d] or nullptr
// gamma, beta: [d]  out: [T, d]
void embed_layernorm(const int32_t* ids, const int32_t* positions, int64_t T, const float* word,
                     const float* pos, const float* type_row, const float* gamma,
                     const float* beta, int d, float eps, float* out);

}  // namespace bte::ref
