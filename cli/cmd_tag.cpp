// bte tag -m tagger.bte [TEXT... | -f FILE | -] [--json] [batching and model options]
// Token classification (e.g. named entities): per input text, in input
// order, its labelled spans grouped as Hugging Face's pipeline does with
// aggregation_strategy="simple" (engine/token_tags.h).
#include <cstdio>
#include <string>
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
#include "engine/token_tags.h"

namespace bte::cli {

int cmd_tag(int argc, char** argv) {
  std::set<std::string> valued = kModelValued, flags = kModelFlags;
  valued.insert(kPipelineValued.begin(), kPipelineValued.end());
  flags.insert(kPipelineFlags.begin(), kPipelineFlags.end());
  flags.insert({"--json", "--help"});
  const Args args(argc, argv, 2, valued, flags, {{"-m", "--model"}, {"-f", "--file"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte tag -m tagger.bte [TEXT... | -f FILE | -] [options]\n"
        "Labels the tokens of each text with a token-classification model and prints, per\n"
        "text in input order, its spans: LABEL<TAB>start<TAB>end<TAB>score<TAB>word, spans\n"
        "separated by tabs too (an empty line: none). start and end count Unicode\n"
        "characters. Tokens are grouped as Hugging Face's pipeline does with\n"
        "aggregation_strategy=\"simple\".\n\n%s"
        "  --json                JSON lines: [{\"entity_group\", \"score\", \"word\", \"start\", \"end\"}]\n"
        "%s",
        kModelHelp, kPipelineHelp);
    return 0;
  }
  OpenedModel m = open_model(args);
  const ModelConfig& c = m.engine->config();
  BTE_REQUIRE(c.token_head(), ErrorKind::BadInput, *args.get("--model"),
              " has no token classification head (", c.architecture,
              "); bte tag needs a *ForTokenClassification model");
  const bool json_out = args.flag("--json");
  const PipelineOptions po = pipeline_options(args, m.mode);
  const int max_length = po.max_length > 0 ? std::min(po.max_length, c.max_tokens()) : c.max_tokens();
  TextSource src = text_source(args);
  RunRequest req;
  req.outputs.token_logits = true;
  const size_t C = size_t(c.num_labels);

  // A window of texts at a time: tokenized with offsets, run, printed in order.
  std::vector<std::string> texts;
  std::vector<Encoding> encs;
  std::vector<std::vector<int32_t>> seqs;
  std::string text, line;
  bool more = true;
  while (more) {
    texts.clear();
    encs.clear();
    seqs.clear();
    while (int(texts.size()) < po.window && (more = src.next(text))) {
      check_cut(src, text, po.truncation == Truncation::Refuse);
      Encoding e;
      try {
        e = m.engine->tokenizer().encode_with_offsets(text, max_length);
      } catch (const Error& err) {
        BTE_FAIL(err.kind(), src.where(), ": ", err.what());
      }
      BTE_REQUIRE(!e.truncated() || po.truncation == Truncation::Truncate, ErrorKind::BadInput,
                  src.where(), ": text has ", e.full_length, " tokens, more than the maximum ",
                  max_length, " (--no-truncate)");
      if (e.truncated())
        std::fprintf(stderr, "bte: warning: %s: text truncated from %lld to %d tokens\n",
                     src.where().c_str(), (long long)e.full_length, max_length);
      seqs.push_back(e.ids);
      encs.push_back(std::move(e));
      texts.push_back(text);
    }
    if (texts.empty()) break;
    const PackedBatch all = PackedBatch::from_ids(seqs, c.first_position(), c.max_tokens());
    std::vector<std::vector<float>> probs(texts.size());
    run_batched(*m.engine, all, m.mode, req, po.limits,
                [&](int i, const RunOutputs& o, int row, const PackedBatch& b) {
                  const float* p = o.token_probs.data() + size_t(b.cu_seqlens[row]) * C;
                  probs[size_t(i)].assign(p, p + encs[size_t(i)].ids.size() * C);
                });
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto spans = group_token_tags(texts[i], encs[i], probs[i].data(), c.labels,
                                          m.engine->tokenizer());
      if (json_out) {
        nlohmann::json a = nlohmann::json::array();
        for (const TaggedSpan& s : spans)
          a.push_back({{"entity_group", s.label}, {"score", s.score}, {"word", s.word},
                       {"start", s.start}, {"end", s.end}});
        line = a.dump() + "\n";
      } else {
        line.clear();
        char num[32];
        for (const TaggedSpan& s : spans) {
          std::snprintf(num, sizeof num, "%.4f", s.score);
          line += (line.empty() ? "" : "\t") + s.label + "\t" + std::to_string(s.start) + "\t" +
                  std::to_string(s.end) + "\t" + num + "\t" + s.word;
        }
        line += "\n";
      }
      write_stdout(line);
    }
  }
  return 0;
}

}  // namespace bte::cli
