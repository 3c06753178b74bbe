// bte classify -m model.bte [TEXT... | -f FILE | -] [--json] [--top-k K] [--output probs|logits]
//   [--batch-size N] [--max-tokens N] [--max-length N] [--no-truncate] [model options]
// One result per input line, in input order: "label<TAB>score" (top K pairs
// with --top-k; the score is the head's activation of the logit — softmax,
// sigmoid or none, as the checkpoint says — or the logit with --output
// logits), or JSON lines with every label's score and logit.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/stdout_lines.h"
#include "cli/model_args.h"
#include "cli/text_input.h"
#include "cli/text_pipeline.h"

namespace bte::cli {
namespace {

std::set<std::string> with(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

}  // namespace

int cmd_classify(int argc, char** argv) {
  const Args args(argc, argv, 2,
                  with(with(kModelValued, kPipelineValued), {"--top-k", "--output"}),
                  with(with(kModelFlags, kPipelineFlags), {"--json", "--help"}),
                  {{"-m", "--model"}, {"-f", "--file"}, {"-k", "--top-k"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte classify -m model.bte [TEXT... | -f FILE | -] [options]\n"
        "Classifies each text (one per line from a file or stdin) and prints one result per\n"
        "input, in input order: label<TAB>score, or JSON lines with --json. The score is\n"
        "the model's head activation of the logit (`bte info`: softmax over the labels,\n"
        "a sigmoid per label, or none for regression).\n\n%s"
        "  --json                JSON lines: {\"label\", \"probability\", \"probs\": {label: score},\n"
        "                        \"logits\": {label: logit}, \"activation\"}\n"
        "  --output probs|logits print scores (default) or raw logits\n"
        "  -k, --top-k K         print the K highest-scoring labels (default 1)\n"
        "%s"
        "A progress line goes to stderr when it is a terminal.\nExit status: 0 success, 1 bad input or usage, 2 model or device error.\n",
        kModelHelp, kPipelineHelp);
    return 0;
  }
  OpenedModel m = open_model(args);
  const ModelConfig& c = m.engine->config();
  BTE_REQUIRE(c.has_head(), ErrorKind::BadInput, *args.get("--model"),
              " has no classification head (a bare encoder): use `bte embed`, or convert with "
              "--num-labels");
  const int top_k = args.get_int("--top-k", 1, 1, c.num_labels);
  const bool json = args.flag("--json");
  const std::string output = args.get_or("--output", "probs");
  BTE_REQUIRE(output == "probs" || output == "logits", ErrorKind::BadInput,
              "--output must be probs or logits, got '", output, "'");
  const bool logits = output == "logits";

  PipelineOptions po = pipeline_options(args, m.mode);
  po.request.outputs.logits = true;

  TextSource src = text_source(args);
  std::vector<int> order(c.num_labels);
  std::string line;
  run_pipeline(*m.engine, src, po, [&](int64_t, const RunOutputs& out, int row) {
    const float* p = out.probs.data() + int64_t(row) * c.num_labels;
    const float* lg = out.logits.data() + int64_t(row) * c.num_labels;
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
    if (json) {
      nlohmann::json j;
      j["label"] = c.labels[order[0]];
      j["probability"] = p[order[0]];
      nlohmann::json probs = nlohmann::json::object();
      for (int k = 0; k < c.num_labels; ++k) probs[c.labels[k]] = p[k];
      j["probs"] = probs;
      nlohmann::json lj = nlohmann::json::object();
      for (int k = 0; k < c.num_labels; ++k) lj[c.labels[k]] = lg[k];
      j["logits"] = lj;
      j["activation"] = head_activation_name(c.head_activation);
      if (top_k > 1) {
        nlohmann::json top = nlohmann::json::array();
        for (int k = 0; k < top_k; ++k) top.push_back({{"label", c.labels[order[k]]}, {"probability", p[order[k]]}});
        j["top_k"] = top;
      }
      line = j.dump() + "\n";
    } else {
      line.clear();
      char num[32];
      for (int k = 0; k < top_k; ++k) {
        std::snprintf(num, sizeof num, logits ? "%.6g" : "%.6f", (logits ? lg : p)[order[k]]);
        line += (k ? "\t" : "") + c.labels[order[k]] + "\t" + num;
      }
      line += "\n";
    }
    write_stdout(line);
  });
  return 0;
}

}  // namespace bte::cli
