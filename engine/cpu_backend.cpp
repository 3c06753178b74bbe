// The fast path on the CPU: oneDNN GEMMs with the bias, GELU and residual
// fused as epilogues (weights prepared once here, at load), our fused
// attention over the layout it is given (packed: no work on padding), and
// LayerNorm in place right after the residual GEMM.
//
// bf16 (CPUs with AVX512_BF16 or AMX): weights and GEMM inputs in bf16,
// fp32 accumulation, fp32 GEMM outputs except the FFN hidden (bf16 straight
// from the GELU epilogue: it only feeds the down projection). The residual
// stream, attention, softmax and LayerNorm stay fp32. A GEMM input is
// rounded to bf16 at the start of the op that consumes it, into scratch:
//   scratch = [activations in bf16, rows x d | attention scratch]
// (both sizes follow from the batch, so concurrent runs share no state).
#include <cstring>
#include <vector>

#include "engine/host_backends.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"

namespace bte {
namespace {

struct LayerLinears {
  cpu::Linear qkv, out, up, down;
};

class CpuBackend final : public HostBackend {
 public:
  CpuBackend(const ModelWeights& w, int threads, bool bf16) : w_(w), c_(w.config), bf16_(bf16) {
    cpu::set_num_threads(threads);
    const int d = c_.hidden, f = c_.ffn;
    using P = DType;
    const P in = bf16 ? P::BF16 : P::F32;
    for (const LayerWeights& L : w.layers) {
      layers_.push_back(LayerLinears{
          cpu::Linear(L.qkv_w, L.qkv_b, 3 * d, d, cpu::Epilogue::None, in, P::F32),
          cpu::Linear(L.out_w, L.out_b, d, d, cpu::Epilogue::AddToOutput, in, P::F32),
          cpu::Linear(L.up_w, L.up_b, f, d, cpu::Epilogue::Gelu, in, in),
          cpu::Linear(L.down_w, L.down_b, d, f, cpu::Epilogue::AddToOutput, in, P::F32)});
      // Repacked: the mapped originals need not stay resident (peak memory ~1x weights).
      w.release_pages(L.qkv_w, 3LL * d * d);
      w.release_pages(L.out_w, int64_t(d) * d);
      w.release_pages(L.up_w, int64_t(f) * d);
      w.release_pages(L.down_w, int64_t(d) * f);
    }
    if (c_.sequence_head())
      head_dense_ = std::make_unique<cpu::Linear>(
          w.head_dense_w, w.head_dense_b, d, d,
          model_family(c_.family).head == HeadKind::DenseReluOnFirstToken ? cpu::Epilogue::Relu
                                                                          : cpu::Epilogue::Tanh);
    if (c_.has_head()) {
      head_out_ = std::make_unique<cpu::Linear>(w.head_out_w, w.head_out_b, c_.num_labels, d,
                                                cpu::Epilogue::None);
    }
  }

  std::string describe() const override {
    return std::string("cpu fused ") + (bf16_ ? "bf16 (bf16 GEMMs, fp32 accumulation, fp32 LayerNorm/softmax)" : "fp32") +
           " (" + cpu::onednn_summary() + "; our kernels " + cpu::kernel_variant() +
           "; " + std::to_string(cpu::num_threads()) + " threads; CPU " +
           cpu::cpu_features().brand + ": " + cpu::cpu_flags_string() + ")";
  }

  int64_t scratch_floats(const VarlenLayout& layout) const override {
    return bf16_floats(layout.total_rows()) +
           cpu::attention_scratch_floats(layout, c_.heads, c_.head_dim(), cpu::num_threads());
  }

  void embed(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t rows,
             float* x, float*) override {
    cpu::embed_layernorm(ids, positions, types, rows, w_.word, w_.position, w_.token_type, w_.emb_ln_g,
                         w_.emb_ln_b, c_.hidden, c_.layer_norm_eps, x);
  }
  void qkv_projection(int layer, const float* x, int64_t rows, float* qkv, float* scratch) override {
    layers_[layer].qkv.forward_any(gemm_input(x, rows, scratch), rows, qkv);
  }
  void attention(const float* qkv, const VarlenLayout& layout, float* ctx,
                 float* scratch) override {
    cpu::attention(qkv, 3 * c_.hidden, layout, c_.heads, c_.head_dim(), ctx, c_.hidden,
                   scratch + bf16_floats(layout.total_rows()));
  }
  void out_projection_residual_ln(int layer, const float* ctx, int64_t rows, float* x,
                                  float* scratch) override {
    const LayerWeights& L = w_.layers[layer];
    layers_[layer].out.forward_any(gemm_input(ctx, rows, scratch), rows, x);  // x += ctx Woᵀ + b
    cpu::layernorm_inplace(x, rows, c_.hidden, L.attn_ln_g, L.attn_ln_b, c_.layer_norm_eps);
  }
  // h: [rows, f], bf16 in the bf16 path (only ffn_down reads it).
  void ffn_up_gelu(int layer, const float* x, int64_t rows, float* h, float* scratch) override {
    layers_[layer].up.forward_any(gemm_input(x, rows, scratch), rows, h);
  }
  void ffn_down_residual_ln(int layer, const float* h, int64_t rows, float* x, float*) override {
    const LayerWeights& L = w_.layers[layer];
    layers_[layer].down.forward_any(h, rows, x);  // x += h Wdᵀ + b
    cpu::layernorm_inplace(x, rows, c_.hidden, L.ffn_ln_g, L.ffn_ln_b, c_.layer_norm_eps);
  }
  void pool(const float* x, const VarlenLayout& layout, Pooling pooling, float* out) override {
    switch (pooling) {
      case Pooling::Cls: cpu::pool_cls(x, layout, c_.hidden, out); break;
      case Pooling::Mean: cpu::pool_mean(x, layout, c_.hidden, out); break;
      case Pooling::Max: cpu::pool_max(x, layout, c_.hidden, out); break;
    }
  }
  void l2_normalize(float* x, int64_t rows) override { cpu::l2_normalize_rows(x, rows, c_.hidden); }
  void classifier_head(const float* cls, int64_t n, float* tmp, float* logits) override {
    head_dense_->forward(cls, n, tmp);
    head_out_->forward(tmp, n, logits);
  }
  void token_classifier_head(const float* x, int64_t rows, float* logits) override {
    head_out_->forward(x, rows, logits);
  }

 private:
  // Floats holding a [rows, d] bf16 matrix, rounded up to 64 bytes.
  int64_t bf16_floats(int64_t rows) const {
    return bf16_ ? (rows * c_.hidden / 2 + 16) / 16 * 16 : 0;
  }
  // A [rows, d] GEMM input as the GEMMs take it: itself (fp32), or rounded
  // to bf16 into the front of scratch.
  const void* gemm_input(const float* a, int64_t rows, float* scratch) const {
    if (!bf16_) return a;
    auto* out = reinterpret_cast<uint16_t*>(scratch);
    cpu::to_bf16(a, out, rows * c_.hidden);
    return out;
  }

  const ModelWeights& w_;
  const ModelConfig& c_;
  const bool bf16_;
  std::vector<LayerLinears> layers_;
  std::unique_ptr<cpu::Linear> head_dense_, head_out_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelWeights& weights, int threads, bool bf16) {
  return std::make_unique<CpuBackend>(weights, threads, bf16);
}

}  // namespace bte
