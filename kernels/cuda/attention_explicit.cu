#include "kernels/cuda/attention_explicit.h"

#include <cmath>

#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/cublas_api.h"
#include "kernels/cuda/masked_softmax_kernel.cuh"

#define BTE_CUBLAS_V2_CHECK(call)                                                           \
  do {                                                                                      \
    cublasStatus_t bte_st_ = (call);                                                        \
    if (bte_st_ != CUBLAS_STATUS_SUCCESS)                                                   \
      BTE_FAIL(::bte::ErrorKind::Device, #call, " failed at ", __FILE__, ":", __LINE__,    \
               ": ", cublas_api().GetStatusString(bte_st_));                                       \
  } while (0)

namespace bte::cuda {

using namespace softmax_kernel;

int64_t explicit_scores_floats(const VarlenLayout& layout, int H) {
  int64_t n = 0;
  for (int i = 0; i < layout.n_seqs; ++i) n += int64_t(H) * layout.rows(i) * layout.rows(i);
  return n;
}

void masked_softmax_rows(float* scores, int64_t n_rows, int R, int len, float scale,
                         cudaStream_t stream) {
  if (n_rows == 0 || R == 0) return;
  masked_softmax_kernel<<<unsigned(n_rows), kThreads, 0, stream>>>(scores, R, len, scale);
  BTE_CUDA_CHECK(cudaGetLastError());
}

void attention_explicit(cublasHandle_t blas, const float* q, const float* k, const float* v,
                        int64_t ld_qkv, const VarlenLayout& layout, int H, int dh, float* out,
                        int64_t ld_out, float* scores, cudaStream_t stream) {
  const float one = 1.f, zero = 0.f, scale = 1.f / std::sqrt(float(dh));
  float* s = scores;
  for (int i = 0; i < layout.n_seqs; ++i) {
    const int R = layout.rows(i), L = layout.seq_len(i);
    if (R == 0) continue;
    const int64_t r0 = layout.row_begin(i);
    // Column-major view: S_hᵀ[R, R] = K_h Q_hᵀ, i.e. row-major S_h = Q_h K_hᵀ;
    // head h+1 is dh columns on; score matrices are R*R apart.
    BTE_CUBLAS_V2_CHECK(cublas_api().SgemmStridedBatched(
        blas, CUBLAS_OP_T, CUBLAS_OP_N, R, R, dh, &one, k + r0 * ld_qkv, int(ld_qkv), dh,
        q + r0 * ld_qkv, int(ld_qkv), dh, &zero, s, R, int64_t(R) * R, H));
    masked_softmax_rows(s, int64_t(H) * R, R, L, scale, stream);
    // Column-major: O_hᵀ[dh, R] = V_hᵀ[dh, R] · P_hᵀ[R, R], i.e. row-major O_h = P_h V_h.
    BTE_CUBLAS_V2_CHECK(cublas_api().SgemmStridedBatched(
        blas, CUBLAS_OP_N, CUBLAS_OP_N, dh, R, R, &one, v + r0 * ld_qkv, int(ld_qkv), dh, s, R,
        int64_t(R) * R, &zero, out + r0 * ld_out, int(ld_out), dh, H));
    s += int64_t(H) * R * R;
  }
}

}  // namespace bte::cuda
