// The two backends that run on the host: the reference (slow path) and the
// fused CPU backend. Both are created by engine.cpp through these factories.
#pragma once

#include <memory>

#include <cstring>

#include "engine/backend.h"
#include "engine/host_memory.h"

namespace bte {

// The memory half of the seam for backends whose memory is the host's.
class HostBackend : public Backend {
 public:
  void* allocate(size_t bytes) override { return host_allocate(bytes); }
  void release(void* p) override { host_release(p); }
  void upload(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void download(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void synchronize() override {}
};

std::unique_ptr<Backend> make_reference_backend(const ModelWeights& weights, int threads);
// dtype: fp32, bf16 (the caller checked the CPU runs it natively) or int8.
std::unique_ptr<Backend> make_cpu_backend(const ModelWeights& weights, int threads, DType dtype);

}  // namespace bte
