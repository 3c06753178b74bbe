// The fast path on the CPU: oneDNN GEMMs with the bias, GELU and residual
// fused as epilogues (weights prepared once here, at load), our fused
// attention over the layout it is given (packed: no work on padding), and
// LayerNorm in place right after the residual GEMM.
#include <cstring>
#include <vector>

#include "engine/host_backends.h"
#include "engine/host_memory.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"

namespace bte {
namespace {

struct LayerLinears {
  cpu::Linear qkv, out, up, down;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(const ModelWeights& w, int threads) : w_(w), c_(w.config) {
    cpu::set_num_threads(threads);
    const int d = c_.hidden, f = c_.ffn;
    for (const LayerWeights& L : w.layers) {
      layers_.push_back(LayerLinears{
          cpu::Linear(L.qkv_w, L.qkv_b, 3 * d, d, cpu::Epilogue::None),
          cpu::Linear(L.out_w, L.out_b, d, d, cpu::Epilogue::AddToOutput),
          cpu::Linear(L.up_w, L.up_b, f, d, cpu::Epilogue::Gelu),
          cpu::Linear(L.down_w, L.down_b, d, f, cpu::Epilogue::AddToOutput)});
      // Repacked: the mapped originals need not stay resident (peak memory ~1x weights).
      w.release_pages(L.qkv_w, 3LL * d * d);
      w.release_pages(L.out_w, int64_t(d) * d);
      w.release_pages(L.up_w, int64_t(f) * d);
      w.release_pages(L.down_w, int64_t(d) * f);
    }
    if (c_.has_head()) {
      head_dense_ = std::make_unique<cpu::Linear>(w.head_dense_w, w.head_dense_b, d, d,
                                                  cpu::Epilogue::Tanh);
      head_out_ = std::make_unique<cpu::Linear>(w.head_out_w, w.head_out_b, c_.num_labels, d,
                                                cpu::Epilogue::None);
    }
  }

  std::string describe() const override {
    return "cpu fused (" + cpu::onednn_summary() + "; our kernels " + cpu::kernel_variant() +
           "; " + std::to_string(cpu::num_threads()) + " threads; CPU " +
           cpu::cpu_features().brand + ": " + cpu::cpu_flags_string() + ")";
  }
  void* allocate(size_t bytes) override { return host_allocate(bytes); }
  void release(void* p) override { host_release(p); }
  void upload(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void download(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void synchronize() override {}

  int64_t scratch_floats(const VarlenLayout& layout) const override {
    return cpu::attention_scratch_floats(layout, c_.heads, c_.head_dim(), cpu::num_threads());
  }

  void embed(const int32_t* ids, const int32_t* positions, int64_t rows, float* x) override {
    cpu::embed_layernorm(ids, positions, rows, w_.word, w_.position, w_.token_type, w_.emb_ln_g,
                         w_.emb_ln_b, c_.hidden, c_.layer_norm_eps, x);
  }
  void qkv_projection(int layer, const float* x, int64_t rows, float* qkv, float*) override {
    layers_[layer].qkv.forward(x, rows, qkv);
  }
  void attention(const float* qkv, const VarlenLayout& layout, float* ctx,
                 float* scratch) override {
    cpu::attention(qkv, 3 * c_.hidden, layout, c_.heads, c_.head_dim(), ctx, c_.hidden, scratch);
  }
  void out_projection_residual_ln(int layer, const float* ctx, int64_t rows, float* x,
                                  float*) override {
    const LayerWeights& L = w_.layers[layer];
    layers_[layer].out.forward(ctx, rows, x);  // x += ctx Woᵀ + b
    cpu::layernorm_inplace(x, rows, c_.hidden, L.attn_ln_g, L.attn_ln_b, c_.layer_norm_eps);
  }
  void ffn_up_gelu(int layer, const float* x, int64_t rows, float* h, float*) override {
    layers_[layer].up.forward(x, rows, h);
  }
  void ffn_down_residual_ln(int layer, const float* h, int64_t rows, float* x, float*) override {
    const LayerWeights& L = w_.layers[layer];
    layers_[layer].down.forward(h, rows, x);  // x += h Wdᵀ + b
    cpu::layernorm_inplace(x, rows, c_.hidden, L.ffn_ln_g, L.ffn_ln_b, c_.layer_norm_eps);
  }
  void pool(const float* x, const VarlenLayout& layout, Pooling pooling, float* out) override {
    if (pooling == Pooling::Cls) cpu::pool_cls(x, layout, c_.hidden, out);
    else cpu::pool_mean(x, layout, c_.hidden, out);
  }
  void l2_normalize(float* x, int64_t rows) override { cpu::l2_normalize_rows(x, rows, c_.hidden); }
  void classifier_head(const float* cls, int64_t n, float* tmp, float* logits) override {
    head_dense_->forward(cls, n, tmp);
    head_out_->forward(tmp, n, logits);
  }

 private:
  const ModelWeights& w_;
  const ModelConfig& c_;
  std::vector<LayerLinears> layers_;
  std::unique_ptr<cpu::Linear> head_dense_, head_out_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelWeights& weights, int threads) {
  return std::make_unique<CpuBackend>(weights, threads);
}

}  // namespace bte
