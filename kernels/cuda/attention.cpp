#include "kernels/cuda/attention.h"

#include "base/check.h"

namespace bte::cuda {

bool attention_supports_head_dim(int dh) {
  return dh == 16 || dh == 32 || dh == 64 || dh == 80 || dh == 96 || dh == 128;
}

void attention(const AttentionParams& p, DType type, cudaStream_t stream) {
  BTE_REQUIRE(attention_supports_head_dim(p.head_dim), ErrorKind::BadModel,
              "the CUDA attention kernel takes head dims 16, 32, 64, 80, 96 or 128; this model has ",
              p.head_dim);
  BTE_CHECK(p.ld_qkv >= 3LL * p.heads * p.head_dim && p.ld_out >= int64_t(p.heads) * p.head_dim,
            "attention strides");
  if (type == DType::F32) attention_simt_f32(p, stream);
  else attention_wmma(p, type, stream);
}

}  // namespace bte::cuda
