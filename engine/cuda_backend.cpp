// The GPU backends, one class in two configurations:
//
//  fused (the fast path; fused and packed modes), in fp32, fp16 or bf16:
//    embed + LN (also writes x rounded to the GEMM type)
//    qkv   = x Wqkvᵀ + b                  cuBLASLt, bias in the epilogue
//    ctx   = attention(qkv)               one launch, varlen, online softmax
//    x     = LN(x + ctx Woᵀ + bo)         GEMM to fp32, then one fused
//                                         bias + residual + LN kernel
//    h     = gelu(x Wupᵀ + bup)           GEMM with bias epilogue, exact GELU
//    x     = LN(x + h Wdownᵀ + bdown)     as the out projection
//  The residual stream x, LayerNorm and softmax statistics stay fp32. In
//  fp16 / bf16 the GEMM inputs, qkv, ctx and h are 16-bit: every op that
//  writes x also writes its 16-bit copy xh into scratch, and the next GEMM
//  reads xh (the runner calls the ops in graph order on one scratch).
//
//  slow path (the reference mode), fp32 only: three Q/K/V GEMMs, an
//  explicit masked score tensor, and every bias, GELU, residual and
//  LayerNorm its own pass, as an unfused framework runs it.
//
// One stream per backend (per engine): concurrent runners queue on it, each
// with its own arena. Every CUDA and cuBLAS call is checked.
#include "engine/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <vector>

#include "base/check.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/attention_explicit.h"
#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/cublas_api.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/layernorm.h"
#include "kernels/cuda/linear.h"
#include "kernels/cuda/pooling.h"

