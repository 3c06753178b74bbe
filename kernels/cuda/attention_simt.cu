// Launches the fp32 CUDA-core attention kernel (attention_simt_kernel.cuh,
// where its design is described).

#include "kernels/cuda/attention_simt_kernel.cuh"
#include "kernels/cuda/check_cuda.h"

namespace bte::cuda {
namespace {

using namespace simt_attention;

template <int DH>
void launch(const AttentionParams& p, cudaStream_t stream) {
  using Sh = SimtShape<DH>;
  attention_simt_kernel<DH><<<attention_grid(p, Sh::BQ), Sh::kThreads, 0, stream>>>(p, attention_scale(DH));
  BTE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void attention_simt_f32(const AttentionParams& p, cudaStream_t stream) {
  if (p.n_seqs == 0 || p.max_len == 0 || p.heads == 0) return;
  switch (p.head_dim) {
    case 16: return launch<16>(p, stream);
    case 32: return launch<32>(p, stream);
    case 64: return launch<64>(p, stream);
    case 80: return launch<80>(p, stream);
    case 96: return launch<96>(p, stream);
    case 128: return launch<128>(p, stream);
  }
  BTE_FAIL(ErrorKind::BadModel, "no CUDA attention kernel for head dim ", p.head_dim);
}

}  // namespace bte::cuda
