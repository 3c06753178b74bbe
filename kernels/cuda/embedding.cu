// One block per token: word + position + type rows summed into registers,
// then the shared two-pass LayerNorm (row_norm.cuh).
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/row_norm.cuh"

namespace bte::cuda {
namespace {

using namespace rownorm;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    embed_layernorm_kernel(const int32_t* __restrict__ ids, const int32_t* __restrict__ positions,
                           const float* __restrict__ word, const float* __restrict__ pos,
                           const float* __restrict__ type_row, const float* __restrict__ gamma,
                           const float* __restrict__ beta, int d, float eps,
                           float* __restrict__ out, T* __restrict__ copy) {
  const int64_t t = blockIdx.x;
  const float* w = word + int64_t(ids[t]) * d;
  const float* p = pos + int64_t(positions[t]) * d;
  float x[kPerThread];
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int j = threadIdx.x + k * kThreads;
    x[k] = 0.f;
    if (j < d) x[k] = w[j] + p[j] + (type_row ? type_row[j] : 0.f);
  }
  normalize_and_store<T>(x, d, eps, gamma, beta, out + t * d, copy ? copy + t * d : nullptr);
}

}  // namespace

void embed_layernorm(const int32_t* ids, const int32_t* positions, int64_t T, const float* word,
                     const float* pos, const float* type_row, const float* gamma,
                     const float* beta, int d, float eps, float* out, cudaStream_t stream,
                     void* copy, ElemType copy_type) {
  BTE_CHECK(d > 0 && d <= kMaxD, "hidden size ", d, " out of range");
  BTE_CHECK(T <= 0x7fffffff, "too many rows");
  if (T == 0) return;
  dispatch_elem(copy_type, [&](auto c) {
    using C = decltype(c);
    embed_layernorm_kernel<C><<<unsigned(T), kThreads, 0, stream>>>(
        ids, positions, word, pos, type_row, gamma, beta, d, eps, out, static_cast<C*>(copy));
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
