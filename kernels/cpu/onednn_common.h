// Internal to kernels/cpu: what every oneDNN user here shares — one CPU
// engine (with the primitive-cache cap), a per-thread scratchpad for
// primitives created in user scratchpad mode, dnnl::error → bte::Error, and
// stable C strings for implementation names. Used by cpu::Linear and
// cpu::LinearInt8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <dnnl.hpp>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

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

// A matmul primitive for one row count, ready to run.
struct MatmulPrim {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  dnnl::memory::desc scratch_md;
  dnnl::memory weights;  // empty: the layer's packed weights (the usual case)
};

// A layer's primitives keyed by (M, threads), capped, least recently used
// out first. Thread-safe; a missing key is created outside the lock (a JIT
// takes ~0.3 ms and other threads' cached shapes must not wait for it); two
// threads racing on one key keep the first insert.
class MatmulPrimCache {
 public:
  using Create = std::function<std::shared_ptr<const MatmulPrim>(int64_t M)>;
  explicit MatmulPrimCache(size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<const MatmulPrim> get(int64_t M, int threads, const Create& create) const;

 private:
  using Key = std::pair<int64_t, int>;
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<int64_t>()(k.first * 1031 + k.second); }
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  mutable std::list<std::pair<Key, std::shared_ptr<const MatmulPrim>>> lru_;  // most recent first
  mutable std::unordered_map<Key, decltype(lru_)::iterator, KeyHash> index_;
};

}  // namespace bte::cpu::detail
