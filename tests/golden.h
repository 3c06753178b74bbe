// Golden files from tools/oracle (format "bte-golden" version 1) and the
// checkpoints they belong to, converted to .bte with the real `bte convert`.
#pragma once

#include <string>
#include <vector>

namespace bte::test {

struct GoldenCase {
  std::string text;
  std::vector<int32_t> ids;
  bool truncated = false;
  std::vector<float> hidden;  // [L, d]
  std::vector<float> cls, mean, cls_l2, mean_l2, logits, probs;
};

struct Golden {
  int hidden = 0, num_labels = 0;
  std::vector<std::string> labels;
  std::vector<GoldenCase> cases;
};

// Reads DIR/expected.json, checking magic and version.
Golden load_golden(const std::string& path);
// Runs `bte convert HF_DIR -o OUT [extra]` and returns OUT (in a fresh temp
// dir), once per (HF_DIR, extra) in a process: callers only read OUT.
std::string convert_checkpoint(const std::string& hf_dir, const std::string& extra_args = "");

}  // namespace bte::test
