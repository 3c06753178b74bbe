// Reference twin: embedding gather + learned positions + token type, then
// LayerNorm. Plain loops, double-precision statistics; the yardstick for the
// CPU and CUDA versions.
#pragma once

#include <cstdint>

namespace bte::ref {

// ids, positions: [T]      (ids < vocab and positions < max_positions: checked by the caller)
// types: [T] token type ids (< the table's rows: checked by the caller), or
// nullptr: every token is type 0
// word: [vocab, d]  pos: [max_positions, d]  type_table: [token types, d] or nullptr (none)
// gamma, beta: [d]  out: [T, d]
void embed_layernorm(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t T,
                     const float* word, const float* pos, const float* type_table,
                     const float* gamma, const float* beta, int d, float eps, float* out);

}  // namespace bte::ref
