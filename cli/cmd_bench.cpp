// bte bench [-m model.bte | --config base|large|tiny] [--workload W] [--mode M|all]
//   [--iters N] [--warmup N] [--threads N] [--device cpu|cuda] [--profile] [--json]
// Reproduces the Better Transformer tutorial's comparison: the slow path
// (reference) vs the fast path (fused) vs fast path + sparsity (packed).
#include <chrono>
#include <cstdio>
#include <string>

#include "base/atomic_file.h"
#include "base/check.h"
#include "cli/args.h"
#include "cli/bench_run.h"
#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/stdout_lines.h"
#include "cli/workloads.h"

namespace bte::cli {
namespace {

void write_json(const std::string& path, const nlohmann::json& j) {
  AtomicOutput out(path);  // a temporary beside `path`, renamed over it once complete
  write_bytes(out.file(), j.dump() + "\n", path);
  out.commit();
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  const Args args(argc, argv, 2,
                  {"--model", "--config", "--workload", "--mode", "--iters", "--warmup", "--threads",
                   "--device", "--dtype", "--max-length", "--num-labels", "--dump-ids",
                   "--dump-logits"},
                  {"--profile", "--json", "--help", "--no-ceiling"}, {{"-m", "--model"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte bench [-m model.bte | --config base|large|tiny] [options]\n"
        "The Better Transformer tutorial's comparison: reference (slow path) vs fused (fast\n"
        "path) vs packed (fast path + sparsity).\n"
        "  --workload W     seed-small | seed-big (default) | mixed | full | FILE (one text per line)\n"
        "  --mode M         reference | fused | packed | all (default all)\n"
        "  --iters N        timed iterations per mode (default 10, as in the tutorial)\n"
        "  --warmup N       untimed iterations after the first call (default 2)\n"
        "  --threads N      CPU threads (default: all cores)\n"
        "  --dtype D        fp32 (default; int8 for an int8 .bte on the cpu), int8 (CPU), bf16 (CPU\n"
        "                   with AVX512_BF16/AMX, or cuda)\n"
        "                   or fp16 (cuda)\n"
        "                   for the fused and packed modes\n"
        "  --max-length N   truncate texts to N tokens (default 256, as torchtext's transform)\n"
        "  --profile        add the per-op time table of each mode\n"
        "  --json           one JSON object instead of the table\n"
        "  --no-ceiling     skip measuring oneDNN's GEMM ceiling\n"
        "  --dump-ids FILE     write the batch's token ids (JSON list of lists), for peers\n"
        "  --dump-logits FILE  write the packed mode's logits (JSON), to check peers against\n"
        "Without -m, a seeded random model of the --config size (default base) is built in\n"
        "memory, with the embedded test tokenizer.\n");
    return 0;
  }
  EngineOptions eo;
  eo.device = parse_device(args.get_or("--device", "cpu"));
  eo.threads = args.get_int("--threads", 0, 0, EngineOptions::kMaxThreads);
  set_dtype_option(args, &eo);
  BenchOptions opt;
  opt.iters = args.get_int("--iters", 10, 1, 100000);
  opt.warmup = args.get_int("--warmup", 2, 0, 100000);
  opt.profile = args.flag("--profile");
  opt.ceiling = !args.flag("--no-ceiling");
  const std::string mode_arg = args.get_or("--mode", "all");
  if (mode_arg != "all") opt.modes = {parse_mode(mode_arg)};
  const int max_length = args.get_int("--max-length", 256, 2, 1 << 20);

  // The dumps must not replace a device, a directory or an input: checked before the work.
  remove_temporaries_on_signals();
  std::vector<std::string> inputs;
  for (const char* in : {"--model", "--workload"})
    if (auto p = args.get(in)) inputs.push_back(*p);
  for (const char* dump : {"--dump-ids", "--dump-logits"})
    if (auto p = args.get(dump)) check_output(*p, inputs);

  const auto t0 = std::chrono::steady_clock::now();
  std::string note;
  auto engine = open_model_or_random(args, eo, "base", &note);
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const ModelConfig& c = engine->config();
  const Workload w = make_workload(args.get_or("--workload", "seed-big"), *engine, max_length);
  if (auto path = args.get("--dump-ids")) write_json(*path, nlohmann::json(w.seqs));
  if (auto path = args.get("--dump-logits")) {
    BTE_REQUIRE(c.sequence_head(), ErrorKind::BadInput,
                "--dump-logits: the model has no sequence classification head");
    RunRequest req;
    req.outputs.logits = true;
    const RunOutputs out =
        engine->run(PackedBatch::from_ids(w.seqs, c.first_position(), c.max_tokens()), Mode::Packed, req);
    nlohmann::json rows = nlohmann::json::array();
    for (int i = 0; i < out.n_seqs; ++i)
      rows.push_back(std::vector<float>(out.logits.begin() + int64_t(i) * c.num_labels,
                                        out.logits.begin() + int64_t(i + 1) * c.num_labels));
    write_json(*path, rows);
  }
  const BenchReport r = run_bench(*engine, w, opt);

  if (args.flag("--json")) {
    nlohmann::json j = bench_json(r);
    j["model"] = {{"weights", note}, {"layers", c.layers}, {"hidden", c.hidden}, {"heads", c.heads},
                  {"ffn", c.ffn}, {"load_ms", load_ms}};
    j["machine"] = machine_line();
    j["device"] = device_name(eo.device);
    j["dtype"] = dtype_name(engine->options().dtype);  // the fused and packed modes'; reference runs fp32
    j["iters"] = opt.iters;
    j["peak_rss_mib"] = peak_rss_mib();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("bte bench\nmodel: %d layers, d=%d, %d heads, ffn %d; %s\n", c.layers, c.hidden,
              c.heads, c.ffn, note.c_str());
  std::printf("machine: %s\nmodel load: %.1f ms\n", machine_line().c_str(), load_ms);
  print_bench(r, opt);
  std::printf("\npeak RSS: %.0f MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace bte::cli
