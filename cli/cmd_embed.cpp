// bte embed -m model.bte [TEXT... | -f FILE | -] [--pooling cls|mean|max]
//   [--normalize | --no-normalize] [--prompt NAME | --prompt-text TEXT]
//   [--format jsonl|npy] [-o FILE] [batching and model options]
// One embedding per input, in input order; the model's own embedding
// settings (engine/embedding.h) unless a flag says otherwise.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "base/atomic_file.h"
#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/npy_writer.h"
#include "cli/stdout_lines.h"
#include "cli/text_input.h"
#include "cli/text_pipeline.h"
#include "engine/embedding.h"

namespace bte::cli {

int cmd_embed(int argc, char** argv) {
  std::set<std::string> valued = kModelValued, flags = kModelFlags;
  valued.insert(kPipelineValued.begin(), kPipelineValued.end());
  valued.insert({"--pooling", "--format", "--output", "--prompt", "--prompt-text"});
  flags.insert(kPipelineFlags.begin(), kPipelineFlags.end());
  flags.insert({"--normalize", "--no-normalize", "--help"});
  const Args args(argc, argv, 2, valued, flags, {{"-m", "--model"}, {"-f", "--file"}, {"-o", "--output"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte embed -m model.bte [TEXT... | -f FILE | -] [options]\n"
        "Prints one embedding per input text, in input order, as the model makes them\n"
        "(`bte info` shows its pooling, normalisation, prompts and length) unless told:\n\n%s"
        "  --pooling cls|mean|max  first token, mean or per-column max of the text's tokens\n"
        "  --normalize, --no-normalize  scale each embedding to unit L2 norm, or not\n"
        "  --prompt NAME         put the model's prompt NAME before every text (\"\" = none)\n"
        "  --prompt-text TEXT    put TEXT before every text\n"
        "  --format jsonl|npy    JSON lines of floats (default), or a NumPy N x d float32 array\n"
        "  -o, --output FILE     write there instead of stdout\n"
        "%s",
        kModelHelp, kPipelineHelp);
    return 0;
  }
  EmbeddingOverrides over;
  if (auto p = args.get("--pooling")) {
    Pooling pooling;
    BTE_REQUIRE(parse_pooling(*p, &pooling), ErrorKind::BadInput,
                "--pooling must be cls, mean or max, got '", *p, "'");
    over.pooling = pooling;
  }
  BTE_REQUIRE(!(args.flag("--normalize") && args.flag("--no-normalize")), ErrorKind::BadInput,
              "give --normalize or --no-normalize, not both");
  if (args.flag("--normalize")) over.normalize = true;
  if (args.flag("--no-normalize")) over.normalize = false;
  BTE_REQUIRE(!(args.get("--prompt") && args.get("--prompt-text")), ErrorKind::BadInput,
              "give --prompt or --prompt-text, not both");
  if (auto p = args.get("--prompt")) over.prompt_name = *p;
  if (auto p = args.get("--prompt-text")) over.prompt_text = *p;
  if (args.get("--max-length")) over.max_tokens = args.get_int("--max-length", 0, 2, 1 << 20);
  const std::string format = args.get_or("--format", "jsonl");
  BTE_REQUIRE(format == "jsonl" || format == "npy", ErrorKind::BadInput,
              "--format must be jsonl or npy, got '", format, "'");

  // The output may be no input (-m, -f, stdin) and no device or directory:
  // refused before the model is loaded or anything is opened for writing.
  const std::string out_name = args.get_or("--output", "-");
  if (out_name != "-") {
    remove_temporaries_on_signals();
    std::vector<std::string> inputs;
    if (auto p = args.get("--model")) inputs.push_back(*p);
    if (auto p = args.get("--file")) inputs.push_back(*p);
    const auto& pos = args.positionals();
    if (!args.get("--file") && (pos.empty() || std::find(pos.begin(), pos.end(), "-") != pos.end()))
      inputs.push_back("/dev/stdin");
    check_output(out_name, inputs);
  }

  OpenedModel m = open_model(args);
  const int d = m.engine->config().hidden;
  const EmbeddingPlan plan = plan_embedding(m.engine->config(), over);
  PipelineOptions po = pipeline_options(args, m.mode);
  po.request.outputs = embedding_outputs(plan);
  po.prefix = plan.prefix;
  po.max_length = plan.max_tokens;

  TextSource src = text_source(args);  // the input opens first: a missing one fails here
  // A file output is a temporary until every row is written; any failure
  // removes it and leaves an existing file as it was.
  std::FILE* out = stdout;
  std::unique_ptr<AtomicOutput> file_out;
  if (out_name != "-") {
    file_out = std::make_unique<AtomicOutput>(out_name);
    out = file_out->file();
  }
  const std::string shown = out_name == "-" ? "standard output" : out_name;  // for messages
  std::unique_ptr<NpyWriter> npy;
  if (format == "npy") npy = std::make_unique<NpyWriter>(out, shown, d);

  std::string line;
  char num[32];
  run_pipeline(*m.engine, src, po, [&](int64_t, const RunOutputs& o, int row) {
    const float* e = pooled_rows(o, plan.pooling).data() + int64_t(row) * d;
    if (npy) {
      npy->append(e);
      return;
    }
    line = "[";
    for (int j = 0; j < d; ++j) {
      std::snprintf(num, sizeof num, j ? ",%.9g" : "%.9g", e[j]);
      line += num;
    }
    line += "]\n";
    write_bytes(out, line, shown);
  });
  if (npy) npy->close();
  BTE_REQUIRE(std::fflush(out) == 0, ErrorKind::BadInput, "cannot write to ", shown, ": ",
              std::strerror(errno));
  if (file_out) file_out->commit();
  return 0;
}

}  // namespace bte::cli
