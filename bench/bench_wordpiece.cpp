// WordPiece tokenisation throughput, one thread: the whole test corpus
// (tests/data/corpus.txt + tests/data/multilingual/*.txt, one text per line)
// through each fixture tokenizer of tests/data/wordpiece/ (tokenizer.json),
// as encode() (ids) and encode_with_offsets(). The peer is Hugging Face
// `tokenizers` on one thread: tools/bench_wordpiece_peer.py (same texts,
// same files); docs/BENCHMARKS.md, "Tokenisation (WordPiece)".
//
//   ./build/bench/bench_wordpiece                 # 7 repetitions, medians
//   ./build/bench/bench_wordpiece --benchmark_filter=multilingual
//
// items_per_second = texts/s; bytes_per_second = UTF-8 bytes of text/s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "convert/hf_wordpiece.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace {

const std::string kData = BTE_BENCH_DATA_DIR;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const std::vector<std::string>& texts() {
  static const std::vector<std::string> t = [] {
    std::vector<std::string> files, more;
    files.push_back(kData + "/corpus.txt");
    for (const auto& e : std::filesystem::directory_iterator(kData + "/multilingual"))
      if (e.path().extension() == ".txt") more.push_back(e.path().string());
    std::sort(more.begin(), more.end());
    files.insert(files.end(), more.begin(), more.end());
    std::vector<std::string> out;
    for (const auto& f : files) {
      const std::string c = slurp(f);
      for (size_t b = 0; b < c.size();) {
        size_t e = c.find('\n', b);
        if (e == std::string::npos) e = c.size();
        out.push_back(c.substr(b, e - b));
        b = e + 1;
      }
    }
    return out;
  }();
  return t;
}

const bte::WordPieceTokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, bte::WordPieceTokenizer> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const std::string d = kData + "/wordpiece/" + name;
    it = cache.emplace(name, bte::WordPieceTokenizer(
                                 bte::read_hf_tokenizer_json(d + "/tokenizer.json",
                                                             d + "/tokenizer_config.json"),
                                 d + "/tokenizer.json"))
             .first;
  }
  return it->second;
}

void run(benchmark::State& st, const std::string& name, bool offsets) {
  const auto& tok = tokenizer(name);
  const auto& t = texts();
  int64_t bytes = 0, ids = 0;
  for (const auto& s : t) bytes += int64_t(s.size());
  for (auto _ : st) {
    ids = 0;
    for (const auto& s : t) {
      const bte::Encoding e = offsets ? tok.encode_with_offsets(s, 1 << 20) : tok.encode(s, 1 << 20);
      ids += int64_t(e.ids.size());
      benchmark::DoNotOptimize(e.ids.data());
    }
  }
  st.SetItemsProcessed(st.iterations() * int64_t(t.size()));
  st.SetBytesProcessed(st.iterations() * bytes);
  st.counters["texts"] = double(t.size());
  st.counters["ids"] = double(ids);
}

}  // namespace

#define BTE_WP_BENCH(name)                                                                   \
  BENCHMARK_CAPTURE(run, name##_ids, #name, false)->Unit(benchmark::kMillisecond)           \
      ->Repetitions(7)->ReportAggregatesOnly(true)->MinTime(0.3);                            \
  BENCHMARK_CAPTURE(run, name##_offsets, #name, true)->Unit(benchmark::kMillisecond)        \
      ->Repetitions(7)->ReportAggregatesOnly(true)->MinTime(0.3);

BTE_WP_BENCH(uncased)
BTE_WP_BENCH(cased)
BTE_WP_BENCH(multilingual)

BENCHMARK_MAIN();
