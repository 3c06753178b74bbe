// Internal to kernels/cpu: what every oneDNN user here shares — one CPU
// engine (with the primitive-cache cap), a per-thread scratchpad for
// primitives created in user scratchpad mode, dnnl::error → bte::Error, and
// stable C strings for implementation names. Used by cpu::Linear and
// cpu::LinearInt8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <dnnl.hpp>

namespace bte::cpu::detail {

// The process's oneDNN CPU engine. On first use it caps oneDNN's global
// primitive cache (linear.cpp says why) unless the environment sets it.
dnnl::engine& onednn_engine();
// A 64-byte aligned, grow-only buffer of the calling thread (oneDNN's scratchpad).
void* onednn_thread_scratch(size_t bytes);
// Throws bte::Error (OutOfMemory or Internal) naming the layer and the step.
[[noreturn]] void onednn_fail(const dnnl::error& e, const char* what, const char* during, int N,
                              int K, int64_t M);
// A copy of s that lives as long as the process (impl_name() answers).
const char* intern_string(const char* s);

}  // namespace bte::cpu::detail
