// Launches the embedding + LayerNorm kernel (embedding_kernel.cuh).
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/embedding_kernel.cuh"

namespace bte::cuda {

using namespace rownorm;
using namespace embedding_kernel;

void embed_layernorm(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t T,
                     const float* word, const float* pos, const float* type_table,
                     const float* gamma, const float* beta, int d, float eps, float* out,
                     cudaStream_t stream, void* copy, DType copy_type) {
  BTE_CHECK(d > 0 && d <= kMaxD, "hidden size ", d, " out of range");
  BTE_CHECK(T <= 0x7fffffff, "too many rows");
  if (T == 0) return;
  dispatch_elem(copy_type, [&](auto c) {
    using C = decltype(c);
    embed_layernorm_kernel<C><<<unsigned(T), kThreads, 0, stream>>>(
        ids, positions, types, word, pos, type_table, gamma, beta, d, eps, out, static_cast<C*>(copy));
  });
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace bte::cuda
