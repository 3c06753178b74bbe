// cpu::LinearInt8 on oneDNN 2.6's matmul (s8 src × s8 weights → s32 dst).
//
// Why our own epilogue: oneDNN 2.6 takes output scales per column (N) only
// and zero points per tensor; the activations' scales are per row (each
// token's own, so a text's result does not depend on the batch it came in).
// The GEMM therefore writes plain int32 sums and cpu::dequantize_rows
// applies xs[m] · ws[n], the bias and the GELU / residual.
//
// Rows run in blocks of kBlockRows: each block's int32 sums (≤ kBlockRows ×
// N × 4 bytes) are dequantised while they are still in cache, the caller's
// scratch stays small, and oneDNN sees few distinct M (the block and the
// last one), so it JITs less than one primitive per batch size.
//
// Weights: quantised here (cpu::quantize_rows_s8, one row per output
// channel), then reordered once into the layout oneDNN prefers (with VNNI
// it is blocked and carries the s8 · s8 compensation oneDNN needs).
#include "kernels/cpu/linear_int8.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/onednn_common.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/quantize.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

constexpr size_t kCacheCapacity = 16;  // distinct (M, threads) per layer: blocks make them few
constexpr int64_t kBlockRowsDefault = 512;

// Rows per GEMM call (BTE_INT8_BLOCK_ROWS overrides, for measurements).
int64_t block_rows() {
  static const int64_t b = [] {
    const char* env = std::getenv("BTE_INT8_BLOCK_ROWS");
    const int64_t v = env ? std::atoll(env) : 0;
    return v > 0 ? v : kBlockRowsDefault;
  }();
  return b;
}

using Prim = detail::MatmulPrim;

}  // namespace

bool int8_has_vnni() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  // oneDNN's ISA values are feature bit sets: 0x40 is AVX512_VNNI (in every
  // AVX-512 ISA from avx512_core_vnni on, AMX included), 0x400 AVX-VNNI.
  return (isa & 0x40u) || (isa & 0x400u);
}

int int8_weight_max() { return int8_has_vnni() ? 127 : 63; }

struct LinearInt8::Impl {
  int N = 0, K = 0;
  Epilogue epilogue = Epilogue::None;
  std::vector<float> w_scale, bias;  // [N]
  memory::desc w_md;
  memory w_mem;
  dnnl::primitive_attr attr;

  detail::MatmulPrimCache cache{kCacheCapacity};

  dnnl::matmul::primitive_desc make_pd(int64_t M, const memory::desc& w) const {
    const memory::desc src({M, K}, dt::s8, tag::ab), dst({M, N}, dt::s32, tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, w, dst), attr, detail::onednn_engine());
  }

  std::shared_ptr<const Prim> create(int64_t M) const {
    auto p = std::make_shared<Prim>();
    try {
      p->pd = make_pd(M, w_md);
    } catch (const dnnl::error&) {
      // No implementation takes the pinned layout for this M: a copy in oneDNN's pick.
      p->pd = make_pd(M, memory::desc({K, N}, dt::s8, tag::any));
      p->weights = memory(p->pd.weights_desc(), detail::onednn_engine());
      dnnl::stream s(detail::onednn_engine());
      dnnl::reorder(w_mem, p->weights).execute(s, const_cast<memory&>(w_mem), p->weights);
      s.wait();
    }
    p->prim = dnnl::matmul(p->pd);
    p->scratch_md = p->pd.scratchpad_desc();
    return p;
  }

  std::shared_ptr<const Prim> get(int64_t M, int threads) const {
    return cache.get(M, threads, [this](int64_t m) {
      try {
        return create(m);
      } catch (const dnnl::error& e) {
        detail::onednn_fail(e, "cpu::LinearInt8", "creating the matmul primitive", N, K, m);
      }
    });
  }

  // acc[M, N] = xq[M, K] · Wqᵀ (int32), M ≤ block_rows().
  void gemm(const int8_t* xq, int64_t M, int32_t* acc) const {
    const int threads = detail::apply_num_threads();
    const auto p = get(M, threads);
    const auto& eng = detail::onednn_engine();
    memory src({{M, K}, dt::s8, tag::ab}, eng, const_cast<int8_t*>(xq));
    memory dst({{M, N}, dt::s32, tag::ab}, eng, acc);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p->weights ? p->weights : w_mem}, {DNNL_ARG_DST, dst}};
    if (const size_t bytes = p->scratch_md.get_size(); bytes > 0)
      args.emplace(DNNL_ARG_SCRATCHPAD, memory(p->scratch_md, eng, detail::onednn_thread_scratch(bytes)));
    try {
      dnnl::stream s(eng);
      p->prim.execute(s, args);
      s.wait();
    } catch (const dnnl::error& e) {
      detail::onednn_fail(e, "cpu::LinearInt8", "running the matmul", N, K, M);
    }
  }
};

namespace {

void check_shape(const void* W, int N, int K, Epilogue epilogue) {
  BTE_CHECK(W != nullptr && N > 0 && K > 0, "LinearInt8 needs weights and N, K > 0 (N=", N,
            ", K=", K, ")");
  BTE_CHECK(epilogue == Epilogue::None || epilogue == Epilogue::Gelu ||
                epilogue == Epilogue::AddToOutput,
            "LinearInt8 takes the epilogues None, Gelu and AddToOutput");
}

}  // namespace

