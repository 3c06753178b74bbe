// cpu::Linear on oneDNN 2.6 matmul (v2 API: matmul::desc → primitive_desc).
//
// Weights: reordered once, at construction, into the blocked layout oneDNN's
// fastest implementation asks for (format_tag::any). That layout does not
// depend on M (checked for M = 1 … 16384 on XLM-R shapes), so it is pinned
// and every per-M primitive reads the same packed copy.
//
// Primitives per M: one primitive per exact (M, threads), created on first
// use and kept in a per-Linear LRU cache. Measured on Zen4 (oneDNN 2.6.3,
// 2 threads, XLM-R base shapes, M = 10 … 16384):
//  - exact M, brgemm on packed weights: 212–230 GFLOP/s (≈97% of peak);
//  - runtime M (DNNL_RUNTIME_DIM_VAL): brgemm refuses it in 2.6 and oneDNN
//    falls back to gemm:jit on plain weights: 174–187 GFLOP/s at M ≤ 200
//    (−13…−24%), parity only from M ≈ 4096;
//  - bucketing M needs padded copies of x and y (≈9% extra traffic at
//    K = N = 768) or a second tail GEMM that re-streams the weights.
// The price of exact M: the first call with a new M JITs ≈0.3–1.3 ms per
// distinct (N, K, epilogue) and keeps ≈200 KB; other Linears of that shape
// (the other layers) hit oneDNN's own primitive cache at no measurable
// cost; a cached M costs a hash lookup (≈1.5 µs a call in all).
//
// Memory: a stream of batches has many distinct M, and every cached
// primitive holds JIT code (≈70 KB on average, measured). Both caches are
// therefore capped: 64 M per Linear here, and oneDNN's global cache at 512
// entries instead of its default 1024 (unless ONEDNN_PRIMITIVE_CACHE_CAPACITY
// says otherwise). 100,000 texts through `bte classify` (tiny model) then
// peak at 69 MiB, as 300,000 do; with 256 here and oneDNN's default the
// process reached 127 MiB and kept growing. Re-creating an evicted M costs
// one JIT: on that stream 512 runs ≈15% slower than 1024 (tiny model, where
// the JIT is large next to the math; on XLM-R base it is ≈1–3% of a batch).
//
// AVX2 machines (measured on Zen3, oneDNN 2.6.3, 2 threads, XLM-R base):
// oneDNN picks its sgemm path (gemm:jit) on plain weights there. Three
// consequences, each measured end to end:
//  - its eltwise_gelu_erf post-op costs ~10 ns an element (9 of 21 ms of
//    the FFN up projection at M = 275): GELU runs as our own vectorised
//    pass instead (seed-big 517–553 → 452–462 ms);
//  - at few rows it streams the weights at ~6 GB/s of a ~13 GB/s machine:
//    M <= 48 runs the skinny GEMM (skinny_gemm.h), 1.2–2x faster there
//    (cold weights, best of repeated runs: M = 19, 2304x768: 88 vs 62
//    GFLOP/s; M = 32: 93–100 vs 60–95; at 64 they tie, from 128 sgemm wins);
//  - the skinny GEMM reads the weights as stored ([N, K]); sgemm takes that
//    layout (format ba) as fast as its own pick, so it is pinned: one copy.
// On AVX-512 machines oneDNN's brgemm runs every M near peak with its
// blocked layout and fused post-ops; none of the above applies there.
//
// Concurrency: primitives are executed from many threads at once; each call
// brings its own stream and its own scratchpad (user scratchpad mode, a
// thread-local buffer), so nothing is shared but the immutable primitive.
#include "kernels/cpu/linear.h"

#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <list>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/onednn_common.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/skinny_gemm.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

constexpr size_t kCacheCapacity = 64;         // distinct (M, threads) per Linear
constexpr int kSkinnyDefaultMaxM = 48;         // crossover with oneDNN sgemm (Zen3, XLM-R base shapes, cold weights)

dnnl::engine& cpu_engine() { return detail::onednn_engine(); }
void* thread_scratch(size_t bytes) { return detail::onednn_thread_scratch(bytes); }
[[noreturn]] void fail(const dnnl::error& e, const char* during, int N, int K, int64_t M) {
  detail::onednn_fail(e, "cpu::Linear", during, N, K, M);
}
const char* intern(const char* s) { return detail::intern_string(s); }

using Prim = detail::MatmulPrim;

dt to_dt(DType p) { return p == DType::BF16 ? dt::bf16 : dt::f32; }

