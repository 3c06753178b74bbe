// bte info model.bte [--json] [--no-verify]
// What a .bte file holds: architecture, sizes, labels, dtype, tensors, head
// (trained or random), checksum status. Exit 2 if the file is refused.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "weights/bte_file.h"
#include "weights/checksum.h"

namespace bte::cli {

int cmd_info(int argc, char** argv) {
  Args args(argc, argv, 2, {}, {"--help", "--json", "--no-verify"});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte info model.bte [--json] [--no-verify]\n"
        "Describes a .bte model file after checking it (every field, and every checksum\n"
        "unless --no-verify). A file that fails a check is an error (exit 2).\n");
    return 0;
  }
  BTE_REQUIRE(args.positionals().size() == 1, ErrorKind::BadInput,
              "expected one model file (see `bte info --help`)");
  const std::string path = args.positionals()[0];
  BteOpenOptions opt;
  opt.verify_checksums = !args.flag("--no-verify");
  const BteFile f = BteFile::open(path, opt);
  const ModelConfig& c = f.config();
  const BteHeader& h = f.header();
  uint64_t tensor_bytes = 0;
  for (const auto& t : f.tensors()) tensor_bytes += t.bytes;
  const std::string head = !c.has_head() ? "none"
                           : c.head_is_random ? "random"
                                              : "trained";
  const std::string checks = f.checksums_verified() ? "ok" : "not verified";

  if (args.flag("--json")) {
    nlohmann::json j = {
        {"path", path},
        {"format_version", h.meta.format_version},
        {"writer", h.meta.writer},
        {"source", {{"name", h.meta.source}, {"architecture", h.meta.source_architecture}}},
        {"family", c.family},
        {"architecture", c.architecture},
        {"layers", c.layers},
        {"hidden", c.hidden},
        {"heads", c.heads},
        {"ffn", c.ffn},
        {"vocab", c.vocab},
        {"max_positions", c.max_positions},
        {"max_tokens", c.max_tokens()},
        {"pad_id", c.pad_id},
        {"layer_norm_eps", c.layer_norm_eps},
        {"activation", c.activation},
        {"dtype", dtype_name(f.dtype())},
        {"num_labels", c.num_labels},
        {"labels", c.labels},
        {"head", head},
        {"head_activation", head_activation_name(c.head_activation)},
        {"tensors", f.tensors().size()},
        {"tensor_bytes", tensor_bytes},
        {"tokenizer", h.tokenizer.kind},
        {"tokenizer_bytes", f.tokenizer_model().size()},
        {"file_bytes", f.file_size()},
        {"checksums", checks},
    };
    if (c.head_is_random) j["head_seed"] = c.head_seed;
    const EmbeddingSettings& e = c.embedding;
    nlohmann::json prompts = nlohmann::json::object();
    for (const Prompt& p : e.prompts) prompts[p.name] = p.text;
    j["embedding"] = {{"pooling", pooling_name(e.pooling)},
                      {"normalize", e.normalize},
                      {"prompts", prompts},
                      {"default_prompt", e.default_prompt},
                      {"max_tokens", c.embedding_max_tokens()},
                      {"from", e.origin.empty() ? "defaults" : e.origin}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%s\n", path.c_str());
  std::printf("  format        bte v%u, written by %s from \"%s\" (%s)\n", h.meta.format_version,
              h.meta.writer.c_str(), h.meta.source.c_str(), h.meta.source_architecture.c_str());
  std::printf("  architecture  %s (family %s)\n", c.architecture.c_str(), c.family.c_str());
  std::printf("  sizes         %d layers, hidden %d, %d heads of %d, ffn %d, vocab %d\n", c.layers,
              c.hidden, c.heads, c.head_dim(), c.ffn, c.vocab);
  std::printf("  positions     %d (at most %d tokens per text), pad id %d\n", c.max_positions,
              c.max_tokens(), c.pad_id);
  std::printf("  layer norm    eps %g; activation %s\n", double(c.layer_norm_eps),
              c.activation.c_str());
  if (f.dtype() == DType::I8)
    std::printf("  dtype         int8 (the layers' linear weights, per output channel with fp32 "
                "scales; embeddings and head bf16; biases and LayerNorm fp32)\n");
  else
    std::printf("  dtype         %s (2-D weights; biases and LayerNorm fp32)\n", dtype_name(f.dtype()));
  if (!c.has_head()) {
    std::printf("  head          none (bare encoder: embeddings only)\n");
  } else {
    std::string labels;
    for (size_t i = 0; i < c.labels.size() && i < 20; ++i) labels += (i ? ", " : "") + c.labels[i];
    if (c.labels.size() > 20) labels += ", ...";
    if (c.head_is_random)
      std::printf("  head          RANDOM (seed %llu): untrained, its outputs mean nothing\n",
                  (unsigned long long)c.head_seed);
    else
      std::printf("  head          trained\n");
    std::printf("  scores        %s of the logits\n", head_activation_name(c.head_activation));
    std::printf("  labels        %d: %s\n", c.num_labels, labels.c_str());
  }
  {
    const EmbeddingSettings& e = c.embedding;
    std::printf("  embedding     %s pooling%s, at most %d tokens per text (%s)\n",
                pooling_name(e.pooling), e.normalize ? ", L2-normalised" : "",
                c.embedding_max_tokens(),
                e.origin.empty() ? "bte's defaults" : ("from " + e.origin).c_str());
    for (const Prompt& p : e.prompts)
      std::printf("  prompt        %s%s: %s\n", escape_label(p.name).c_str(),
                  p.name == e.default_prompt ? " (default)" : "", escape_label(p.text).c_str());
  }
  std::printf("  tensors       %zu, %llu bytes\n", f.tensors().size(), (unsigned long long)tensor_bytes);
  std::printf("  tokenizer     %s, %zu bytes embedded\n", h.tokenizer.kind.c_str(),
              f.tokenizer_model().size());
  std::printf("  file          %zu bytes\n", f.file_size());
  std::printf("  checksums     %s (%s)\n", checks.c_str(), kBteChecksumName);
  return 0;
}

}  // namespace bte::cli
