// The two backends that run on the host: the reference (slow path) and the
// fused CPU backend. Both are created by engine.cpp through these factories.
#pragma once

#include <memory>

#include "engine/backend.h"

namespace bte {

std::unique_ptr<Backend> make_reference_backend(const ModelWeights& weights, int threads);
// bf16: bf16 GEMMs (the caller checked the CPU runs them natively).
std::unique_ptr<Backend> make_cpu_backend(const ModelWeights& weights, int threads, bool bf16);

}  // namespace bte
