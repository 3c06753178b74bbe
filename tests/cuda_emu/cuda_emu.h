// A CPU stand-in for the parts of CUDA that bte's kernels use, so
// that CI (which has nvcc but no GPU) runs the kernels' own source against
// the reference twin. Semantics, not speed:
//  - a launch runs its blocks one after another; each CUDA thread of a block
//    is an OS thread, so barriers, shuffles and shared memory are real
//    concurrency (ThreadSanitizer sees a missing barrier as a race);
//  - __syncthreads / __syncwarp are std::barrier; a thread that returns
//    leaves both barriers, as on sm_70 and newer;
//  - WMMA works at the API level: every lane holds the whole 16x16 tile,
//    mma_sync multiplies in fp32, and store_matrix_sync is done by lane 0
//    alone, so a lane that reads the tile without a __syncwarp first reads
//    stale data (and TSan reports it). Pointer alignment (32 bytes) and ldm
//    (a multiple of 16 bytes) are checked;
//  - __half / __nv_bfloat16 are bit patterns with round-to-nearest-even.
// What it cannot model: which lane holds which fragment element, the tensor
// cores' accumulation order, launch limits beyond the grid's, timing.
// Included through the shim/ headers, which stand in for CUDA's.
#pragma once

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
// Static shared arrays are function statics: one per kernel instantiation,
// shared by the block's threads (blocks run one at a time).
#define __shared__ static
#define BTE_DYNAMIC_SHARED(name) unsigned char* name = ::bte_emu::dynamic_shared()

typedef struct CUstream_st* cudaStream_t;

struct uint3 { unsigned x = 0, y = 0, z = 0; };
struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) int4 { int x, y, z, w; };
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
using std::max;
using std::min;

extern uint3 blockIdx, blockDim;
extern dim3 gridDim;
namespace bte_emu {
// A function-local thread_local, not an extern one: GCC reaches an extern
// thread_local of class type through a wrapper that UBSan reads as a null
// member access (seen in the asan stage).
inline uint3& thread_index() {
  thread_local uint3 t;
  return t;
}
}  // namespace bte_emu
#define threadIdx (::bte_emu::thread_index())

namespace bte_emu {

[[noreturn]] void fail(const char* what);

struct Block {
  int threads = 0;
  std::unique_ptr<std::barrier<>> block;
  std::vector<std::unique_ptr<std::barrier<>>> warps;
  std::vector<float> exchange;  // one slot per thread, for shuffles
  unsigned char* dynamic_shared = nullptr;
};
Block& block();
inline unsigned char* dynamic_shared() { return block().dynamic_shared; }

// Runs body() as every thread of every block of grid x threads (1-D blocks),
// with dynamic_shared_bytes of 0xFF-filled, 128-byte aligned shared memory
// per block (dirty, as a real GPU's may be).
void launch(dim3 grid, int threads, size_t dynamic_shared_bytes, const std::function<void()>& body);

}  // namespace bte_emu

inline void __syncthreads() { bte_emu::block().block->arrive_and_wait(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  if (mask != 0xffffffffu) bte_emu::fail("__syncwarp with a partial mask");
  bte_emu::block().warps[threadIdx.x / 32]->arrive_and_wait();
}
inline float __shfl_xor_sync(unsigned mask, float v, int lane_mask) {
  if (mask != 0xffffffffu) bte_emu::fail("__shfl_xor_sync with a partial mask");
  auto& b = bte_emu::block();
  const int t = int(threadIdx.x), warp = t / 32, src = warp * 32 + ((t & 31) ^ lane_mask);
  if (src >= b.threads) bte_emu::fail("__shfl_xor_sync from a lane that does not exist");
  b.exchange[t] = v;
  b.warps[warp]->arrive_and_wait();
  const float r = b.exchange[src];
  b.warps[warp]->arrive_and_wait();  // nobody overwrites a slot before it is read
  return r;
}
[[noreturn]] inline void __trap() { bte_emu::fail("__trap()"); }
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }

// ---- 16-bit types ------------------------------------------------------------
struct __half { uint16_t bits; };
struct __nv_bfloat16 { uint16_t bits; };
float __half2float(__half h);
__half __float2half_rn(float f);
float __bfloat162float(__nv_bfloat16 h);
__nv_bfloat16 __float2bfloat16_rn(float f);

// ---- WMMA (16x16x16 only, as the kernels use) --------------------------------
namespace nvcuda::wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment {
  static_assert(M == 16 && N == 16 && K == 16, "the emulation has 16x16x16 fragments only");
  float tile[16][16];  // (row, column) of the fragment's matrix
};

inline float as_float(float v) { return v; }
inline float as_float(__half v) { return __half2float(v); }
inline float as_float(__nv_bfloat16 v) { return __bfloat162float(v); }
inline void check_operand(const void* p, unsigned ldm, size_t elem_bytes) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0) bte_emu::fail("wmma pointer not 32-byte aligned");
  if (ldm * elem_bytes % 16 != 0) bte_emu::fail("wmma ldm not a multiple of 16 bytes");
}

template <typename Use, typename T, typename Layout>
void load_matrix_sync(fragment<Use, 16, 16, 16, T, Layout>& f, const T* p, unsigned ldm) {
  check_operand(p, ldm, sizeof(T));
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      f.tile[i][j] = as_float(std::is_same_v<Layout, row_major> ? p[size_t(i) * ldm + j] : p[size_t(j) * ldm + i]);
}
template <typename L>
void fill_fragment(fragment<accumulator, 16, 16, 16, float, L>& f, float v) {
  for (auto& row : f.tile) std::fill(std::begin(row), std::end(row), v);
}
template <typename T, typename LA, typename LB, typename L>
void mma_sync(fragment<accumulator, 16, 16, 16, float, L>& d, const fragment<matrix_a, 16, 16, 16, T, LA>& a,
              const fragment<matrix_b, 16, 16, 16, T, LB>& b, const fragment<accumulator, 16, 16, 16, float, L>& c) {
  float r[16][16];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      float s = c.tile[i][j];
      for (int k = 0; k < 16; ++k) s += a.tile[i][k] * b.tile[k][j];
      r[i][j] = s;
    }
  std::memcpy(d.tile, r, sizeof r);
}
template <typename L>
void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float, L>& f, unsigned ldm, layout_t layout) {
  check_operand(p, ldm, sizeof(float));
  if (threadIdx.x % 32 != 0) return;  // lane 0 writes for the warp (see the top)
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      (layout == mem_row_major ? p[size_t(i) * ldm + j] : p[size_t(j) * ldm + i]) = f.tile[i][j];
}
}  // namespace nvcuda::wmma
