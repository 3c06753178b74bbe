// The engine's C++ face: a loaded model, its tokenizer, and one call that
// runs a batch in one of the tutorial's three modes.
//
//   auto engine = bte::Engine::load("model.bte", {});
//   bte::PackedBatch b = engine->encode({"Hello world", "How are you!"});
//   bte::RunRequest req;
//   req.outputs.logits = true;
//   bte::RunOutputs out = engine->run(b, bte::Mode::Packed, req);
//
// run() is thread-safe: concurrent calls run in parallel, each on its own
// workspace from a pool.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/backend.h"
#include "engine/model_weights.h"
#include "engine/packed_batch.h"
#include "engine/profiler.h"
#include "engine/runner.h"
#include "tokenizer/tokenizer.h"
#include "base/dtype.h"

namespace bte {

class BteFile;

// The Better Transformer tutorial's three ways to run the encoder.
enum class Mode {
  Reference,  // padded, unfused, plain loops: the slow path
  Fused,      // padded, fused kernels: the fast path (native MHA)
  Packed,     // packed variable-length rows, fused kernels: fast path + sparsity
};
const char* mode_name(Mode m);
Mode parse_mode(std::string_view name);  // throws Error(BadInput)

enum class Device { Cpu, Cuda };
const char* device_name(Device d);
Device parse_device(std::string_view name);

struct EngineOptions {
  Device device = Device::Cpu;
  int threads = 0;  // CPU threads; 0 = all cores; at most kMaxThreads
  static constexpr int kMaxThreads = 1024;  // OpenMP teams beyond this fail inside libgomp
  // Compute precision of the fused and packed modes (the reference mode is
  // always fp32). CPU: fp32, or bf16 where the CPU runs it natively
  // (AVX512_BF16 / AMX) — elsewhere bf16 is refused, never emulated slowly.
  DType dtype = DType::F32;
  // Take the precision from the model file instead (Engine::load; `dtype` is
  // then ignored): int8 for an int8 .bte on the CPU, whose rows go to the
  // int8 GEMMs as stored, fp32 otherwise. options() reports the result.
  bool dtype_from_file = false;
};

// What to do with a text longer than the model takes.
enum class Truncation { Truncate, Refuse };

class Engine {
 public:
  // Maps and validates a .bte file. Throws Error(BadModel) or Error(Device).
  static std::unique_ptr<Engine> load(const std::string& path, const EngineOptions& options);
  // From weights in memory (benchmarks: a random model of a named size).
  static std::unique_ptr<Engine> from_weights(ModelWeights weights,
                                              std::unique_ptr<Tokenizer> tokenizer,
                                              const EngineOptions& options);
  ~Engine();

  const ModelConfig& config() const { return weights_.config; }
  const ModelWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const;
  const EngineOptions& options() const { return options_; }

  // Texts -> a packed batch with the model's maximum length. Over-long texts
  // are truncated (their indices appended to *truncated when given) or, with
  // Truncation::Refuse, refused with Error(BadInput) naming the text.
  // `prefix` (a prompt's text) is put before each text; max_tokens > 0
  // truncates there instead (at most the model's maximum).
  PackedBatch encode(const std::vector<std::string>& texts,
                     Truncation truncation = Truncation::Truncate,
                     std::vector<int>* truncated = nullptr, std::string_view prefix = {},
                     int max_tokens = 0) const;

  // (first, second) pairs -> a packed batch in the tokenizer's pair template
  // (a cross-encoder's input), truncated "longest_first" to the model's
  // maximum, or max_tokens when > 0 and smaller (their indices appended to
  // *truncated), or refused.
  PackedBatch encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                           Truncation truncation = Truncation::Truncate,
                           std::vector<int>* truncated = nullptr, int max_tokens = 0) const;

  RunOutputs run(const PackedBatch& batch, Mode mode, const RunRequest& request);

  // Builds the mode's backend now, which run() otherwise does on its first
  // call: the CPU fast path reorders the weights into oneDNN's blocked layout
  // (~0.45 s on large), the GPU uploads them. A server calls it at start-up so
  // that its first request is not the slow one, and so that a failure there
  // (too little GPU memory, say) comes at load.
  void prepare(Mode mode);

  // Which path a mode runs: backend, kernels, ISA, threads. Never a silent fallback.
  std::string describe(Mode mode);

 private:
  Engine(ModelWeights weights, std::unique_ptr<Tokenizer> tokenizer, const EngineOptions& options);
  Backend& backend(Mode mode);
  // encode_one(i) for i < n, each truncated or refused, into one batch;
  // messages name the item as "<what> <i>".
  PackedBatch pack(size_t n, const char* what, int max_tokens, Truncation truncation,
                   std::vector<int>* truncated,
                   const std::function<Encoding(size_t)>& encode_one) const;

  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  EngineOptions options_;
  std::shared_ptr<const BteFile> file_;

  std::mutex mu_;  // guards the backends' creation and the runner pools
  std::unique_ptr<Backend> reference_, fast_;
  std::vector<std::pair<Backend*, std::unique_ptr<Runner>>> idle_runners_;
};

}  // namespace bte