namespace bte {
namespace {

// fp32 host data, copied once to the device.
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const float* host, int64_t n, const char* what) {
    if (!host || n == 0) return;
    p_ = static_cast<float*>(cuda::device_allocate(size_t(n) * sizeof(float), what));
    BTE_CUDA_CHECK(cudaMemcpy(p_, host, size_t(n) * sizeof(float), cudaMemcpyHostToDevice));
  }
  ~DeviceArray() {
    if (p_) cudaFree(p_);
  }
  DeviceArray(DeviceArray&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  const float* get() const { return p_; }

 private:
  float* p_ = nullptr;
};

struct Layer {
  std::unique_ptr<cuda::Linear> qkv, q, k, v, out, up, down;
  DeviceArray qkv_b, out_b, up_b, down_b;  // biases our kernels add (slow path: all of them)
  DeviceArray attn_ln_g, attn_ln_b, ffn_ln_g, ffn_ln_b;
};

// The stream and the cuBLAS handle, released even when a later step of the
// constructor throws (out of GPU memory while uploading, say).
struct StreamAndBlas {
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  StreamAndBlas() {
    const auto& api = cuda::cublas_api();  // may throw (no libcublas): before the stream exists
    BTE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    if (api.Create(&blas) != CUBLAS_STATUS_SUCCESS) {
      cudaStreamDestroy(stream);
      BTE_FAIL(ErrorKind::Device, "cublasCreate failed (out of GPU memory, or no usable GPU)");
    }
  }
  ~StreamAndBlas() {
    cuda::cublas_api().Destroy(blas);
    cudaStreamDestroy(stream);
  }
  StreamAndBlas(const StreamAndBlas&) = delete;
  StreamAndBlas& operator=(const StreamAndBlas&) = delete;
};

// Runs before any member that allocates on the GPU: a clear error first.
const ModelConfig& checked(const ModelConfig& c, bool slow) {
  BTE_REQUIRE(cuda::device_count() > 0, ErrorKind::Device, "device cuda: ", cuda::device_summary());
  BTE_CUDA_CHECK(cudaSetDevice(0));
  BTE_REQUIRE(c.hidden <= 2048, ErrorKind::BadModel,
              "the CUDA LayerNorm takes hidden sizes up to 2048; this model has ", c.hidden);
  BTE_REQUIRE(slow || cuda::attention_supports_head_dim(c.head_dim()), ErrorKind::BadModel,
              "the CUDA attention kernel takes head dims 16, 32, 64, 80, 96 or 128; this model has ",
              c.head_dim());
  return c;
}

constexpr size_t kAlign = 256;  // cuBLASLt's preferred pointer alignment
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

class CudaBackend final : public Backend {
 public:
  CudaBackend(const ModelWeights& w, bool slow, DType dtype)
      : c_(checked(w.config, slow)), slow_(slow), t_(slow ? DType::F32 : dtype),
        stream_(sb_.stream), blas_(sb_.blas) {
    const int d = c_.hidden, f = c_.ffn;
    BTE_CUBLAS_CHECK(cuda::cublas_api().SetStream(blas_, stream_));
    BTE_CUBLAS_CHECK(cuda::cublas_api().SetMathMode(blas_, CUBLAS_DEFAULT_MATH));  // no TF32: fp32 stays fp32

    word_ = DeviceArray(w.word, int64_t(c_.vocab) * d, "the word embeddings");
    position_ = DeviceArray(w.position, int64_t(c_.max_positions) * d, "the position embeddings");
    if (w.token_type)
      token_type_ = DeviceArray(w.token_type, int64_t(c_.token_types) * d, "the token type table");
    emb_ln_g_ = DeviceArray(w.emb_ln_g, d, "the embedding LayerNorm");
    emb_ln_b_ = DeviceArray(w.emb_ln_b, d, "the embedding LayerNorm");
    w.release_pages(w.word, int64_t(c_.vocab) * d);

    const DType F32 = DType::F32;
    for (const LayerWeights& L : w.layers) {
      Layer G;
      if (slow_) {
        G.q = std::make_unique<cuda::Linear>(lt_, L.qkv_w, nullptr, d, d, F32, F32);
        G.k = std::make_unique<cuda::Linear>(lt_, L.qkv_w + int64_t(d) * d, nullptr, d, d, F32, F32);
        G.v = std::make_unique<cuda::Linear>(lt_, L.qkv_w + 2 * int64_t(d) * d, nullptr, d, d, F32, F32);
        G.up = std::make_unique<cuda::Linear>(lt_, L.up_w, nullptr, f, d, F32, F32);
        G.qkv_b = DeviceArray(L.qkv_b, 3 * d, "a QKV bias");
        G.up_b = DeviceArray(L.up_b, f, "an FFN bias");
      } else {
        G.qkv = std::make_unique<cuda::Linear>(lt_, L.qkv_w, L.qkv_b, 3 * d, d, t_, t_);
        G.up = std::make_unique<cuda::Linear>(lt_, L.up_w, L.up_b, f, d, t_, t_);
      }
      // The residual projections write fp32 (the residual stream's type).
      G.out = std::make_unique<cuda::Linear>(lt_, L.out_w, nullptr, d, d, t_, F32);
      G.down = std::make_unique<cuda::Linear>(lt_, L.down_w, nullptr, d, f, t_, F32);
      G.out_b = DeviceArray(L.out_b, d, "an output projection bias");
      G.down_b = DeviceArray(L.down_b, d, "an FFN bias");
      G.attn_ln_g = DeviceArray(L.attn_ln_g, d, "a LayerNorm");
      G.attn_ln_b = DeviceArray(L.attn_ln_b, d, "a LayerNorm");
      G.ffn_ln_g = DeviceArray(L.ffn_ln_g, d, "a LayerNorm");
      G.ffn_ln_b = DeviceArray(L.ffn_ln_b, d, "a LayerNorm");
      layers_.push_back(std::move(G));
      w.release_pages(L.qkv_w, 3LL * d * d);
      w.release_pages(L.out_w, int64_t(d) * d);
      w.release_pages(L.up_w, int64_t(f) * d);
      w.release_pages(L.down_w, int64_t(d) * f);
    }
    if (c_.sequence_head())
      head_dense_ = std::make_unique<cuda::Linear>(lt_, w.head_dense_w, w.head_dense_b, d, d, F32, F32);
    if (c_.has_head()) {
      head_out_ = std::make_unique<cuda::Linear>(lt_, w.head_out_w, w.head_out_b, c_.num_labels, d,
                                                 F32, F32);
    }
  }

  ~CudaBackend() override { cudaStreamSynchronize(stream_); }

  std::string describe() const override {
    const std::string gpu = cuda::device_summary();
    if (slow_)
      return "cuda reference (slow path: unfused; separate Q/K/V cuBLASLt GEMMs, explicit "
             "N*H*L*L masked scores via cuBLAS, separate softmax, bias, GELU, residual and "
             "LayerNorm passes; fp32; " + gpu + ")";
    return std::string("cuda fused ") + dtype_name(t_) + " (cuBLASLt " + dtype_name(t_) +
           " GEMMs, fp32 accumulation" + (t_ == DType::F32 ? ", no TF32" : "") +
           "; attention: " +
           (t_ == DType::F32 ? "fp32 CUDA-core kernel" : "tensor-core (WMMA) kernel") +
           ", one launch per layer, online softmax; fp32 residual, LayerNorm and softmax; " + gpu + ")";
  }

