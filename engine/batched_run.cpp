#include "engine/batched_run.h"

namespace bte {

void run_batched(Engine& engine, const PackedBatch& all, Mode mode, const RunRequest& request,
                 const BatchLimits& limits, const BatchedEmit& emit) {
  const size_t n = size_t(all.n_seqs());
  std::vector<int> lengths(n);
  for (size_t i = 0; i < n; ++i) lengths[i] = all.cu_seqlens[i + 1] - all.cu_seqlens[i];
  BatchLimits l = limits;
  l.padded = mode != Mode::Packed;
  for (const auto& batch : plan_batches(lengths, l)) {
    std::vector<std::vector<int32_t>> seqs, types;
    for (int i : batch) {
      seqs.emplace_back(all.ids.begin() + all.cu_seqlens[i], all.ids.begin() + all.cu_seqlens[i + 1]);
      if (!all.types.empty())  // a pair's segment ids travel with its ids
        types.emplace_back(all.types.begin() + all.cu_seqlens[i], all.types.begin() + all.cu_seqlens[i + 1]);
    }
    types.resize(seqs.size());  // empty lists: type 0 (a batch without types)
    const PackedBatch b = PackedBatch::from_ids(seqs, types, engine.config().first_position());
    const RunOutputs out = engine.run(b, mode, request);
    for (size_t r = 0; r < batch.size(); ++r) emit(batch[r], out, int(r), b);
  }
}

}  // namespace bte
