// The slow path, as PyTorch computes it without Better Transformer: padded
// rows, three separate Q, K, V products, an explicit N×H×L×L score tensor
// with the key-padding mask applied as its own pass, a separate softmax,
// and every bias / GELU / residual / LayerNorm its own pass over memory.
// GEMMs go through oneDNN with no fused epilogue (as PyTorch's slow path
// goes through BLAS); everything else is kernels/reference/ (plain loops).
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/host_backends.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/ops.h"
#include "kernels/reference/embedding.h"
#include "kernels/reference/ops.h"

namespace bte {
namespace {

// A GEMM without bias or epilogue: y = x Wᵀ.
cpu::Linear plain(const float* W, int N, int K) {
  return cpu::Linear(W, nullptr, N, K, cpu::Epilogue::None);
}

struct LayerGemms {
  cpu::Linear q, k, v, out, up, down;
};

class ReferenceBackend final : public HostBackend {
 public:
  ReferenceBackend(const ModelWeights& w, int threads) : w_(w), c_(w.config) {
    cpu::set_num_threads(threads);
    const int d = c_.hidden, f = c_.ffn;
    for (const LayerWeights& L : w.layers) {
      layers_.push_back(LayerGemms{plain(L.qkv_w, d, d), plain(L.qkv_w + int64_t(d) * d, d, d),
                                   plain(L.qkv_w + 2 * int64_t(d) * d, d, d), plain(L.out_w, d, d),
                                   plain(L.up_w, f, d), plain(L.down_w, d, f)});
      w.release_pages(L.qkv_w, 3LL * d * d);
      w.release_pages(L.out_w, int64_t(d) * d);
      w.release_pages(L.up_w, int64_t(f) * d);
      w.release_pages(L.down_w, int64_t(d) * f);
    }
  }

  std::string describe() const override {
    return "reference (slow path: unfused; separate Q/K/V GEMMs via oneDNN without epilogues, "
           "explicit N*H*L*L masked scores, separate softmax, bias, GELU, residual and LayerNorm "
           "passes; " + std::to_string(cpu::num_threads()) + " threads for the GEMMs)";
  }

  // q, k, v: [rows, d] each (reused as the [rows, d] temporary of the
  // residual projections), then the score tensor [N, H, L, L].
  int64_t scratch_floats(const VarlenLayout& layout) const override {
    const int64_t L = layout.max_len;
    return 3 * layout.total_rows() * c_.hidden + int64_t(layout.n_seqs) * c_.heads * L * L;
  }

  void embed(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t rows,
             float* x, float*) override {
    ref::embed_layernorm(ids, positions, types, rows, w_.word, w_.position, w_.token_type, w_.emb_ln_g,
                         w_.emb_ln_b, c_.hidden, c_.layer_norm_eps, x);
  }

  void qkv_projection(int layer, const float* x, int64_t rows, float* qkv, float* scratch) override {
    const LayerWeights& L = w_.layers[layer];
    const LayerGemms& G = layers_[layer];
    const int d = c_.hidden;
    const cpu::Linear* parts[3] = {&G.q, &G.k, &G.v};
    for (int p = 0; p < 3; ++p) {  // query, key, value: three products, three bias passes
      float* y = scratch + p * rows * d;
      parts[p]->forward(x, rows, y);
      ref::add_bias(y, rows, d, L.qkv_b + p * d);
    }
    // The attention op reads [q | k | v] rows, like every backend's.
    for (int64_t r = 0; r < rows; ++r)
      for (int p = 0; p < 3; ++p)
        std::memcpy(qkv + r * 3 * d + p * d, scratch + p * rows * d + r * d, sizeof(float) * d);
  }

