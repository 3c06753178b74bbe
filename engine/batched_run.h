// Runs many encoded sequences through an engine in length-sorted batches
// (engine/batch_planner.h) and hands each sequence's row back with its index:
// what the C API and `bte rerank` share.
#pragma once

#include <functional>

#include "engine/batch_planner.h"
#include "engine/engine.h"

namespace bte {

// emit(index into `all`, the batch's outputs, the row there, the batch).
using BatchedEmit =
    std::function<void(int index, const RunOutputs& outputs, int row, const PackedBatch& batch)>;

void run_batched(Engine& engine, const PackedBatch& all, Mode mode, const RunRequest& request,
                 const BatchLimits& limits, const BatchedEmit& emit);

}  // namespace bte
