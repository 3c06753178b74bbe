// bte tutorial [-m model.bte | --config base|large|tiny] [--iters N] [--threads N] [--no-bench]
// The Better Transformer tutorial, end to end: its small and big batches
// tokenized and packed (ids, cu_seqlens, padding skipped), classified, and
// timed in the three modes with a per-op profile.
#include <cstdio>
#include <string>
#include <vector>

#include "engine/packed_batch.h"
#include "cli/args.h"
#include "cli/bench_run.h"
#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/tutorial_inputs.h"
#include "cli/workloads.h"

namespace bte::cli {
namespace {

void print_packed(const char* title, const Workload& w) {
  const PackedBatch b = PackedBatch::from_ids(w.seqs, /*first_position=*/2);
  std::printf("== %s: %d texts ==\n", title, b.n_seqs());
  for (int i = 0; i < b.n_seqs(); ++i) {
    std::printf("text %d (%d tokens):", i, b.cu_seqlens[i + 1] - b.cu_seqlens[i]);
    for (int j = b.cu_seqlens[i]; j < b.cu_seqlens[i + 1]; ++j) std::printf(" %d", b.ids[j]);
    std::printf("\n");
  }
  std::printf("cu_seqlens:");
  for (int c : b.cu_seqlens) std::printf(" %d", c);
  const long long real = b.total_tokens(), padded = b.padded_tokens();
  std::printf("\nmax_len: %d\n", b.max_len);
  std::printf("padded layout: %d x %d = %lld token rows; packed layout: %lld rows\n", b.n_seqs(),
              b.max_len, padded, real);
  std::printf("padding skipped by packing: %lld rows (%.1f%% of the padded batch)\n\n",
              padded - real, padded ? 100.0 * double(padded - real) / double(padded) : 0.0);
}

}  // namespace

int cmd_tutorial(int argc, char** argv) {
  const Args args(argc, argv, 2, {"--model", "--config", "--iters", "--threads", "--max-length", "--num-labels"},
                  {"--help", "--no-bench"}, {{"-m", "--model"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte tutorial [-m model.bte | --config base|large|tiny] [--iters N] [--threads N]\n"
        "                    [--max-length N] [--no-bench]\n"
        "The Better Transformer tutorial end to end: its small and big batches tokenized and\n"
        "packed, classified, then timed in the three modes (reference = slow path, fused =\n"
        "fast path, packed = fast path + sparsity) with a per-op profile. Without -m, a seeded\n"
        "random XLM-R base model is built in memory (the tutorial used XLM-R large: --config large).\n");
    return 0;
  }
  EngineOptions eo;
  eo.threads = args.get_int("--threads", 0, 0, EngineOptions::kMaxThreads);
  std::string note;
  auto engine = open_model_or_random(args, eo, "base", &note);
  const ModelConfig& c = engine->config();
  // torchtext's XLM-R transform truncated to 256 tokens.
  const int max_length = args.get_int("--max-length", 256, 2, 1 << 20);
  std::printf("model: %d layers, d=%d, %d heads, ffn %d; %s\nmachine: %s\n\n", c.layers, c.hidden,
              c.heads, c.ffn, note.c_str(), machine_line().c_str());

  const Workload small = make_workload("seed-small", *engine, max_length);
  const Workload big = make_workload("seed-big", *engine, max_length);
  print_packed("small batch", small);
  print_packed("big batch", big);

  if (c.has_head()) {
    std::printf("== classification of the big batch (packed mode)%s ==\n",
                c.head_is_random ? "; the head is RANDOM, so the labels mean nothing" : "");
    const PackedBatch b = PackedBatch::from_ids(big.seqs, c.first_position(), c.max_tokens());
    RunRequest req;
    req.outputs.logits = true;
    const RunOutputs out = engine->run(b, Mode::Packed, req);
    const auto& texts = tutorial_big_batch();
    for (int i = 0; i < out.n_seqs; ++i) {
      const float* p = out.probs.data() + int64_t(i) * c.num_labels;
      int best = 0;
      for (int k = 1; k < c.num_labels; ++k)
        if (p[k] > p[best]) best = k;
      std::string head = texts[i].substr(0, 40);
      for (auto& ch : head)
        if (ch == '\n') ch = ' ';
      std::printf("%-12s %.4f  \"%s%s\"\n", c.labels[best].c_str(), p[best], head.c_str(),
                  texts[i].size() > 40 ? "..." : "");
    }
    std::printf("\n");
  }
  if (args.flag("--no-bench")) return 0;

  BenchOptions opt;
  opt.iters = args.get_int("--iters", 10, 1, 100000);  // the tutorial's ITERATIONS = 10
  opt.warmup = 1;
  opt.profile = true;
  for (const Workload* w : {&small, &big}) {
    std::printf("== benchmark: %s ==\n", w->name.c_str());
    print_bench(run_bench(*engine, *w, opt), opt);
    std::printf("\n");
  }
  std::printf("peak RSS: %.0f MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace bte::cli
