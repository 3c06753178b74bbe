// bte convert HF_DIR -o model.bte [--dtype fp32|bf16|fp16|int8] [--num-labels N [--labels a,b,...]
//             [--seed S]]
// A Hugging Face XLM-R checkpoint directory -> one self-contained .bte file.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "convert/hf_convert.h"

namespace bte::cli {

namespace {
std::vector<std::string> split_labels(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    BTE_REQUIRE(!out.back().empty(), ErrorKind::BadInput, "--labels: empty label name in '", s, "'");
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}
}  // namespace

int cmd_convert(int argc, char** argv) {
  Args args(argc, argv, 2, {"--output", "--dtype", "--num-labels", "--labels", "--seed"},
            {"--help", "--quiet"}, {{"-o", "--output"}, {"-q", "--quiet"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte convert HF_DIR -o model.bte [--dtype fp32|bf16|fp16|int8]\n"
        "                   [--num-labels N [--labels a,b,...] [--seed S]] [--quiet]\n"
        "Converts a Hugging Face XLM-R checkpoint directory (config.json, model.safetensors\n"
        "or model.safetensors.index.json + shards, sentencepiece.bpe.model) into one .bte file.\n"
        "  --dtype       dtype of the 2-D weights (embeddings, linear layers); 1-D tensors stay\n"
        "                fp32 (default fp32). int8: the encoder's linear weights symmetric int8\n"
        "                per output channel with fp32 scales, embeddings and head bf16 (about\n"
        "                a quarter of fp32's bytes for the layers); it runs --dtype int8 on the\n"
        "                CPU, and any other precision from the weights widened at load\n"
        "  --num-labels  give a bare encoder a classifier head with N labels, seeded random\n"
        "                (marked as untrained in the file and in `bte info`)\n"
        "  --labels      label names, comma-separated (N of them); also renames a trained head's\n"
        "  --seed        seed of the random head (default 0)\n"
        "Pickled pytorch_model.bin checkpoints are refused; the error says how to convert them.\n"
        "torchtext XLM-R checkpoints: first run tools/convert_torchtext.py.\n");
    return 0;
  }
  BTE_REQUIRE(args.positionals().size() == 1, ErrorKind::BadInput,
              "expected one HF_DIR (see `bte convert --help`), got ", args.positionals().size());
  const auto out = args.get("--output");
  BTE_REQUIRE(out && !out->empty(), ErrorKind::BadInput, "missing -o model.bte");
  BTE_REQUIRE(*out != "-", ErrorKind::BadInput,
              "-o -: a .bte file cannot go to standard output (its header is written last); "
              "give a file name");
  remove_temporaries_on_signals();  // an interrupted convert leaves no temporary
  ConvertOptions o;
  o.hf_dir = args.positionals()[0];
  o.output = *out;
  o.dtype = parse_dtype(args.get_or("--dtype", "fp32"));
  o.num_labels = args.get_int("--num-labels", 0, 1, 1 << 16);
  if (auto l = args.get("--labels")) o.labels = split_labels(*l);
  if (auto s = args.get("--seed")) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s->c_str(), &end, 10);
    BTE_REQUIRE(errno == 0 && end != s->c_str() && *end == '\0' && v >= 0, ErrorKind::BadInput,
                "--seed needs a non-negative integer, got '", *s, "'");
    BTE_REQUIRE(o.num_labels > 0, ErrorKind::BadInput, "--seed is for a random head: add --num-labels N");
    o.seed = uint64_t(v);
  }
  const bool quiet = args.flag("--quiet");
  const ConvertReport r = convert_hf(o, [&](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "bte convert: %s\n", line.c_str());
  });
  if (!quiet) {
    std::fprintf(stderr, "bte convert: wrote %s: %zu tensors, %s, %llu bytes\n", o.output.c_str(),
                 r.tensors, dtype_name(o.dtype), (unsigned long long)r.file_bytes);
  }
  return 0;
}

}  // namespace bte::cli
