// bte rerank -m reranker.bte --query Q [DOC... | -f FILE | -] [--top-k N] [--json]
//   [--raw-scores] [--batch-size N] [--max-tokens N] [--no-truncate] [model options]
// bte rerank -m reranker.bte --pairs PAIRS.jsonl [--json] [--raw-scores] ...
// A cross-encoder (one-label head) scores each (query, document) pair; one
// score per document in input order, or the top N sorted by score.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/stdout_lines.h"
#include "cli/text_input.h"
#include "cli/text_pipeline.h"
#include "engine/batched_run.h"

namespace bte::cli {
namespace {

using nlohmann::json;

// Every line of `source` as a {"query": ..., "text": ...} object (a cut
// line would be broken JSON: refused).
std::vector<std::pair<std::string, std::string>> read_pairs(TextSource& source) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string line;
  while (source.next(line)) {
    check_cut(source, line, true);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      BTE_FAIL(ErrorKind::BadInput, source.where(), ": not a JSON object: ", e.what());
    }
    BTE_REQUIRE(j.is_object(), ErrorKind::BadInput, source.where(),
                ": each line must be a JSON object {\"query\": ..., \"text\": ...}");
    for (const char* key : {"query", "text"}) {
      auto it = j.find(key);
      BTE_REQUIRE(it != j.end() && it->is_string(), ErrorKind::BadInput, source.where(),
                  ": field '", key, "' must be a string");
    }
    pairs.emplace_back(j["query"].get<std::string>(), j["text"].get<std::string>());
  }
  return pairs;
}

}  // namespace

int cmd_rerank(int argc, char** argv) {
  std::set<std::string> valued = kModelValued, flags = kModelFlags;
  valued.insert(kPipelineValued.begin(), kPipelineValued.end());
  valued.insert({"--query", "--top-k", "--pairs"});
  flags.insert(kPipelineFlags.begin(), kPipelineFlags.end());
  flags.insert({"--json", "--raw-scores", "--help"});
  const Args args(argc, argv, 2, valued, flags,
                  {{"-m", "--model"}, {"-f", "--file"}, {"-q", "--query"}, {"-k", "--top-k"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte rerank -m reranker.bte -q QUERY [DOC... | -f FILE | -] [options]\n"
        "       bte rerank -m reranker.bte --pairs PAIRS.jsonl [options]\n"
        "Scores each (query, document) pair with a cross-encoder (a model whose head has one\n"
        "label), in the model's pair template (XLM-R: <s> query </s></s> document </s>; BERT:\n"
        "[CLS] query [SEP] document [SEP], the document as segment 1) and cut longest-first to\n"
        "the model's length. Prints one score per document, in input order.\n\n%s"
        "  -q, --query TEXT      the query every document is scored against\n"
        "  --pairs FILE          JSON lines {\"query\": ..., \"text\": ...} instead (- for stdin)\n"
        "  -k, --top-k N         the N best documents, best first: index<TAB>score\n"
        "  --json                JSON lines: {\"index\", \"score\", \"logit\"}\n"
        "  --raw-scores          the head's logit instead of its sigmoid\n"
        "%s",
        kModelHelp, kPipelineHelp);
    return 0;
  }
  const bool has_pairs = args.get("--pairs").has_value();
  BTE_REQUIRE(has_pairs != args.get("--query").has_value(), ErrorKind::BadInput,
              has_pairs ? "give --query or --pairs, not both"
                        : "bte rerank needs --query TEXT (or --pairs FILE)");
  BTE_REQUIRE(!has_pairs || (args.positionals().empty() && !args.get("--file")),
              ErrorKind::BadInput, "--pairs reads its documents from the pairs file; give no "
              "other documents");
  BTE_REQUIRE(!has_pairs || !args.get("--top-k"), ErrorKind::BadInput,
              "--top-k sorts the documents of one query; it does not apply to --pairs");
  const bool json_out = args.flag("--json"), raw = args.flag("--raw-scores");

  OpenedModel m = open_model(args);
  const ModelConfig& c = m.engine->config();
  BTE_REQUIRE(c.num_labels == 1, ErrorKind::BadInput, *args.get("--model"), " has ",
              c.num_labels == 0 ? std::string("no classification head")
                                : std::to_string(c.num_labels) + " labels",
              "; bte rerank needs a cross-encoder reranker (a one-label head)");

  // The pairs, all read first (a query's documents are ranked together).
  std::vector<std::pair<std::string, std::string>> pairs;
  const size_t max_line = size_t(
      args.get_int("--max-line-bytes", int(TextSource::kDefaultMaxLineBytes), 1, 1 << 30));
  if (has_pairs) {
    const std::string file = *args.get("--pairs");
    TextSource src({}, file, max_line);
    pairs = read_pairs(src);
  } else {
    const std::string query = *args.get("--query");
    TextSource src = text_source(args);
    std::string doc;
    while (src.next(doc)) {
      check_cut(src, doc, args.flag("--no-truncate"));
      pairs.emplace_back(query, doc);
    }
  }
  const int top_k = args.get_int("--top-k", 0, 1, 1 << 30);

  const PipelineOptions po = pipeline_options(args, m.mode);
  std::vector<int> truncated;
  const PackedBatch all = m.engine->encode_pairs(pairs, po.truncation, &truncated, po.max_length);
  const int cut_to = po.max_length > 0 ? std::min(po.max_length, c.max_tokens()) : c.max_tokens();
  for (int i : truncated)
    std::fprintf(stderr, "bte: warning: pair %d cut to %d tokens (longest first)\n", i + 1, cut_to);
  RunRequest req;
  req.outputs.logits = true;
  std::vector<double> logits(pairs.size());
  run_batched(*m.engine, all, m.mode, req, po.limits,
              [&](int i, const RunOutputs& o, int row, const PackedBatch&) {
                logits[size_t(i)] = o.logits[size_t(row)];
              });

  std::vector<size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), size_t(0));
  if (top_k > 0) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return logits[a] > logits[b]; });
    order.resize(std::min(order.size(), size_t(top_k)));
  }
  std::string line;
  char num[40];
  for (size_t i : order) {
    const double score = raw ? logits[i] : 1.0 / (1.0 + std::exp(-logits[i]));
    if (json_out) {
      line = json{{"index", i}, {"score", score}, {"logit", logits[i]}}.dump() + "\n";
    } else {
      std::snprintf(num, sizeof num, "%.6g", score);
      line = (top_k > 0 ? std::to_string(i) + "\t" : std::string()) + num + "\n";
    }
    write_stdout(line);
  }
  return 0;
}

}  // namespace bte::cli