// Rows up to which fp32 Linears on weights in their .bte layout run the
// skinny GEMM instead of oneDNN (BTE_SKINNY_MAX_M overrides; 0 turns it off).
int64_t skinny_max_m() {
  static const int64_t m = [] {
    const char* env = std::getenv("BTE_SKINNY_MAX_M");
    return env ? std::max<int64_t>(0, std::atoll(env)) : int64_t(kSkinnyDefaultMaxM);
  }();
  return m;
}

}  // namespace

struct Linear::Impl {
  int N = 0, K = 0;
  Epilogue epilogue = Epilogue::None;
  dt src_dt = dt::f32, dst_dt = dt::f32;
  memory::desc w_md;     // [K, N] logical, oneDNN's preferred (blocked) layout
  memory w_mem;          // the packed weights
  memory::desc b_md;     // [1, N], zero desc when there is no bias
  memory b_mem;
  // Weights kept as in the .bte file ([N, K] row-major, format ba of [K, N]):
  // what oneDNN's sgemm takes as well as any layout, and what the skinny GEMM
  // reads. Only where oneDNN's own choice is a plain layout (its sgemm path).
  bool plain_nk = false;
  // GELU as our own pass after the GEMM (oneDNN's sgemm applies its GELU
  // post-op at ~10 ns an element).
  bool gelu_pass = false;
  bool onednn_only = false;  // the constructor's flag: none of the above
  dnnl::primitive_attr attr;

  detail::MatmulPrimCache cache{kCacheCapacity};

  dnnl::matmul::primitive_desc make_pd(int64_t M, const memory::desc& w) const {
    const memory::desc src({M, K}, src_dt, tag::ab), dst({M, N}, dst_dt, tag::ab);
    const auto d = !b_md.is_zero() ? dnnl::matmul::desc(src, w, b_md, dst) : dnnl::matmul::desc(src, w, dst);
    return dnnl::matmul::primitive_desc(d, attr, cpu_engine());
  }

  std::shared_ptr<const Prim> create(int64_t M) const {
    auto p = std::make_shared<Prim>();
    try {
      p->pd = make_pd(M, w_md);
    } catch (const dnnl::error&) {
      // No implementation takes the pinned layout for this M: let oneDNN
      // choose and keep a copy of the weights in its layout.
      p->pd = make_pd(M, memory::desc({K, N}, src_dt, tag::any));
      p->weights = memory(p->pd.weights_desc(), cpu_engine());
      dnnl::stream s(cpu_engine());
      dnnl::reorder(w_mem, p->weights).execute(s, const_cast<memory&>(w_mem), p->weights);
      s.wait();
    }
    p->prim = dnnl::matmul(p->pd);
    p->scratch_md = p->pd.scratchpad_desc();
    return p;
  }

  void init(const float* W, const float* bias);
  // Whether a call with M rows runs the skinny GEMM (few rows, fp32, a readable layout).
  bool skinny(int64_t M) const;

  std::shared_ptr<const Prim> get(int64_t M, int threads) const {
    return cache.get(M, threads, [this](int64_t m) {
      try {
        return create(m);
      } catch (const dnnl::error& e) {
        fail(e, "creating the matmul primitive", N, K, m);
      }
    });
  }
};

Linear::Linear(const float* W, const float* bias, int N, int K, Epilogue epilogue, DType input,
               DType output, bool onednn_only)
    : impl_(std::make_unique<Impl>()) {
  impl_->onednn_only = onednn_only;
  BTE_CHECK(W != nullptr && N > 0 && K > 0, "Linear needs weights and N, K > 0 (N=", N, ", K=", K, ")");
  BTE_CHECK(input != DType::F16 && output != DType::F16, "the CPU Linear runs fp32 and bf16 only");
  impl_->N = N, impl_->K = K, impl_->epilogue = epilogue;
  impl_->src_dt = to_dt(input), impl_->dst_dt = to_dt(output);

  try {
    impl_->init(W, bias);
  } catch (const dnnl::error& e) {
    fail(e, "preparing the weights", N, K, -1);
  }
}

