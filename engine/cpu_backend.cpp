// The fast path on the CPU: oneDNN GEMMs with the bias, GELU and residual
// fused as epilogues (weights prepared once here, at load), our fused
// attention over the layout it is given (packed: no work on padding), and
// LayerNorm in place right after the residual GEMM.
//
// bf16 (CPUs with AVX512_BF16 or AMX): weights and GEMM inputs in bf16,
// fp32 accumulation, fp32 GEMM outputs except the FFN hidden (bf16 straight
// from the GELU epilogue: it only feeds the down projection). Attention's
// two products in bf16 (vdpbf16ps, fp32 softmax; cpu::attention with
// DType::BF16) when BTE_ATTENTION=bf16 asks for it (attention_type() says
// why it is not the default). The residual stream, softmax and LayerNorm
// stay fp32. A GEMM input is
// rounded to bf16 at the start of the op that consumes it, into scratch:
//   scratch = [activations in bf16, rows x d | attention scratch]
// (both sizes follow from the batch, so concurrent runs share no state).
//
// int8 (any x86 CPU; oneDNN picks AMX, VNNI or its AVX2 path): the four
// encoder GEMMs of every layer as cpu::LinearInt8 (weights symmetric int8
// per output channel, quantised here at load; activations quantised per
// token row right before each GEMM). The FFN hidden is int8 straight from
// the up projection's epilogue (GELU, then quantised per row):
//   h       = [hs: rows floats | hq: rows x f int8]      (in the runner's wide buffer)
//   scratch = [xs: rows floats | xq: rows x d int8 | int32 sums of one row block | attention]
// BTE_INT8_KEEP_FP32 keeps chosen GEMMs fp32 (measurements: which one costs
// the accuracy); the hidden is then fp32 unless both FFN GEMMs are int8.
// Embeddings, attention (bf16 as in the bf16 path when asked), softmax,
// LayerNorm, the residual stream and the heads stay fp32.
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/host_backends.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/linear_int8.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/quantize.h"

