// The benchmark's workloads, as token id lists:
//   seed-small  the tutorial's small batch ("Hello world", "How are you!")
//   seed-big    its big batch (those two and the War and Peace passage)
//   mixed       64 sequences, lengths evenly spread over 16 … 256 (seeded ids)
//   full        64 sequences of 256 tokens
//   FILE        one text per line
// Texts are tokenized with the model's tokenizer and truncated to
// max_length (the tutorial's torchtext transform truncates to 256).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace bte::cli {

struct Workload {
  std::string name, description;
  std::vector<std::vector<int32_t>> seqs;
};

Workload make_workload(const std::string& name, const Engine& engine, int max_length);

}  // namespace bte::cli