  void attention(const float* qkv, const VarlenLayout& layout, float* ctx, float* scratch) override {
    const int H = c_.heads, dh = c_.head_dim(), d = c_.hidden, Lmax = layout.max_len;
    const int n = layout.n_seqs;
    float* scores = scratch + 3 * layout.total_rows() * d;  // [n, H, Lmax, Lmax]
    const float scale = 1.0f / std::sqrt(float(dh));
    auto score = [&](int i, int h, int a, int b) -> float& {
      return scores[((int64_t(i) * H + h) * Lmax + a) * Lmax + b];
    };
    // 1. scores = Q Kᵀ / sqrt(dh) for every query and key slot of the padded sequence.
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int i = 0; i < n; ++i)
      for (int h = 0; h < H; ++h) {
        const int rows = layout.rows(i);
        const float* base = qkv + layout.row_begin(i) * 3 * d;
        for (int a = 0; a < rows; ++a)
          for (int b = 0; b < rows; ++b) {
            float s = 0;
            for (int e = 0; e < dh; ++e)
              s += base[int64_t(a) * 3 * d + h * dh + e] * base[int64_t(b) * 3 * d + d + h * dh + e];
            score(i, h, a, b) = s * scale;
          }
      }
    // 2. The key-padding mask, its own pass.
    for (int i = 0; i < n; ++i)
      for (int h = 0; h < H; ++h)
        for (int a = 0; a < layout.rows(i); ++a)
          for (int b = layout.seq_len(i); b < Lmax; ++b) score(i, h, a, b) = -INFINITY;
    // 3. Softmax over keys, its own pass.
    for (int i = 0; i < n; ++i)
      for (int h = 0; h < H; ++h) ref::softmax_rows(&score(i, h, 0, 0), layout.rows(i), Lmax);
    // 4. ctx = P V.
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int i = 0; i < n; ++i)
      for (int h = 0; h < H; ++h) {
        const int rows = layout.rows(i);
        const float* base = qkv + layout.row_begin(i) * 3 * d;
        float* out = ctx + layout.row_begin(i) * d;
        for (int a = 0; a < rows; ++a)
          for (int e = 0; e < dh; ++e) {
            float s = 0;
            for (int b = 0; b < rows; ++b)
              s += score(i, h, a, b) * base[int64_t(b) * 3 * d + 2 * d + h * dh + e];
            out[int64_t(a) * d + h * dh + e] = s;
          }
      }
  }

  void out_projection_residual_ln(int layer, const float* ctx, int64_t rows, float* x,
                                  float* scratch) override {
    const LayerWeights& L = w_.layers[layer];
    residual_ln(layers_[layer].out, ctx, L.out_b, L.attn_ln_g, L.attn_ln_b, rows, x, scratch);
  }

  void ffn_up_gelu(int layer, const float* x, int64_t rows, float* h, float*) override {
    layers_[layer].up.forward(x, rows, h);
    ref::add_bias(h, rows, c_.ffn, w_.layers[layer].up_b);
    ref::gelu_inplace(h, rows * c_.ffn);
  }

  void ffn_down_residual_ln(int layer, const float* h, int64_t rows, float* x,
                            float* scratch) override {
    const LayerWeights& L = w_.layers[layer];
    residual_ln(layers_[layer].down, h, L.down_b, L.ffn_ln_g, L.ffn_ln_b, rows, x, scratch);
  }

  void pool(const float* x, const VarlenLayout& layout, Pooling pooling, float* out) override {
    switch (pooling) {
      case Pooling::Cls: ref::pool_cls(x, layout, c_.hidden, out); break;
      case Pooling::Mean: ref::pool_mean(x, layout, c_.hidden, out); break;
      case Pooling::Max: ref::pool_max(x, layout, c_.hidden, out); break;
    }
  }
  void l2_normalize(float* x, int64_t rows) override { ref::l2_normalize_rows(x, rows, c_.hidden); }

  void classifier_head(const float* cls, int64_t n, float* tmp, float* logits) override {
    ref::matmul_nt(cls, n, c_.hidden, w_.head_dense_w, c_.hidden, tmp);
    ref::add_bias(tmp, n, c_.hidden, w_.head_dense_b);
    if (relu_head_)
      ref::relu_inplace(tmp, n * c_.hidden);
    else
      ref::tanh_inplace(tmp, n * c_.hidden);
    ref::matmul_nt(tmp, n, c_.hidden, w_.head_out_w, c_.num_labels, logits);
    ref::add_bias(logits, n, c_.num_labels, w_.head_out_b);
  }
  void token_classifier_head(const float* x, int64_t rows, float* logits) override {
    ref::matmul_nt(x, rows, c_.hidden, w_.head_out_w, c_.num_labels, logits);
    ref::add_bias(logits, rows, c_.num_labels, w_.head_out_b);
  }

 private:
  // x = LN(x + in Wᵀ + b), each step its own pass.
  void residual_ln(const cpu::Linear& gemm, const float* in, const float* b, const float* g,
                   const float* beta, int64_t rows, float* x, float* tmp) {
    const int d = c_.hidden;
    gemm.forward(in, rows, tmp);
    ref::add_bias(tmp, rows, d, b);
    ref::add_inplace(tmp, x, rows * d);
    ref::layernorm(tmp, rows, d, g, beta, c_.layer_norm_eps, x);
  }

  const ModelWeights& w_;
  const ModelConfig& c_;
  // The head's activation, from the family once (DistilBERT: ReLU, else tanh).
  const bool relu_head_ = model_family(c_.family).head == HeadKind::DenseReluOnFirstToken;
  std::vector<LayerGemms> layers_;
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend(const ModelWeights& weights, int threads) {
  return std::make_unique<ReferenceBackend>(weights, threads);
}

}  // namespace bte