namespace bte {
namespace {

struct LayerLinears {
  cpu::Linear qkv, out, up, down;
};
// The int8 path's four GEMMs of a layer, each int8 or kept fp32 (int8_kept()).
enum Gemm { kQkv, kOut, kUp, kDown };
const char* const kGemmNames[] = {"qkv", "out", "up", "down"};
struct LayerInt8 {
  std::unique_ptr<cpu::LinearInt8> q[4];  // set: int8
  std::unique_ptr<cpu::Linear> f[4];      // set: kept fp32
};

// Which GEMMs the int8 path keeps in fp32, from BTE_INT8_KEEP_FP32 (a comma
// list of qkv, out, up, down): the switch that measures each GEMM's share of
// the int8 error (docs/BENCHMARKS.md). Default: none.
std::array<bool, 4> int8_kept() {
  std::array<bool, 4> keep{};
  const char* env = std::getenv("BTE_INT8_KEEP_FP32");
  const std::string list = env ? std::string(",") + env + "," : "";
  for (int g = 0; g < 4; ++g) keep[g] = list.find(std::string(",") + kGemmNames[g] + ",") != std::string::npos;
  return keep;
}

int64_t round16(int64_t floats) { return (floats + 15) / 16 * 16; }

// Attention's precision: fp32 unless BTE_ATTENTION=bf16 asks for the bf16
// kernel (the bf16 and int8 paths, on CPUs with AVX512_BF16). Not the
// default because it does not pay where measured: on Sapphire Rapids (AMX,
// 2 threads, XLM-R base shapes, the mixed workload) 35.8 ms against fp32's
// 29.6 ms a layer. vdpbf16ps there multiplies at the rate of the two fp32
// FMA ports (one instruction a cycle, twice the products), and packing
// K, V and P into bf16 pairs costs the rest (docs/BENCHMARKS.md).
DType attention_type(DType dtype) {
  const char* env = std::getenv("BTE_ATTENTION");
  const bool asked = env && std::string(env) == "bf16";
  return asked && dtype != DType::F32 && cpu::bf16_attention_available() ? DType::BF16 : DType::F32;
}

class CpuBackend final : public HostBackend {
 public:
  CpuBackend(const ModelWeights& w, int threads, DType dtype)
      : w_(w), c_(w.config), bf16_(dtype == DType::BF16), int8_(dtype == DType::I8) {
    cpu::set_num_threads(threads);
    const int d = c_.hidden, f = c_.ffn;
    using P = DType;
    const P in = bf16_ ? P::BF16 : P::F32;
    for (const LayerWeights& L : w.layers) {
      if (int8_) {
        const struct {
          const float *w, *b;
          const Int8Weight& q;  // an int8 file's rows (else quantised here from w)
          int N, K;
          cpu::Epilogue e;
        } g[4] = {{L.qkv_w, L.qkv_b, L.qkv_q, 3 * d, d, cpu::Epilogue::None},
                  {L.out_w, L.out_b, L.out_q, d, d, cpu::Epilogue::AddToOutput},
                  {L.up_w, L.up_b, L.up_q, f, d, cpu::Epilogue::Gelu},
                  {L.down_w, L.down_b, L.down_q, d, f, cpu::Epilogue::AddToOutput}};
        LayerInt8 l;
        for (int i = 0; i < 4; ++i) {
          if (kept_[i]) {
            BTE_REQUIRE(g[i].w != nullptr, ErrorKind::Unsupported, "BTE_INT8_KEEP_FP32=",
                        kGemmNames[i], " needs a float .bte; this one holds int8 weights");
            l.f[i] = std::make_unique<cpu::Linear>(g[i].w, g[i].b, g[i].N, g[i].K, g[i].e);
          } else if (g[i].q.q) {
            l.q[i] = std::make_unique<cpu::LinearInt8>(g[i].q.q, g[i].q.scale, g[i].b, g[i].N,
                                                       g[i].K, g[i].e);
          } else {
            l.q[i] = std::make_unique<cpu::LinearInt8>(g[i].w, g[i].b, g[i].N, g[i].K, g[i].e);
          }
        }
        layers8_.push_back(std::move(l));
      } else {
        layers_.push_back(LayerLinears{
            cpu::Linear(L.qkv_w, L.qkv_b, 3 * d, d, cpu::Epilogue::None, in, P::F32),
            cpu::Linear(L.out_w, L.out_b, d, d, cpu::Epilogue::AddToOutput, in, P::F32),
            cpu::Linear(L.up_w, L.up_b, f, d, cpu::Epilogue::Gelu, in, in),
            cpu::Linear(L.down_w, L.down_b, d, f, cpu::Epilogue::AddToOutput, in, P::F32)});
      }
      // Repacked: the mapped originals need not stay resident (peak memory ~1x weights).
      w.release_pages(L.qkv_w, 3LL * d * d);
      w.release_pages(L.out_w, int64_t(d) * d);
      w.release_pages(L.up_w, int64_t(f) * d);
      w.release_pages(L.down_w, int64_t(d) * f);
      w.release_bytes(L.qkv_q.q, 3LL * d * d);  // int8 rows: a byte each (null: none)
      w.release_bytes(L.out_q.q, int64_t(d) * d);
      w.release_bytes(L.up_q.q, int64_t(f) * d);
      w.release_bytes(L.down_q.q, int64_t(d) * f);
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
    return std::string("cpu fused ") + precision() +
           " (" + cpu::onednn_summary() + "; our kernels " + cpu::kernel_variant() +
           "; " + std::to_string(cpu::num_threads()) + " threads; CPU " +
           cpu::cpu_features().brand + ": " + cpu::cpu_flags_string() + ")";
  }

  int64_t scratch_floats(const VarlenLayout& layout) const override {
    return gemm_scratch_floats(layout.total_rows()) +
           cpu::attention_scratch_floats(layout, c_.heads, c_.head_dim(), cpu::num_threads(), attn_);
  }

  void embed(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t rows,
             float* x, float*) override {
    cpu::embed_layernorm(ids, positions, types, rows, w_.word, w_.position, w_.token_type, w_.emb_ln_g,
                         w_.emb_ln_b, c_.hidden, c_.layer_norm_eps, x);
  }
  void qkv_projection(int layer, const float* x, int64_t rows, float* qkv, float* scratch) override {
    if (int8_) return int8_gemm(layer, kQkv, x, rows, c_.hidden, qkv, scratch);
    layers_[layer].qkv.forward_any(gemm_input(x, rows, scratch), rows, qkv);
  }
  void attention(const float* qkv, const VarlenLayout& layout, float* ctx,
                 float* scratch) override {
    cpu::attention(qkv, 3 * c_.hidden, layout, c_.heads, c_.head_dim(), ctx, c_.hidden,
                   scratch + gemm_scratch_floats(layout.total_rows()), attn_);
  }
  void out_projection_residual_ln(int layer, const float* ctx, int64_t rows, float* x,
                                  float* scratch) override {
    const LayerWeights& L = w_.layers[layer];
    if (int8_) {
      int8_gemm(layer, kOut, ctx, rows, c_.hidden, x, scratch);  // x += ctx Woᵀ + b
    } else {
      layers_[layer].out.forward_any(gemm_input(ctx, rows, scratch), rows, x);  // x += ctx Woᵀ + b
    }
    cpu::layernorm_inplace(x, rows, c_.hidden, L.attn_ln_g, L.attn_ln_b, c_.layer_norm_eps);
  }
  // h: [rows, f], bf16 in the bf16 path, int8 rows + scales in the int8 path
  // when both FFN GEMMs are int8 (only ffn_down reads it).
  void ffn_up_gelu(int layer, const float* x, int64_t rows, float* h, float* scratch) override {
    if (int8_ && int8_hidden()) {
      const Int8Scratch s = int8_scratch(scratch, rows);
      cpu::quantize_rows_s8(x, rows, c_.hidden, cpu::kInt8ActivationMax, s.xq, s.xs);
      layers8_[layer].q[kUp]->forward_quantized(s.xq, s.xs, rows, hidden_q(h, rows), h, s.acc);
      return;
    }
    if (int8_) return int8_gemm(layer, kUp, x, rows, c_.hidden, h, scratch);
    layers_[layer].up.forward_any(gemm_input(x, rows, scratch), rows, h);
  }
  void ffn_down_residual_ln(int layer, const float* h, int64_t rows, float* x,
                            float* scratch) override {
    const LayerWeights& L = w_.layers[layer];
    if (int8_ && int8_hidden()) {
      const Int8Scratch s = int8_scratch(scratch, rows);
      layers8_[layer].q[kDown]->forward(hidden_q(const_cast<float*>(h), rows), h, rows, x, s.acc);
    } else if (int8_) {
      int8_gemm(layer, kDown, h, rows, c_.ffn, x, scratch);
    } else {
      layers_[layer].down.forward_any(h, rows, x);  // x += h Wdᵀ + b
    }
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
  std::string precision() const {
    if (bf16_) return "bf16 (bf16 GEMMs, fp32 accumulation; " + attention_name() + "; fp32 LayerNorm/softmax)";
    if (!int8_) return "fp32";
    std::string kept, impl;
    for (int g = 0; g < 4; ++g) {
      if (kept_[g]) kept += std::string(kept.empty() ? "" : ", ") + kGemmNames[g];
      else if (impl.empty() && !layers8_.empty()) impl = layers8_[0].q[g]->impl_name(128);
    }
    return std::string("int8 (int8 x int8 -> int32 GEMMs: weights per output channel in [-") +
           std::to_string(cpu::int8_weight_max()) + ", " + std::to_string(cpu::int8_weight_max()) +
           "], activations per token row; " +
           (cpu::int8_has_vnni() ? "VNNI/AMX" : "no VNNI: oneDNN's portable int8 path, 7-bit weights") +
           (impl.empty() ? "" : "; oneDNN " + impl) +
           (kept.empty() ? "" : "; kept fp32 (BTE_INT8_KEEP_FP32): " + kept) +
           "; " + attention_name() + ", fp32 softmax/LayerNorm/residual/heads)";
  }
  std::string attention_name() const {
    return attn_ == DType::BF16 ? "bf16 attention (vdpbf16ps)" : "fp32 attention";
  }
  // Whether the FFN hidden travels as int8 rows (both FFN GEMMs int8).
  bool int8_hidden() const { return !kept_[kUp] && !kept_[kDown]; }
  // Columns of the int8 copy of a GEMM input in scratch: d, or f when the
  // down projection quantises an fp32 hidden.
  int64_t int8_input_cols() const { return kept_[kUp] && !kept_[kDown] ? c_.ffn : c_.hidden; }
  // y = x Wᵀ + b (+ the GEMM's epilogue) for one of a layer's GEMMs in the
  // int8 path: x [rows, K] fp32, quantised per row into scratch first, or
  // through the fp32 Linear when that GEMM is kept fp32.
  void int8_gemm(int layer, Gemm g, const float* x, int64_t rows, int K, float* y, float* scratch) const {
    const LayerInt8& l = layers8_[layer];
    if (l.f[g]) return l.f[g]->forward(x, rows, y);
    const Int8Scratch s = int8_scratch(scratch, rows);
    cpu::quantize_rows_s8(x, rows, K, cpu::kInt8ActivationMax, s.xq, s.xs);
    l.q[g]->forward(s.xq, s.xs, rows, y, s.acc);
  }
  // The GEMMs' part of scratch, rounded to 64 bytes: the bf16 copy of a
  // [rows, d] input, or the int8 one (Int8Scratch).
  int64_t gemm_scratch_floats(int64_t rows) const {
    if (bf16_) return round16(rows * c_.hidden / 2 + 1);
    if (!int8_) return 0;
    int64_t acc = 0;
    for (int g = 0; g < 4 && !layers8_.empty(); ++g)
      if (layers8_[0].q[g]) acc = std::max(acc, layers8_[0].q[g]->acc_ints(rows));
    return round16(rows) + round16(rows * int8_input_cols() / 4 + 1) + round16(acc);
  }
  struct Int8Scratch {
    float* xs;     // [rows] scales of xq
    int8_t* xq;    // [rows, int8_input_cols()]
    int32_t* acc;  // one row block's int32 sums
  };
  Int8Scratch int8_scratch(float* scratch, int64_t rows) const {
    Int8Scratch s;
    s.xs = scratch;
    s.xq = reinterpret_cast<int8_t*>(scratch + round16(rows));
    s.acc = reinterpret_cast<int32_t*>(scratch + round16(rows) + round16(rows * int8_input_cols() / 4 + 1));
    return s;
  }
  // The int8 FFN hidden's rows inside h (after its rows' scales).
  int8_t* hidden_q(float* h, int64_t rows) const {
    return reinterpret_cast<int8_t*>(h + round16(rows));
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
  const bool bf16_, int8_;
  const std::array<bool, 4> kept_ = int8_kept();
  const DType attn_ = attention_type(bf16_ ? DType::BF16 : int8_ ? DType::I8 : DType::F32);
  std::vector<LayerLinears> layers_;
  std::vector<LayerInt8> layers8_;
  std::unique_ptr<cpu::Linear> head_dense_, head_out_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelWeights& weights, int threads, DType dtype) {
  return std::make_unique<CpuBackend>(weights, threads, dtype);
}

}  // namespace bte
