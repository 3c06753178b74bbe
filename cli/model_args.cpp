#include "cli/model_args.h"

#include <cstdio>

#include "base/check.h"
#include "base/dtype.h"

namespace bte::cli {

const std::set<std::string> kModelValued = {"--model", "--device", "--threads", "--mode", "--dtype"};
const std::set<std::string> kModelFlags = {"--verbose"};
const char* kModelHelp =
    "  -m, --model FILE      the .bte model (required)\n"
    "  --device cpu|cuda     where to run (default cpu)\n"
    "  --threads N           CPU threads (default: OMP_NUM_THREADS, else all cores)\n"
    "  --mode MODE           reference | fused | packed (default packed: no work on padding)\n"
    "  --dtype fp32|bf16|fp16|int8  compute precision: cpu fp32, int8 (weights quantised at load,\n"
    "                        or as an int8 .bte holds them), or bf16 on CPUs with AVX512_BF16/AMX;\n"
    "                        cuda fp32, fp16 or bf16 (fp32 accumulation, LayerNorm and softmax).\n"
    "                        Default: int8 for an int8 .bte on the cpu, else fp32\n"
    "  --verbose             print the path the engine runs (mode, kernels, ISA, threads)\n";

void set_dtype_option(const Args& args, EngineOptions* o) {
  if (auto d = args.get("--dtype")) o->dtype = parse_dtype(*d);
  else o->dtype_from_file = true;
}

OpenedModel open_model(const Args& args) {
  const auto path = args.get("--model");
  BTE_REQUIRE(path, ErrorKind::BadInput, "no model given: use -m model.bte");
  EngineOptions eo;
  eo.device = parse_device(args.get_or("--device", "cpu"));
  eo.threads = args.get_int("--threads", 0, 0, EngineOptions::kMaxThreads);
  set_dtype_option(args, &eo);
  OpenedModel m;
  m.mode = parse_mode(args.get_or("--mode", "packed"));
  m.engine = Engine::load(*path, eo);
  if (args.flag("--verbose"))
    std::fprintf(stderr, "bte: model %s\nbte: %s\n", path->c_str(), m.engine->describe(m.mode).c_str());
  return m;
}

}  // namespace bte::cli

#include "cli/default_tokenizer.h"

namespace bte::cli {

std::unique_ptr<Engine> open_model_or_random(const Args& args, const EngineOptions& options,
                                             const std::string& fallback, std::string* note) {
  if (auto path = args.get("--model")) {
    BTE_REQUIRE(!args.get("--config"), ErrorKind::BadInput, "give -m or --config, not both");
    *note = "weights from " + *path;
    return Engine::load(*path, options);
  }
  const std::string size = args.get_or("--config", fallback);
  const ModelConfig c = ModelWeights::named_config(size, args.get_int("--num-labels", 2, 0, 1 << 16));
  *note = "RANDOM weights (XLM-R " + size + " shapes, seed 0, " + std::to_string(c.num_labels) +
          " labels), built in memory; tokenizer: " + embedded_tokenizer_description();
  return Engine::from_weights(ModelWeights::random(c, 0),
                              std::make_unique<SentencePieceTokenizer>(open_tokenizer("")), options);
}

}  // namespace bte::cli
