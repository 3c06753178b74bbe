// Fused CPU kernels of ops.h: thread control, kernel-variant dispatch,
// embedding + LayerNorm, LayerNorm, pooling, L2 normalisation, softmax.
// The LayerNorm rows have scalar / AVX2 / AVX-512 variants
// (layernorm_{scalar,avx2,avx512}.cpp), chosen once from cpu_features() and
// forcible for tests; the rest are light, memory-bound loops left to the
// compiler.
#include "kernels/cpu/ops.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "base/check.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/layernorm_rows.h"
#include "kernels/cpu/threads.h"

namespace bte::cpu {
namespace {

// 0: not set (OpenMP's default: OMP_NUM_THREADS or all cores).
std::atomic<int> g_threads{0};

enum Variant { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
const char* const kVariantNames[] = {"scalar", "avx2", "avx512"};

bool supported(Variant v) {
  const auto& f = cpu_features();
  switch (v) {
    case kScalar: return true;
    case kAvx2: return f.avx2 && f.fma;
    case kAvx512: return f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
  }
  return false;
}

Variant best_variant() {
  if (supported(kAvx512)) return kAvx512;
  if (supported(kAvx2)) return kAvx2;
  return kScalar;
}

// BTE_KERNELS=scalar|avx2|avx512 picks the variant for the whole process
// (with ONEDNN_MAX_CPU_ISA, how CI runs the engine on the fallback paths an
// older CPU would take). An unknown or unsupported name is reported on
// stderr and the best variant is used.
Variant initial_variant() {
  const char* env = std::getenv("BTE_KERNELS");
  if (!env || !*env) return best_variant();
  for (int v = kScalar; v <= kAvx512; ++v)
    if (std::string(env) == kVariantNames[v]) {
      if (supported(Variant(v))) return Variant(v);
      std::fprintf(stderr, "bte: BTE_KERNELS=%s is not supported by this CPU; using %s\n", env,
                   kVariantNames[best_variant()]);
      return best_variant();
    }
  std::fprintf(stderr, "bte: unknown BTE_KERNELS=%s (scalar, avx2, avx512); using %s\n", env,
               kVariantNames[best_variant()]);
  return best_variant();
}

std::atomic<int>& current_variant() {
  static std::atomic<int> v{initial_variant()};
  return v;
}

detail::LayerNormRowFn layernorm_row() {
  switch (current_variant().load(std::memory_order_relaxed)) {
    case kAvx512: return detail::layernorm_row_avx512;
    case kAvx2: return detail::layernorm_row_avx2;
    default: return detail::layernorm_row_scalar;
  }
}

// Below this many elements a parallel region costs more than it saves.
constexpr int64_t kParallelMin = 1 << 14;

}  // namespace

namespace detail {
int apply_num_threads() {
  const int want = g_threads.load(std::memory_order_relaxed);
  if (want <= 0) return omp_get_max_threads();
  if (omp_get_max_threads() != want) omp_set_num_threads(want);
  return want;
}
}  // namespace detail

void set_num_threads(int n) {
  // The default honours OMP_NUM_THREADS, as every OpenMP program (and
  // PyTorch) does, so a deployment that pins it is obeyed.
  if (n <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    n = env ? std::atoi(env) : 0;
  }
  if (n <= 0) n = omp_get_num_procs();
  g_threads.store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
}

int num_threads() {
  const int n = g_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

const char* kernel_variant() { return kVariantNames[current_variant().load()]; }

void force_kernel_variant(const char* name) {
  const std::string s = name ? name : "";
  for (int v = kScalar; v <= kAvx512; ++v) {
    if (s != kVariantNames[v]) continue;
    BTE_REQUIRE(supported(Variant(v)), ErrorKind::BadInput, "kernel variant '", s,
                "' is not supported by this CPU (", cpu_flags_string(), ")");
    current_variant().store(v);
    return;
  }
  BTE_FAIL(ErrorKind::BadInput, "unknown kernel variant '", s, "' (scalar, avx2, avx512)");
}

void embed_layernorm(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t T,
                     const float* word, const float* pos, const float* type_table,
                     const float* gamma, const float* beta, int d, float eps, float* out) {
  const auto row = layernorm_row();
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (T * d >= kParallelMin)
  for (int64_t t = 0; t < T; ++t) {
    // The word rows are scattered over a ~0.7 GB table: fetch the next one early.
    if (t + 1 < T) {
      const char* next = reinterpret_cast<const char*>(word + int64_t(ids[t + 1]) * d);
      for (int64_t off = 0; off < int64_t(d) * 4; off += 64) __builtin_prefetch(next + off);
    }
    const float* type_row = type_table ? type_table + int64_t(types ? types[t] : 0) * d : nullptr;
    row(word + int64_t(ids[t]) * d, pos + int64_t(positions[t]) * d, type_row, gamma, beta, d,
        eps, out + t * d);
  }
}

void layernorm_inplace(float* x, int64_t M, int d, const float* gamma, const float* beta,
                       float eps) {
  const auto row = layernorm_row();
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (M * d >= kParallelMin)
  for (int64_t i = 0; i < M; ++i) row(x + i * d, nullptr, nullptr, gamma, beta, d, eps, x + i * d);
}

void pool_cls(const float* x, const VarlenLayout& layout, int d, float* out) {
  for (int s = 0; s < layout.n_seqs; ++s)
    std::memcpy(out + int64_t(s) * d, x + layout.row_begin(s) * d, sizeof(float) * d);
}

void pool_mean(const float* x, const VarlenLayout& layout, int d, float* out) {
  detail::apply_num_threads();
  constexpr int kBlock = 256;  // columns summed at once, in doubles on the stack
  const int blocks = (d + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (layout.real_tokens() * d >= kParallelMin)
  for (int64_t w = 0; w < int64_t(layout.n_seqs) * blocks; ++w) {
    const int s = int(w / blocks), j0 = int(w % blocks) * kBlock;
    const int n = std::min(kBlock, d - j0);
    const int L = layout.seq_len(s);  // real rows; padded layouts keep them first
    const float* base = x + layout.row_begin(s) * d + j0;
    double acc[kBlock] = {};
    for (int t = 0; t < L; ++t)
      for (int j = 0; j < n; ++j) acc[j] += base[int64_t(t) * d + j];
    float* o = out + int64_t(s) * d + j0;
    for (int j = 0; j < n; ++j) o[j] = L > 0 ? float(acc[j] / L) : 0.f;
  }
}

void pool_max(const float* x, const VarlenLayout& layout, int d, float* out) {
  detail::apply_num_threads();
  // One sequence per iteration, its running maximum kept in `out`'s row: the
  // rows stream through once, each read along its length.
#pragma omp parallel for schedule(static) if (layout.real_tokens() * d >= kParallelMin)
  for (int s = 0; s < layout.n_seqs; ++s) {
    const int L = layout.seq_len(s);
    const float* base = x + layout.row_begin(s) * d;
    float* o = out + int64_t(s) * d;
    if (L == 0) {
      std::fill(o, o + d, 0.f);
      continue;
    }
    std::memcpy(o, base, sizeof(float) * d);
    for (int t = 1; t < L; ++t) {
      const float* r = base + int64_t(t) * d;
      for (int j = 0; j < d; ++j) o[j] = std::max(o[j], r[j]);
    }
  }
}

void l2_normalize_rows(float* x, int64_t rows, int d) {
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (rows * d >= kParallelMin)
  for (int64_t i = 0; i < rows; ++i) {
    float* r = x + i * d;
    double ss = 0;
    for (int j = 0; j < d; ++j) ss += double(r[j]) * r[j];
    const float inv = float(1.0 / std::max(std::sqrt(ss), 1e-12));  // as F.normalize
    for (int j = 0; j < d; ++j) r[j] *= inv;
  }
}

void softmax_rows(float* x, int64_t rows, int n) {
  detail::apply_num_threads();
#pragma omp parallel for schedule(static) if (rows * n >= kParallelMin)
  for (int64_t i = 0; i < rows; ++i) {
    float* r = x + i * n;
    float mx = -std::numeric_limits<float>::infinity();
    for (int j = 0; j < n; ++j) mx = std::max(mx, r[j]);
    if (mx == -std::numeric_limits<float>::infinity()) {  // fully masked row
      std::fill(r, r + n, 0.f);
      continue;
    }
    double sum = 0;
    for (int j = 0; j < n; ++j) sum += r[j] = std::exp(r[j] - mx);
    const float inv = float(1.0 / sum);
    for (int j = 0; j < n; ++j) r[j] *= inv;
  }
}

}  // namespace bte::cpu
