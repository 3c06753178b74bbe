#include "cli/workloads.h"

#include <fstream>
#include <random>

#include "base/check.h"
#include "cli/tutorial_inputs.h"

namespace bte::cli {
namespace {

std::vector<std::vector<int32_t>> tokenize(const Engine& e, const std::vector<std::string>& texts,
                                           int max_length) {
  std::vector<std::vector<int32_t>> out;
  for (const auto& t : texts) out.push_back(e.tokenizer().encode(t, max_length).ids);
  return out;
}

// <s> random ids </s>: the ids are drawn from the tokenizer's range, so
// embeddings are read from the table as real text would.
std::vector<int32_t> random_sequence(int len, int vocab, std::mt19937& rng) {
  std::vector<int32_t> s(len);
  s[0] = 0;
  for (int j = 1; j < len - 1; ++j) s[j] = 4 + int32_t(rng() % uint32_t(vocab - 5));
  s[len - 1] = 2;
  return s;
}

}  // namespace

Workload make_workload(const std::string& name, const Engine& e, int max_length) {
  Workload w;
  w.name = name;
  const int vocab = std::min(e.config().vocab, e.tokenizer().vocab_size());
  const int cap = std::min(max_length, e.config().max_tokens());
  std::mt19937 rng(1234);
  if (name == "seed-small") {
    w.seqs = tokenize(e, tutorial_small_batch(), cap);
    w.description = "the tutorial's small batch";
  } else if (name == "seed-big") {
    w.seqs = tokenize(e, tutorial_big_batch(), cap);
    w.description = "the tutorial's big batch";
  } else if (name == "mixed") {
    for (int i = 0; i < 64; ++i) w.seqs.push_back(random_sequence(std::min(cap, 16 + i * 240 / 63), vocab, rng));
    w.description = "64 sequences, lengths 16..256 evenly spread";
  } else if (name == "full") {
    for (int i = 0; i < 64; ++i) w.seqs.push_back(random_sequence(std::min(cap, 256), vocab, rng));
    w.description = "64 sequences of 256 tokens";
  } else {
    std::ifstream in(name);
    BTE_REQUIRE(in, ErrorKind::BadInput, "--workload ", name,
                ": not seed-small, seed-big, mixed, full, nor a readable file");
    std::vector<std::string> texts;
    for (std::string l; std::getline(in, l);) texts.push_back(l);
    BTE_REQUIRE(!texts.empty(), ErrorKind::BadInput, name, ": no texts");
    w.seqs = tokenize(e, texts, cap);
    w.description = "texts of " + name;
  }
  return w;
}

}  // namespace bte::cli
