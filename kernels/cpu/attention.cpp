// cpu::attention (attention.h): plans the work items and spreads them over
// OpenMP threads; each item runs a tile (attention_tile.h) in the variant
// that cpu::kernel_variant() names.
//
// Work item = (sequence, head, block of up to 64 query rows). Items are
// handed out longest sequence first (an item costs ~ rows × L), dynamically,
// so a batch of short and long sequences balances without a cost model.
// In the packed layout the work is Σ L_i² (real tokens only); in the padded
// layout every one of the max_len query rows of a sequence is computed, but
// against its L_i real keys only.
//
// Scratch (caller-owned, attention_scratch_floats):
//   [n_seqs] int32 sequence order, [n_seqs + 1] int32 item prefix sums,
//   then [threads][tile_scratch_floats(max_len, dh)] per-thread tiles (16-float aligned)
#include "kernels/cpu/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/check.h"
#include "kernels/cpu/attention_tile.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace {

detail::AttnTileFn tile_fn(DType compute) {
  if (compute == DType::BF16) return detail::attention_tile_avx512_bf16;
  const char* v = kernel_variant();
  if (std::strcmp(v, "avx512") == 0) return detail::attention_tile_avx512;
  if (std::strcmp(v, "avx2") == 0) return detail::attention_tile_avx2;
  return detail::attention_tile_scalar;
}

// The two int32 tables, in float-sized slots, rounded to 16 floats.
int64_t tables_floats(const VarlenLayout& layout) {
  return detail::round_up16(2 * int64_t(layout.n_seqs) + 1);
}

int blocks_of(int rows) { return (rows + detail::kQueryBlock - 1) / detail::kQueryBlock; }

int64_t tile_floats_for(const VarlenLayout& layout, int dh, DType compute) {
  return compute == DType::BF16 ? detail::tile_scratch_floats_bf16(layout.max_len, dh)
                                : detail::tile_scratch_floats(layout.max_len, dh);
}

}  // namespace

bool bf16_attention_available() {
  const auto& f = cpu_features();
  return f.avx512_bf16 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
}

int64_t attention_scratch_floats(const VarlenLayout& layout, int H, int dh, int threads,
                                 DType compute) {
  return tables_floats(layout) + int64_t(std::max(threads, 1)) * tile_floats_for(layout, dh, compute);
}

void attention(const float* qkv, int64_t ld_qkv, const VarlenLayout& layout, int H, int dh,
               float* out, int64_t ld_out, float* scratch, DType compute) {
  BTE_CHECK(H > 0 && dh > 0, "H=", H, " dh=", dh);
  BTE_CHECK(compute == DType::F32 || compute == DType::BF16, "attention computes in fp32 or bf16");
  BTE_REQUIRE(compute != DType::BF16 || (bf16_attention_available() && dh <= 2048),
              ErrorKind::Unsupported, "bf16 attention needs AVX512_BF16 and dh <= 2048 (dh=", dh, ")");
  BTE_CHECK(ld_qkv >= 3 * int64_t(H) * dh, "ld_qkv=", ld_qkv, " < 3*H*dh");
  BTE_CHECK(ld_out >= int64_t(H) * dh, "ld_out=", ld_out, " < H*dh");
  const int n = layout.n_seqs;
  if (n <= 0 || layout.total_rows() == 0) return;
  BTE_CHECK(scratch != nullptr, "attention needs scratch");

  // The team is as large as attention_scratch_floats was told (cpu::num_threads()).
  const int threads = detail::apply_num_threads();
  const int64_t tile_floats = tile_floats_for(layout, dh, compute);
  auto* order = reinterpret_cast<int32_t*>(scratch);
  int32_t* first_item = order + n;  // [n + 1] prefix sums of items per sequence (in order)

  for (int i = 0; i < n; ++i) {
    const int L = layout.seq_len(i);
    BTE_CHECK(L >= 0 && L <= layout.max_len, "sequence ", i, " has length ", L, ", max_len ",
              layout.max_len);
    order[i] = i;
  }
  std::stable_sort(order, order + n,
                   [&](int32_t a, int32_t b) { return layout.seq_len(a) > layout.seq_len(b); });
  first_item[0] = 0;
  for (int s = 0; s < n; ++s) {
    const int64_t items = int64_t(first_item[s]) + int64_t(H) * blocks_of(layout.rows(order[s]));
    BTE_CHECK(items < (int64_t(1) << 31), "too many attention work items");
    first_item[s + 1] = int32_t(items);
  }
  const int n_items = first_item[n];

  const auto run_tile = tile_fn(compute);
  const float scale = float(1.0 / std::sqrt(double(dh)));
  const int64_t HD = int64_t(H) * dh;

#pragma omp parallel num_threads(threads) if (n_items > 1)
  {
    float* my_scratch = scratch + tables_floats(layout) + omp_get_thread_num() * tile_floats;
#pragma omp for schedule(dynamic, 1)
    for (int item = 0; item < n_items; ++item) {
      // which sequence: the last s with first_item[s] <= item
      const int s = int(std::upper_bound(first_item, first_item + n + 1, item) - first_item) - 1;
      const int seq = order[s];
      const int rows = layout.rows(seq), L = layout.seq_len(seq);
      const int nb = blocks_of(rows);
      const int local = item - first_item[s];
      const int h = local / nb, q0 = (local % nb) * detail::kQueryBlock;
      const int qrows = std::min(detail::kQueryBlock, rows - q0);
      const int64_t r0 = layout.row_begin(seq);
      float* dst = out + (r0 + q0) * ld_out + h * int64_t(dh);
      if (L == 0) {  // padded rows of an empty sequence attend to nothing
        for (int q = 0; q < qrows; ++q) std::fill(dst + q * ld_out, dst + q * ld_out + dh, 0.f);
        continue;
      }
      detail::AttnTile t;
      t.q = qkv + (r0 + q0) * ld_qkv + h * int64_t(dh);
      t.k = qkv + r0 * ld_qkv + HD + h * int64_t(dh);
      t.v = qkv + r0 * ld_qkv + 2 * HD + h * int64_t(dh);
      t.ld = ld_qkv;
      t.rows = qrows;
      t.keys = L;
      t.dh = dh;
      t.scale = scale;
      t.out = dst;
      t.ld_out = ld_out;
      t.scratch = my_scratch;
      run_tile(t);
    }
  }
}

}  // namespace bte::cpu
