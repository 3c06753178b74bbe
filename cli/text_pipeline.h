// The streaming loop behind `bte classify` and `bte embed`: read a window of
// texts, tokenize them, plan length-sorted batches (engine/batch_planner.h),
// run them, and hand results to a sink in input order. Memory stays bounded
// by the window, however long the input.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "engine/batch_planner.h"
#include "engine/engine.h"
#include "cli/args.h"
#include "cli/text_input.h"

namespace bte::cli {

struct PipelineOptions {
  Mode mode = Mode::Packed;
  BatchLimits limits;
  int window = 1024;      // texts read ahead and sorted together
  int max_length = 0;     // tokens per text, specials included (0 = the model's maximum)
  Truncation truncation = Truncation::Truncate;
  std::string prefix;     // put before every text before tokenizing (an embedding prompt)
  bool progress = false;  // a progress line on stderr
  bool summary = false;   // at the end, one line on stderr: texts, tokens, time, peak RSS
  RunRequest request;
};

// --batch-size, --max-tokens, --max-length and --no-truncate, as classify
// and embed take them (and --verbose for the summary line).
PipelineOptions pipeline_options(const Args& args, Mode mode);
// The texts named by the positionals and -f, with --max-line-bytes applied.
TextSource text_source(const Args& args);
// The options every text-reading command takes on top of the model's.
extern const std::set<std::string> kPipelineValued, kPipelineFlags;
// Their lines in --help.
extern const char* const kPipelineHelp;

// sink(index, outputs, row): text `index` (0-based, input order) is row `row` of `outputs`.
using ResultSink = std::function<void(int64_t index, const RunOutputs& outputs, int row)>;

// Returns the number of texts processed. Errors name the text's source line.
int64_t run_pipeline(Engine& engine, TextSource& source, const PipelineOptions& options,
                     const ResultSink& sink);

}  // namespace bte::cli
