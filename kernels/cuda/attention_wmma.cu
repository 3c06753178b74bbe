// Launches the fp16 / bf16 tensor-core attention kernel
// (attention_wmma_kernel.cuh, where its design is described).
#include <cstdint>

#include "kernels/cuda/attention_wmma_kernel.cuh"
#include "kernels/cuda/check_cuda.h"

namespace bte::cuda {
namespace {

using namespace wmma_attention;

template <typename T, int DH>
void launch(const AttentionParams& p, cudaStream_t stream) {
  using Sh = WmmaShape<DH>;
  // Above 48 KB a kernel's dynamic shared memory must be opted in, once.
  static const bool opted_in = [] {
    BTE_CUDA_CHECK(cudaFuncSetAttribute(attention_wmma_kernel<T, DH>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        int(Sh::smem)));
    return true;
  }();
  (void)opted_in;
  attention_wmma_kernel<T, DH>
      <<<attention_grid(p, Sh::BQ), Sh::kThreads, Sh::smem, stream>>>(p, attention_scale(DH));
  BTE_CUDA_CHECK(cudaGetLastError());
}

template <typename T>
void dispatch_dim(const AttentionParams& p, cudaStream_t stream) {
  switch (p.head_dim) {
    case 16: return launch<T, 16>(p, stream);
    case 32: return launch<T, 32>(p, stream);
    case 64: return launch<T, 64>(p, stream);
    case 80: return launch<T, 80>(p, stream);
    case 96: return launch<T, 96>(p, stream);
    case 128: return launch<T, 128>(p, stream);
  }
  BTE_FAIL(ErrorKind::BadModel, "no CUDA attention kernel for head dim ", p.head_dim);
}

}  // namespace

void attention_wmma(const AttentionParams& p, DType type, cudaStream_t stream) {
  BTE_CHECK(type != DType::F32, "attention_wmma takes fp16 or bf16");
  // 16-byte loads of Q, K and V rows.
  BTE_CHECK(p.ld_qkv % 8 == 0 && reinterpret_cast<uintptr_t>(p.qkv) % 16 == 0,
            "qkv rows must be 16-byte aligned (ld_qkv ", p.ld_qkv, ")");
  if (p.n_seqs == 0 || p.max_len == 0 || p.heads == 0) return;
  if (type == DType::F16) dispatch_dim<__half>(p, stream);
  else dispatch_dim<__nv_bfloat16>(p, stream);
}

}  // namespace bte::cuda
