// Internal to kernels/cpu: one attention work item (one head, one sequence,
// a block of up to kQueryBlock query rows against all of its L real keys),
// in three variants (scalar, AVX2, AVX-512) that attention.cpp picks from at
// run time. Each variant file instantiates attention_tile_impl.h with its own
// vector traits.
//
// A tile runs in three GEMM-like steps on a per-thread scratch, so nothing
// larger than L × 64 scores ever exists:
//   Qt[dh][qbp]  = Q_blockᵀ                 (qbp = rows rounded up to 16, zero columns)
//   S[L][qbp]    = K · Qt                    (keys × queries: K rows read in place)
//   S           := exp((S - colmax) * scale) (softmax down each column, fp32)
//   O[rows][dhp] = Sᵀ · V                    (V rows read in place when dh % width == 0)
//   out          = O / colsum
#pragma once

#include <cstdint>

namespace bte::cpu::detail {

// Query rows per work item: 64 keeps S at ≤ 128 KiB for L = 512 (L2) and
// fills four AVX-512 vectors across the queries.
constexpr int kQueryBlock = 64;

inline int64_t round_up16(int64_t x) { return (x + 15) & ~int64_t(15); }

struct AttnTile {
  const float* q;    // first query row of the block, at this head's columns; row stride ld
  const float* k;    // first key row of the sequence, this head's columns
  const float* v;    // first value row of the sequence, this head's columns
  int64_t ld;        // row stride of q, k, v (ld_qkv)
  int rows;          // query rows in the block, 1..kQueryBlock
  int keys;          // L, the sequence's real keys, >= 1
  int dh;
  float scale;       // 1 / sqrt(dh)
  float* out;        // first output row of the block, this head's columns
  int64_t ld_out;
  float* scratch;    // tile_scratch_floats(max_len, dh) floats, this thread's own
};

// Floats one thread's tile needs, for sequences of up to max_len keys:
// Qt [dh][64] + S [max_len][64] + O [64][dhp] + sums [64] (+ V packed
// [max_len][dhp] when dh is not a multiple of 16). Every part 16-float aligned.
inline int64_t tile_scratch_floats(int max_len, int dh) {
  const int64_t dhp = round_up16(dh);
  int64_t n = int64_t(dh) * kQueryBlock + int64_t(max_len) * kQueryBlock + kQueryBlock * dhp +
              kQueryBlock;
  if (dh % 16 != 0) n += int64_t(max_len) * dhp;
  return round_up16(n);
}

// The bf16 tile's (attention_bf16_avx512.cpp): Qp [⌈dh/2⌉][64] + Kb
// [max_len][⌈dh/2⌉] + S [max_len][64] + Pp [⌈max_len/2⌉][64] + Vp
// [⌈max_len/2⌉][dhp] + O [64][dhp] + sums [64], in 32-bit slots.
inline int64_t tile_scratch_floats_bf16(int max_len, int dh) {
  const int64_t dhp = round_up16(dh), dh2 = (dh + 1) / 2, L2 = (int64_t(max_len) + 1) / 2;
  return round_up16(dh2 * kQueryBlock) + round_up16(max_len * dh2) +
         round_up16(int64_t(max_len) * kQueryBlock) + round_up16(L2 * kQueryBlock) +
         round_up16(L2 * dhp) + round_up16(kQueryBlock * dhp) + kQueryBlock;
}

using AttnTileFn = void (*)(const AttnTile& t);
void attention_tile_scalar(const AttnTile& t);
void attention_tile_avx2(const AttnTile& t);
void attention_tile_avx512(const AttnTile& t);
// Q·Kᵀ and P·V in bf16 (vdpbf16ps), fp32 softmax; only where has_native_bf16().
void attention_tile_avx512_bf16(const AttnTile& t);

}  // namespace bte::cpu::detail
