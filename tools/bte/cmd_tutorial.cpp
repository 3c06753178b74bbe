// bte tutorial [--spm FILE] [--max-tokens N]
// The Better Transformer tutorial's small and big batches, tokenized and
// packed: ids per text, cu_seqlens, and the padding the packed layout skips.
#include <cstdio>
#include <string>
#include <vector>

#include "engine/packed_batch.h"
#include "tools/bte/args.h"
#include "tools/bte/commands.h"
#include "tools/bte/default_tokenizer.h"
#include "tools/bte/tutorial_inputs.h"

namespace bte::cli {
namespace {

void print_batch(const char* title, const std::vector<std::string>& texts, const Tokenizer& tok,
                 int max_tokens) {
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& t : texts) seqs.push_back(tok.encode(t, max_tokens).ids);
  const PackedBatch b = PackedBatch::from_ids(seqs, Tokenizer::kPad);
  std::printf("== %s: %d texts ==\n", title, b.n_seqs());
  for (int i = 0; i < b.n_seqs(); ++i) {
    std::printf("text %d (%d tokens):", i, b.cu_seqlens[i + 1] - b.cu_seqlens[i]);
    for (int j = b.cu_seqlens[i]; j < b.cu_seqlens[i + 1]; ++j) std::printf(" %d", b.ids[j]);
    std::printf("\n");
  }
  std::printf("cu_seqlens:");
  for (int c : b.cu_seqlens) std::printf(" %d", c);
  const long long real = b.total_tokens(), padded = b.padded_tokens();
  std::printf("\nmax_len: %d\n", b.max_len);
  std::printf("padded layout: %d x %d = %lld token rows; packed layout: %lld rows\n", b.n_seqs(),
              b.max_len, padded, real);
  std::printf("padding skipped by packing: %lld rows (%.1f%% of the padded batch)\n\n",
              padded - real, padded ? 100.0 * double(padded - real) / double(padded) : 0.0);
}

}  // namespace

int cmd_tutorial(int argc, char** argv) {
  Args args(argc, argv, 2, {"--spm", "--max-tokens"}, {"--help"});
  if (args.flag("--help")) {
    std::printf("usage: bte tutorial [--spm FILE] [--max-tokens N]\n"
                "Tokenizes the Better Transformer tutorial's small and big batches and prints\n"
                "them packed (ids, cu_seqlens, padding saved).\n");
    return 0;
  }
  const std::string spm = args.get_or("--spm", "");
  const Tokenizer tok = load_tokenizer(spm);
  const int max_tokens = args.get_int("--max-tokens", 512, 2, 1 << 20);
  std::printf("tokenizer: %s\nmax tokens per text: %d\n\n",
              spm.empty() ? embedded_tokenizer_description() : spm.c_str(), max_tokens);
  print_batch("small batch", tutorial_small_batch(), tok, max_tokens);
  print_batch("big batch", tutorial_big_batch(), tok, max_tokens);
  return 0;
}

}  // namespace bte::cli