void Linear::Impl::init(const float* W, const float* bias) {
  dnnl::post_ops po;
  switch (epilogue) {
    case Epilogue::None: break;
    case Epilogue::Gelu: po.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f); break;
    case Epilogue::Tanh: po.append_eltwise(1.f, dnnl::algorithm::eltwise_tanh, 0.f, 0.f); break;
    case Epilogue::Relu: po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case Epilogue::AddToOutput: po.append_sum(1.f); break;
  }
  attr.set_post_ops(po);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  dnnl::stream s(cpu_engine());
  if (bias) {
    b_md = memory::desc({1, N}, dt::f32, tag::ab);
    b_mem = memory(b_md, cpu_engine());
    std::memcpy(b_mem.get_data_handle(), bias, sizeof(float) * N);
  }
  // Let oneDNN pick the weights layout on a mid-sized M, then pin it. A
  // plain pick means its sgemm path: there fp32 weights stay as in the file
  // ([N, K], which that path reads as fast), the skinny GEMM can take few
  // rows, and GELU runs as our own pass.
  const auto probe = make_pd(128, memory::desc({K, N}, src_dt, tag::any));
  w_md = probe.weights_desc();
  // BTE_WEIGHTS_LAYOUT=onednn keeps oneDNN's pick everywhere (for A/B benchmarks).
  static const bool keep_onednn_layout = [] {
    const char* e = std::getenv("BTE_WEIGHTS_LAYOUT");
    return e && std::string(e) == "onednn";
  }();
  if (!keep_onednn_layout && !onednn_only && w_md.data.format_kind == dnnl_blocked &&
      w_md.data.format_desc.blocking.inner_nblks == 0 && src_dt == dt::f32 && dst_dt == dt::f32) {
    gelu_pass = epilogue == Epilogue::Gelu;
    if (gelu_pass) {  // a fresh attr: oneDNN 2.6 ignores set_post_ops() with an empty list
      attr = dnnl::primitive_attr();
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    }
    const memory::desc nk({K, N}, src_dt, tag::ba);
    try {
      make_pd(128, nk);
      w_md = nk;
      plain_nk = true;
    } catch (const dnnl::error&) {
      // keep oneDNN's pick (no skinny path)
    }
  }
  w_mem = memory(w_md, cpu_engine());
  // W is [N, K] row-major = the [K, N] matrix in format ba; for bf16 the
  // reorder also rounds to nearest even.
  memory w_user({{K, N}, dt::f32, tag::ba}, cpu_engine(), const_cast<float*>(W));
  dnnl::reorder(w_user, w_mem).execute(s, w_user, w_mem);
  s.wait();
}

bool Linear::Impl::skinny(int64_t M) const {
  return plain_nk && M <= skinny_max_m() && epilogue != Epilogue::Tanh &&
         epilogue != Epilogue::Relu && skinny_gemm_available();
}

Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

int Linear::N() const { return impl_->N; }
int Linear::K() const { return impl_->K; }

void Linear::forward(const float* x, int64_t M, float* y) const {
  BTE_CHECK(impl_->src_dt == dt::f32 && impl_->dst_dt == dt::f32,
            "Linear::forward(float*) on a bf16 Linear: use forward_any");
  forward_any(x, M, y);
}

void Linear::forward_any(const void* x, int64_t M, void* y) const {
  BTE_CHECK(M >= 0, "negative row count ", M);
  if (M == 0) return;
  const Impl& I = *impl_;
  if (I.skinny(M)) {
    skinny_gemm_nt(static_cast<const float*>(x), M, I.K, static_cast<const float*>(I.w_mem.get_data_handle()),
                   I.N, I.b_mem ? static_cast<const float*>(I.b_mem.get_data_handle()) : nullptr,
                   I.epilogue == Epilogue::AddToOutput, static_cast<float*>(y));
    if (I.gelu_pass) gelu_inplace(static_cast<float*>(y), M * I.N);
    return;
  }
  const int threads = detail::apply_num_threads();
  const auto p = I.get(M, threads);

  const auto& eng = cpu_engine();
  memory src({{M, I.K}, I.src_dt, tag::ab}, eng, const_cast<void*>(x));
  memory dst({{M, I.N}, I.dst_dt, tag::ab}, eng, y);
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, p->weights ? p->weights : I.w_mem},
      {DNNL_ARG_DST, dst}};
  if (I.b_mem) args.emplace(DNNL_ARG_BIAS, I.b_mem);
  if (const size_t bytes = p->scratch_md.get_size(); bytes > 0)
    args.emplace(DNNL_ARG_SCRATCHPAD, memory(p->scratch_md, eng, thread_scratch(bytes)));
  try {
    dnnl::stream s(eng);
    p->prim.execute(s, args);
    s.wait();
  } catch (const dnnl::error& e) {
    fail(e, "running the matmul", I.N, I.K, M);
  }
  if (I.gelu_pass) gelu_inplace(static_cast<float*>(y), M * I.N);
}

const char* Linear::impl_name(int64_t M) const {
  if (M <= 0) return "none (M = 0)";
  const std::string gelu = impl_->gelu_pass ? std::string(" + bte gelu ") + kernel_variant() : "";
  if (impl_->skinny(M)) return intern((std::string("bte skinny ") + kernel_variant() + gelu).c_str());
  return intern((impl_->get(M, detail::apply_num_threads())->pd.impl_info_str() + gelu).c_str());
}

}  // namespace bte::cpu
