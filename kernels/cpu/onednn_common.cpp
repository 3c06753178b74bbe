#include "kernels/cpu/onednn_common.h"

#include <cstdlib>
#include <mutex>
#include <set>
#include <string>

#include "base/check.h"

namespace bte::cpu::detail {
namespace {
constexpr int kOneDnnCacheCapacity = 512;  // oneDNN's global primitive cache (linear.cpp: why)
}  // namespace

dnnl::engine& onednn_engine() {
  static dnnl::engine eng = [] {
    if (!std::getenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY") && !std::getenv("DNNL_PRIMITIVE_CACHE_CAPACITY"))
      dnnl::set_primitive_cache_capacity(kOneDnnCacheCapacity);
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return eng;
}

void* onednn_thread_scratch(size_t bytes) {
  struct Buf {
    void* p = nullptr;
    size_t n = 0;
    ~Buf() { std::free(p); }
  };
  thread_local Buf buf;
  if (bytes > buf.n) {
    std::free(buf.p);
    buf.n = (bytes + 4095) / 4096 * 4096;
    buf.p = std::aligned_alloc(64, buf.n);
    if (!buf.p) {
      buf.n = 0;
      BTE_FAIL(ErrorKind::OutOfMemory, "oneDNN: cannot allocate ", bytes, " bytes of scratchpad");
    }
  }
  return buf.p;
}

void onednn_fail(const dnnl::error& e, const char* what, const char* during, int N, int K,
                 int64_t M) {
  const auto kind = e.status == dnnl_out_of_memory ? ErrorKind::OutOfMemory : ErrorKind::Internal;
  BTE_FAIL(kind, kind == ErrorKind::OutOfMemory ? "out of memory: " : "", what, " (N=", N, ", K=", K,
           M >= 0 ? ", M=" : "", M >= 0 ? std::to_string(M) : "", "): oneDNN failed ", during, ": ",
           e.what());
}

const char* intern_string(const char* s) {
  static std::mutex mu;
  static std::set<std::string> names;
  std::lock_guard<std::mutex> lock(mu);
  return names.insert(s).first->c_str();
}

std::shared_ptr<const MatmulPrim> MatmulPrimCache::get(int64_t M, int threads, const Create& create) const {
  const Key key{M, threads};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  std::shared_ptr<const MatmulPrim> p = create(M);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) return it->second->second;
  lru_.emplace_front(key, p);
  index_[key] = lru_.begin();
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return p;
}

}  // namespace bte::cpu::detail
