// CPU fused attention microbenchmarks: cpu::attention over the packed layout
// at the XLM-R base (12 heads) and large (16 heads) shapes, head size 64,
// for uniform lengths 16 … 512 and the `mixed` batch (64 texts, lengths
// spread over 16 … 256), with its ceiling beside it: oneDNN's batched matmul
// doing the same two products (Q·Kᵀ and P·V) per sequence and head, with the
// scores written out in between and no softmax at all. Our kernel does more
// (the softmax, the scaling, reading Q/K/V out of the fused QKV rows), so
// "fused ≥ ceiling" means the fusion paid for all of that and more.
//
//   ./build/bench/bench_attention_cpu                       # all (~1 min)
//   ./build/bench/bench_attention_cpu --benchmark_filter=base --threads=2
//
// GFLOP/s counts 4·L²·dh per sequence and head (two L×L×dh products).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dnnl.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/threads.h"

using namespace bte;

namespace {

constexpr int kHeadDim = 64;
constexpr int kTokensPerBatch = 4096;  // uniform batches: 4096 / L sequences

std::vector<float> random_vec(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Lengths of a batch: `L` > 0 gives 4096/L sequences of length L; L == 0 the
// mixed workload of `bte bench` (64 texts, evenly spread over 16 … 256).
std::vector<int32_t> batch_lengths(int L) {
  std::vector<int32_t> lens;
  if (L > 0) return std::vector<int32_t>(std::max(1, kTokensPerBatch / L), L);
  for (int i = 0; i < 64; ++i) lens.push_back(16 + (240 * i) / 63);
  return lens;
}

double attention_flops(const std::vector<int32_t>& lens, int H) {
  double f = 0;
  for (int32_t L : lens) f += 4.0 * double(L) * L * kHeadDim * H;
  return f;
}

void set_counters(benchmark::State& st, const std::vector<int32_t>& lens, int H) {
  int64_t tokens = 0;
  for (int32_t L : lens) tokens += L;
  st.counters["GFLOP/s"] = benchmark::Counter(attention_flops(lens, H) * 1e-9 * double(st.iterations()),
                                              benchmark::Counter::kIsRate);
  st.counters["seqs"] = double(lens.size());
  st.counters["tokens"] = double(tokens);
}

void BM_FusedAttention(benchmark::State& st, int H) {
  const auto lens = batch_lengths(int(st.range(0)));
  std::vector<int32_t> cu(lens.size() + 1, 0);
  for (size_t i = 0; i < lens.size(); ++i) cu[i + 1] = cu[i] + lens[i];
  VarlenLayout layout;
  layout.n_seqs = int(lens.size());
  layout.max_len = *std::max_element(lens.begin(), lens.end());
  layout.cu_seqlens = layout.cu_seqlens_device = cu.data();
  const int hd = H * kHeadDim;
  const auto qkv = random_vec(layout.total_rows() * 3 * hd, 1);
  std::vector<float> out(layout.total_rows() * hd);
  std::vector<float> scratch(cpu::attention_scratch_floats(layout, H, kHeadDim, cpu::num_threads()));
  for (auto _ : st) {
    cpu::attention(qkv.data(), 3 * hd, layout, H, kHeadDim, out.data(), hd, scratch.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, lens, H);
  st.SetLabel(cpu::kernel_variant());
}

// The ceiling: per sequence, oneDNN batched matmuls over its H heads,
// S = Q·Kᵀ ([H, L, dh] × [H, dh, L]) then O = S·V ([H, L, L] × [H, L, dh]),
// on contiguous per-head operands (friendlier than our strided QKV rows).
void BM_OneDnnAttentionGemms(benchmark::State& st, int H) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const auto lens = batch_lengths(int(st.range(0)));
  const int L = *std::max_element(lens.begin(), lens.end());
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  const auto q = random_vec(int64_t(H) * L * kHeadDim, 1), k = random_vec(int64_t(H) * L * kHeadDim, 2),
             v = random_vec(int64_t(H) * L * kHeadDim, 3);
  std::vector<float> scores(int64_t(H) * L * L), o(int64_t(H) * L * kHeadDim);
  // One primitive pair per distinct length (a batch has few).
  struct Pair {
    int L;
    dnnl::matmul qk, pv;
    memory::desc q_md, kt_md, s_md, v_md, o_md;
  };
  std::vector<Pair> prims;
  auto pair_for = [&](int len) -> Pair& {
    for (auto& p : prims)
      if (p.L == len) return p;
    const memory::dim h = H, l = len, d = kHeadDim;
    Pair p{len, {}, {}, {{h, l, d}, memory::data_type::f32, tag::abc}, {{h, d, l}, memory::data_type::f32, tag::acb},
           {{h, l, l}, memory::data_type::f32, tag::abc}, {{h, l, d}, memory::data_type::f32, tag::abc},
           {{h, l, d}, memory::data_type::f32, tag::abc}};
    p.qk = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.q_md, p.kt_md, p.s_md), eng));
    p.pv = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.s_md, p.v_md, p.o_md), eng));
    prims.push_back(p);
    return prims.back();
  };
  for (int32_t len : lens) pair_for(len);  // all created up front: no reallocation below
  cpu::detail::apply_num_threads();  // oneDNN runs on the calling thread's OpenMP count, as our kernels do
  for (auto _ : st) {
    for (int32_t len : lens) {
      Pair& p = pair_for(len);
      memory mq(p.q_md, eng, const_cast<float*>(q.data())), mk(p.kt_md, eng, const_cast<float*>(k.data())),
          ms(p.s_md, eng, scores.data()), mv(p.v_md, eng, const_cast<float*>(v.data())), mo(p.o_md, eng, o.data());
      p.qk.execute(s, {{DNNL_ARG_SRC, mq}, {DNNL_ARG_WEIGHTS, mk}, {DNNL_ARG_DST, ms}});
      p.pv.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mv}, {DNNL_ARG_DST, mo}});
    }
    s.wait();
    benchmark::DoNotOptimize(o.data());
  }
  set_counters(st, lens, H);
}

void register_all() {
  for (const auto& [model, H] : {std::pair<const char*, int>{"base", 12}, {"large", 16}}) {
    auto* f = benchmark::RegisterBenchmark((std::string("FusedAttention/") + model).c_str(), BM_FusedAttention, H);
    auto* c = benchmark::RegisterBenchmark((std::string("OneDnnAttentionGemms/") + model).c_str(),
                                           BM_OneDnnAttentionGemms, H);
    for (auto* b : {f, c}) {
      for (int L : {16, 32, 64, 128, 256, 512}) b->Arg(L);
      b->Arg(0);  // the mixed batch
      b->ArgName("L")->Unit(benchmark::kMicrosecond)->MinTime(0.2)->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) threads = std::atoi(argv[i] + 10);
    else args.push_back(argv[i]);
  }
  if (threads > 0) cpu::set_num_threads(threads);
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::AddCustomContext("cpu", cpu::cpu_features().brand + " (" + cpu::cpu_flags_string() + ")");
  benchmark::AddCustomContext("onednn", cpu::onednn_summary());
  benchmark::AddCustomContext("threads", std::to_string(cpu::num_threads()));
  benchmark::AddCustomContext("lengths", "L=0 is the mixed batch: 64 texts of 16..256 tokens");
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