LinearInt8::LinearInt8(const float* W, const float* bias, int N, int K, Epilogue epilogue)
    : impl_(std::make_unique<Impl>()) {
  check_shape(W, N, K, epilogue);
  std::vector<int8_t> wq(size_t(N) * K);
  std::vector<float> scale(N);
  quantize_rows_s8(W, N, K, int8_weight_max(), wq.data(), scale.data());
  for (int n = 0; n < N; ++n)
    BTE_REQUIRE(std::isfinite(scale[n]), ErrorKind::BadModel, "int8: row ", n, " of a ", N,
                "x", K, " weight matrix holds NaN or infinity");
  init(wq, std::move(scale), bias, N, K, epilogue);
}

LinearInt8::LinearInt8(const int8_t* Wq, const float* scales, const float* bias, int N, int K,
                       Epilogue epilogue)
    : impl_(std::make_unique<Impl>()) {
  check_shape(Wq, N, K, epilogue);
  BTE_CHECK(scales != nullptr, "LinearInt8 needs the weights' scales");
  for (int n = 0; n < N; ++n)
    BTE_REQUIRE(int8_scale_ok(scales[n]), ErrorKind::BadModel, "int8: scale ", n, " of a ", N, "x",
                K, " weight matrix is ", scales[n], " (a scale is a finite number >= 0 that 127 "
                "times stays finite)");
  const int8_t* end = Wq + size_t(N) * K;
  if (const int8_t* bad = std::find(Wq, end, int8_t(-128)); bad != end)
    BTE_FAIL(ErrorKind::BadModel, "int8: a ", N, "x", K, " weight matrix holds -128 at flat index ",
             bad - Wq, " (symmetric int8 weights lie in [-127, 127])");
  std::vector<int8_t> wq(Wq, end);
  std::vector<float> scale(scales, scales + N);
  if (const int qmax = int8_weight_max(); qmax < 127) {
    // No VNNI: the file's 8-bit rows become 7-bit ones (linear_int8.h says
    // why), quantised again from the values they stand for.
    std::vector<float> row(K);
    for (int n = 0; n < N; ++n) {
      for (int k = 0; k < K; ++k) row[k] = float(wq[size_t(n) * K + k]) * scales[n];
      quantize_rows_s8(row.data(), 1, K, qmax, wq.data() + size_t(n) * K, &scale[n]);
    }
  }
  init(wq, std::move(scale), bias, N, K, epilogue);
}

void LinearInt8::init(const std::vector<int8_t>& wq, std::vector<float> scale, const float* bias,
                      int N, int K, Epilogue epilogue) {
  Impl& I = *impl_;
  I.N = N, I.K = K, I.epilogue = epilogue;
  I.w_scale = std::move(scale);
  if (bias) I.bias.assign(bias, bias + N);
  else I.bias.assign(N, 0.f);
  try {
    I.attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // oneDNN's layout for a mid-sized M, pinned for every M (create() copes otherwise).
    I.w_md = I.make_pd(128, memory::desc({K, N}, dt::s8, tag::any)).weights_desc();
    I.w_mem = memory(I.w_md, detail::onednn_engine());
    memory w_user({{K, N}, dt::s8, tag::ba}, detail::onednn_engine(),
                  const_cast<int8_t*>(wq.data()));  // [N, K] row-major
    dnnl::stream s(detail::onednn_engine());
    dnnl::reorder(w_user, I.w_mem).execute(s, w_user, I.w_mem);
    s.wait();
  } catch (const dnnl::error& e) {
    detail::onednn_fail(e, "cpu::LinearInt8", "preparing the weights", N, K, -1);
  }
}

LinearInt8::~LinearInt8() = default;
LinearInt8::LinearInt8(LinearInt8&&) noexcept = default;
LinearInt8& LinearInt8::operator=(LinearInt8&&) noexcept = default;

int LinearInt8::N() const { return impl_->N; }
int LinearInt8::K() const { return impl_->K; }

int64_t LinearInt8::acc_ints(int64_t M) const { return std::min(M, block_rows()) * impl_->N; }

void LinearInt8::forward(const int8_t* xq, const float* xs, int64_t M, float* y,
                         int32_t* acc) const {
  BTE_CHECK(M >= 0, "negative row count ", M);
  const Impl& I = *impl_;
  for (int64_t m0 = 0; m0 < M; m0 += block_rows()) {
    const int64_t mb = std::min(block_rows(), M - m0);
    I.gemm(xq + m0 * I.K, mb, acc);
    dequantize_rows(acc, mb, I.N, xs + m0, I.w_scale.data(), I.bias.data(), I.epilogue,
                    y + m0 * I.N);
  }
}

void LinearInt8::forward_quantized(const int8_t* xq, const float* xs, int64_t M, int8_t* yq,
                                   float* ys, int32_t* acc) const {
  BTE_CHECK(M >= 0, "negative row count ", M);
  const Impl& I = *impl_;
  BTE_CHECK(I.epilogue == Epilogue::Gelu, "forward_quantized is the GELU layer's");
  for (int64_t m0 = 0; m0 < M; m0 += block_rows()) {
    const int64_t mb = std::min(block_rows(), M - m0);
    I.gemm(xq + m0 * I.K, mb, acc);
    dequantize_gelu_quantize_rows(acc, mb, I.N, xs + m0, I.w_scale.data(), I.bias.data(),
                                  kInt8ActivationMax, yq + m0 * I.N, ys + m0);
  }
}

const char* LinearInt8::impl_name(int64_t M) const {
  if (M <= 0) return "none (M = 0)";
  const int64_t mb = std::min(M, block_rows());
  const std::string s = std::string(impl_->get(mb, detail::apply_num_threads())->pd.impl_info_str()) +
                        " + bte dequant " + kernel_variant();
  return detail::intern_string(s.c_str());
}

}  // namespace bte::cpu