  // ---- memory ---------------------------------------------------------------
  void* allocate(size_t bytes) override { return cuda::device_allocate(bytes, "the workspace"); }
  void release(void* p) override { cudaFree(p); }
  void upload(void* dst, const void* src, size_t n) override {
    BTE_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, stream_));
  }
  void download(void* dst, const void* src, size_t n) override {
    BTE_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, stream_));
    BTE_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void synchronize() override { BTE_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  // scratch = [align pad | xh: rows x d in t_ (16-bit only) | delta: rows x d fp32
  //            | cuBLASLt workspace | slow path: the explicit scores]
  int64_t scratch_floats(const VarlenLayout& layout) const override {
    const int64_t rows = layout.total_rows();
    size_t bytes = kAlign + xh_bytes(rows) + round_up(size_t(rows) * c_.hidden * 4) +
                   cuda::Linear::kWorkspaceBytes;
    if (slow_) bytes += size_t(cuda::explicit_scores_floats(layout, c_.heads)) * 4;
    return int64_t(bytes / 4);
  }

  // ---- ops --------------------------------------------------------------------
  void embed(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t rows,
             float* x, float* scratch) override {
    cuda::embed_layernorm(ids, positions, types, rows, word_.get(), position_.get(), token_type_.get(),
                          emb_ln_g_.get(), emb_ln_b_.get(), c_.hidden, c_.layer_norm_eps, x,
                          stream_, carve(scratch, rows).xh, t_);
  }

  void qkv_projection(int layer, const float* x, int64_t rows, float* qkv, float* scratch) override {
    const Layer& G = layers_[layer];
    const Scratch s = carve(scratch, rows);
    if (!slow_) {
      G.qkv->forward(gemm_input(x, s), rows, qkv, s.workspace, cuda::Linear::kWorkspaceBytes, stream_);
      return;
    }
    const int d = c_.hidden;
    const cuda::Linear* parts[3] = {G.q.get(), G.k.get(), G.v.get()};
    for (int p = 0; p < 3; ++p)  // three products into the q | k | v thirds of each row
      parts[p]->forward(x, rows, qkv + p * d, s.workspace, cuda::Linear::kWorkspaceBytes, stream_, 3 * d);
    cuda::add_bias(qkv, DType::F32, rows, 3 * d, G.qkv_b.get(), stream_);
  }

  void attention(const float* qkv, const VarlenLayout& layout, float* ctx, float* scratch) override {
    const int d = c_.hidden;
    if (slow_) {
      const Scratch s = carve(scratch, layout.total_rows());
      cuda::attention_explicit(blas_, qkv, qkv + d, qkv + 2 * d, 3 * d, layout, c_.heads,
                               c_.head_dim(), ctx, d, s.scores, stream_);
      return;
    }
    cuda::AttentionParams p;
    p.qkv = qkv;
    p.ld_qkv = 3 * d;
    p.out = ctx;
    p.ld_out = d;
    p.cu_seqlens = layout.cu_seqlens_device;
    p.n_seqs = layout.n_seqs;
    p.max_len = layout.max_len;
    p.heads = c_.heads;
    p.head_dim = c_.head_dim();
    p.padded = layout.padded;
    cuda::attention(p, t_, stream_);
  }

  void out_projection_residual_ln(int layer, const float* ctx, int64_t rows, float* x,
                                  float* scratch) override {
    const Layer& G = layers_[layer];
    residual_ln(*G.out, ctx, G.out_b, G.attn_ln_g, G.attn_ln_b, rows, x, scratch);
  }

  void ffn_up_gelu(int layer, const float* x, int64_t rows, float* h, float* scratch) override {
    const Layer& G = layers_[layer];
    const Scratch s = carve(scratch, rows);
    G.up->forward(gemm_input(x, s), rows, h, s.workspace, cuda::Linear::kWorkspaceBytes, stream_);
    if (slow_) cuda::add_bias(h, DType::F32, rows, c_.ffn, G.up_b.get(), stream_);
    cuda::gelu_inplace(h, t_, rows * c_.ffn, stream_);
  }

  void ffn_down_residual_ln(int layer, const float* h, int64_t rows, float* x,
                            float* scratch) override {
    const Layer& G = layers_[layer];
    residual_ln(*G.down, h, G.down_b, G.ffn_ln_g, G.ffn_ln_b, rows, x, scratch);
  }

  void pool(const float* x, const VarlenLayout& layout, Pooling pooling, float* out) override {
    cuda::DeviceLayout L;
    L.cu_seqlens = layout.cu_seqlens_device;
    L.n_seqs = layout.n_seqs;
    L.max_len = layout.max_len;
    L.padded = layout.padded;
    switch (pooling) {
      case Pooling::Cls: cuda::pool_cls(x, L, c_.hidden, out, stream_); break;
      case Pooling::Mean: cuda::pool_mean(x, L, c_.hidden, out, stream_); break;
      case Pooling::Max: cuda::pool_max(x, L, c_.hidden, out, stream_); break;
    }
  }

  void l2_normalize(float* x, int64_t rows) override {
    cuda::l2_normalize_rows(x, rows, c_.hidden, stream_);
  }

  void classifier_head(const float* cls, int64_t n, float* tmp, float* logits) override {
    // Tiny GEMMs (n rows): no workspace needed.
    head_dense_->forward(cls, n, tmp, nullptr, 0, stream_);
    if (relu_head_)
      cuda::relu_inplace(tmp, n * c_.hidden, stream_);
    else
      cuda::tanh_inplace(tmp, n * c_.hidden, stream_);
    head_out_->forward(tmp, n, logits, nullptr, 0, stream_);
  }
  void token_classifier_head(const float* x, int64_t rows, float* logits) override {
    head_out_->forward(x, rows, logits, nullptr, 0, stream_);
  }

 private:
  struct Scratch {
    void* xh = nullptr;  // null in fp32 and on the slow path
    float* delta = nullptr;
    void* workspace = nullptr;
    float* scores = nullptr;
  };

  size_t xh_bytes(int64_t rows) const {
    return t_ == DType::F32 ? 0 : round_up(size_t(rows) * c_.hidden * dtype_size(t_));
  }

  // The same carving for every op of a batch (it depends on rows alone).
  Scratch carve(float* scratch, int64_t rows) const {
    auto base = (reinterpret_cast<uintptr_t>(scratch) + kAlign - 1) / kAlign * kAlign;
    Scratch s;
    if (t_ != DType::F32) s.xh = reinterpret_cast<void*>(base);
    base += xh_bytes(rows);
    s.delta = reinterpret_cast<float*>(base);
    base += round_up(size_t(rows) * c_.hidden * 4);
    s.workspace = reinterpret_cast<void*>(base);
    base += cuda::Linear::kWorkspaceBytes;
    s.scores = reinterpret_cast<float*>(base);
    return s;
  }

  // x as the GEMMs take it: itself (fp32) or its 16-bit copy.
  const void* gemm_input(const float* x, const Scratch& s) const {
    return t_ == DType::F32 ? static_cast<const void*>(x) : s.xh;
  }

  // x = LN(x + a Wᵀ + b): the GEMM writes fp32 delta, then one fused kernel
  // (fast path) or three passes: bias, residual, LayerNorm (slow path).
  void residual_ln(const cuda::Linear& gemm, const float* a, const DeviceArray& bias,
                   const DeviceArray& gamma, const DeviceArray& beta, int64_t rows, float* x,
                   float* scratch) {
    const int d = c_.hidden;
    const Scratch s = carve(scratch, rows);
    gemm.forward(a, rows, s.delta, s.workspace, cuda::Linear::kWorkspaceBytes, stream_);
    if (!slow_) {
      cuda::bias_residual_layernorm(x, s.delta, bias.get(), gamma.get(), beta.get(), rows, d,
                                    c_.layer_norm_eps, s.xh, t_, stream_);
      return;
    }
    cuda::add_bias(s.delta, DType::F32, rows, d, bias.get(), stream_);
    cuda::add_inplace(x, s.delta, rows * d, stream_);
    cuda::bias_residual_layernorm(x, nullptr, nullptr, gamma.get(), beta.get(), rows, d,
                                  c_.layer_norm_eps, nullptr, DType::F32, stream_);
  }

  const ModelConfig c_;
  // The head's activation, from the family once (DistilBERT: ReLU, else tanh).
  const bool relu_head_ = model_family(c_.family).head == HeadKind::DenseReluOnFirstToken;
  const bool slow_;
  const DType t_;
  StreamAndBlas sb_;
  cudaStream_t stream_;
  cublasHandle_t blas_;
  cuda::LtHandle lt_;
  DeviceArray word_, position_, token_type_, emb_ln_g_, emb_ln_b_;
  std::vector<Layer> layers_;
  std::unique_ptr<cuda::Linear> head_dense_, head_out_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const ModelWeights& weights, bool slow_path, DType dtype) {
  return std::make_unique<CudaBackend>(weights, slow_path, dtype);
}

}  // namespace bte
