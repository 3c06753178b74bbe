#include "cli/text_pipeline.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "base/check.h"
#include "base/utf8.h"
#include "cli/process_stats.h"

namespace bte::cli {
namespace {

class Progress {
 public:
  Progress(bool on, int64_t total) : on_(on), total_(total), start_(Clock::now()) {}
  void update(int64_t texts, int64_t tokens, bool final = false) {
    if (!on_) return;
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    if (!final && s - last_ < 0.2) return;
    last_ = s;
    const double tps = s > 0 ? texts / s : 0, kps = s > 0 ? tokens / s : 0;
    if (total_ > 0) {
      const double eta = tps > 0 ? double(total_ - texts) / tps : 0;
      std::fprintf(stderr, "\r%lld/%lld texts  %.1f texts/s  %.0f tokens/s  ETA %.0fs   ",
                   (long long)texts, (long long)total_, tps, kps, eta);
    } else {
      std::fprintf(stderr, "\r%lld texts  %.1f texts/s  %.0f tokens/s   ", (long long)texts, tps, kps);
    }
    if (final) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool on_;
  int64_t total_;
  Clock::time_point start_;
  double last_ = -1;
};

}  // namespace

const std::set<std::string> kPipelineValued = {"--file", "--batch-size", "--max-tokens",
                                                "--max-length", "--max-line-bytes"};
const std::set<std::string> kPipelineFlags = {"--no-truncate"};
const char* const kPipelineHelp =
    "  --batch-size N        texts per batch (default 64)\n"
    "  --max-tokens N        token rows per batch (default 16384)\n"
    "  --max-length N        truncate texts to N tokens (default: the model's maximum)\n"
    "  --max-line-bytes N    tokenize at most the first N bytes of a text (default 1 MiB)\n"
    "  --no-truncate         refuse texts longer than either limit instead of truncating\n";

TextSource text_source(const Args& args) {
  const int cap = args.get_int("--max-line-bytes", int(TextSource::kDefaultMaxLineBytes), 1, 1 << 30);
  return TextSource(args.positionals(), args.get_or("--file", ""), size_t(cap));
}

PipelineOptions pipeline_options(const Args& args, Mode mode) {
  PipelineOptions po;
  po.mode = mode;
  po.limits.max_batch = args.get_int("--batch-size", 64, 1, 1 << 20);
  po.limits.max_tokens = args.get_int("--max-tokens", 16384, 1, 1 << 30);
  po.max_length = args.get_int("--max-length", 0, 2, 1 << 20);
  po.truncation = args.flag("--no-truncate") ? Truncation::Refuse : Truncation::Truncate;
  po.progress = true;  // shown only when stderr is a terminal
  po.summary = args.flag("--verbose");
  return po;
}

int64_t run_pipeline(Engine& engine, TextSource& source, const PipelineOptions& opt,
                     const ResultSink& sink) {
  const int model_max = engine.config().max_tokens();
  const int max_length = opt.max_length > 0 ? std::min(opt.max_length, model_max) : model_max;
  BTE_REQUIRE(max_length >= 2, ErrorKind::BadInput, "--max-length must be at least 2");
  Progress progress(opt.progress && isatty(2), source.known_total());
  const auto start = std::chrono::steady_clock::now();

  int64_t done = 0, tokens = 0;
  std::string text;
  std::vector<std::vector<int32_t>> ids;
  std::vector<int> lengths;
  bool more = true;
  while (more) {
    // Read and tokenize one window.
    ids.clear();
    lengths.clear();
    while (int(ids.size()) < opt.window && (more = source.next(text))) {
      check_cut(source, text, opt.truncation == Truncation::Refuse);
      Encoding e;
      try {
        if (!opt.prefix.empty()) {
          // The text's own bytes first, so a message counts them, not the prompt's.
          const size_t bad = find_invalid_utf8(text);
          BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput, "invalid UTF-8 at byte ",
                      bad, " of a ", text.size(), "-byte text");
          text.insert(0, opt.prefix);
        }
        e = engine.tokenizer().encode(text, max_length);
      } catch (const Error& err) {
        BTE_FAIL(err.kind(), source.where(), ": ", err.what());
      }
      if (e.truncated()) {
        BTE_REQUIRE(opt.truncation == Truncation::Truncate, ErrorKind::BadInput, source.where(),
                    ": text has ", e.full_length, " tokens, more than the maximum ", max_length,
                    " (--no-truncate)");
        std::fprintf(stderr, "bte: warning: %s: text truncated from %lld to %d tokens\n",
                     source.where().c_str(), (long long)e.full_length, max_length);
      }
      lengths.push_back(int(e.ids.size()));
      ids.push_back(std::move(e.ids));
    }
    if (ids.empty()) break;

    // Run the window's batches; keep each batch's outputs until the window is emitted.
    BatchLimits limits = opt.limits;
    limits.padded = opt.mode != Mode::Packed;
    const auto plan = plan_batches(lengths, limits);
    std::vector<RunOutputs> results(plan.size());
    std::vector<std::pair<int, int>> where(ids.size());  // text -> (batch, row)
    int64_t window_done = 0;
    for (size_t b = 0; b < plan.size(); ++b) {
      std::vector<std::vector<int32_t>> seqs;
      for (size_t r = 0; r < plan[b].size(); ++r) {
        seqs.push_back(std::move(ids[plan[b][r]]));
        where[plan[b][r]] = {int(b), int(r)};
      }
      const PackedBatch batch = PackedBatch::from_ids(seqs, engine.config().first_position(), model_max);
      try {
        results[b] = engine.run(batch, opt.mode, opt.request);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::BadModel) throw;
        // The engine speaks of rows of its batch; say which input texts they are.
        std::string rows;
        for (size_t r = 0; r < plan[b].size() && r < 8; ++r)
          rows += (r ? ", " : "") + std::to_string(done + plan[b][r] + 1);
        if (plan[b].size() > 8) rows += ", ...";
        BTE_FAIL(e.kind(), e.what(), " [the batch's texts are input texts ", rows,
                 " (1-based, in input order; for a file, its line numbers)]");
      }
      tokens += batch.total_tokens();
      window_done += int64_t(seqs.size());
      progress.update(done + window_done, tokens);
    }
    for (size_t i = 0; i < where.size(); ++i)
      sink(done + int64_t(i), results[where[i].first], where[i].second);
    done += int64_t(where.size());
    progress.update(done, tokens);
  }
  progress.update(done, tokens, true);
  if (opt.summary) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "bte: %lld texts, %lld tokens in %.2f s (%.0f texts/s, %.0f tokens/s); peak RSS %.1f MiB\n",
                 (long long)done, (long long)tokens, s, double(done) / s, double(tokens) / s, peak_rss_mib());
  }
  return done;
}

}  // namespace bte::cli
