#include "engine/engine.h"

#include <cmath>
#include <functional>

#include "base/check.h"
#include "engine/cuda_backend.h"
#include "engine/host_backends.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/ops.h"
#include "base/utf8.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "models/family.h"
#include "weights/bte_file.h"

namespace bte {

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Reference: return "reference";
    case Mode::Fused: return "fused";
    case Mode::Packed: return "packed";
  }
  return "?";
}

Mode parse_mode(std::string_view n) {
  if (n == "reference") return Mode::Reference;
  if (n == "fused") return Mode::Fused;
  if (n == "packed") return Mode::Packed;
  BTE_FAIL(ErrorKind::BadInput, "unknown mode '", n, "' (expected reference, fused or packed)");
}

const char* device_name(Device d) { return d == Device::Cpu ? "cpu" : "cuda"; }

Device parse_device(std::string_view n) {
  if (n == "cpu") return Device::Cpu;
  if (n == "cuda" || n == "gpu") return Device::Cuda;
  BTE_FAIL(ErrorKind::BadInput, "unknown device '", n, "' (expected cpu or cuda)");
}

namespace {

// `o` with dtype_from_file resolved for a file of `file_dtype` (F32 for
// weights that come from no file).
EngineOptions resolve_dtype(EngineOptions o, DType file_dtype) {
  if (o.dtype_from_file)
    o.dtype = file_dtype == DType::I8 && o.device == Device::Cpu ? DType::I8 : DType::F32;
  o.dtype_from_file = false;
  return o;
}

void check_device(const EngineOptions& o) {
  BTE_REQUIRE(o.threads >= 0 && o.threads <= EngineOptions::kMaxThreads, ErrorKind::BadInput,
              "threads must be in [0, ", EngineOptions::kMaxThreads, "], got ", o.threads);
  if (o.device == Device::Cpu) {
    BTE_REQUIRE(o.dtype != DType::F16, ErrorKind::Unsupported,
                "dtype fp16 is a GPU precision; on the CPU use fp32 or bf16");
    BTE_REQUIRE(o.dtype != DType::BF16 || cpu::has_native_bf16(), ErrorKind::Unsupported,
                "dtype bf16 needs a CPU with AVX512_BF16 or AMX (this one has: ",
                cpu::cpu_flags_string(), "); bte does not emulate bf16 slowly: use fp32");
    return;
  }
  BTE_REQUIRE(o.dtype != DType::I8, ErrorKind::Unsupported,
              "dtype int8 runs on the CPU only (--device cpu); on CUDA use fp16 or bf16");
  BTE_REQUIRE(cuda::built_with_cuda(), ErrorKind::Unsupported,
              "device cuda: this bte was built without CUDA (nvcc was not found at build time)");
  BTE_REQUIRE(cuda::device_count() > 0, ErrorKind::Device, "device cuda: ",
              cuda::device_summary());
}

// Index of the first NaN or infinity in x[0, n), or n.
size_t first_non_finite(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return i;
  return n;
}

// Results that are not finite numbers come from the model (weights holding NaN
// or infinity, or values past the range of the compute precision), never from
// the texts: refused as Error(BadModel) naming the output and the batch row,
// for every backend, rather than handed on to print as "nan".
void check_finite(const RunOutputs& out, const PackedBatch& batch) {
  const char* hint =
      "; the model's weights hold NaN or infinity, or its activations overflow in the "
      "compute precision";
  auto check = [&](const std::vector<float>& v, const char* what, size_t row_len) {
    if (row_len == 0) return;
    const size_t k = first_non_finite(v.data(), v.size());
    BTE_REQUIRE(k == v.size(), ErrorKind::BadModel, "the model's output '", what, "' for text ",
                k / row_len, " of the batch is not a finite number (column ", k % row_len, ")",
                hint);
  };
  check(out.logits, "logits", size_t(out.num_labels));
  check(out.probs, "probs", size_t(out.num_labels));
  check(out.cls, "cls", size_t(out.hidden));
  check(out.mean, "mean", size_t(out.hidden));
  check(out.max, "max", size_t(out.hidden));
  // Per-token outputs: packed rows, told as (text, token).
  auto check_tokens = [&](const std::vector<float>& v, const char* what, size_t row_len) {
    if (row_len == 0) return;
    const size_t k = first_non_finite(v.data(), v.size());
    if (k == v.size()) return;
    const int64_t row = int64_t(k / row_len);
    int seq = 0;
    while (seq + 1 < batch.n_seqs() && batch.cu_seqlens[seq + 1] <= row) ++seq;
    BTE_FAIL(ErrorKind::BadModel, "the model's output '", what, "' for text ", seq,
             " of the batch is not a finite number (token ", row - batch.cu_seqlens[seq],
             ", column ", k % row_len, ")", hint);
  };
  check_tokens(out.token_logits, "token_logits", size_t(out.num_labels));
  check_tokens(out.hidden_states, "hidden_states", size_t(out.hidden));
}

}  // namespace

Engine::Engine(ModelWeights weights, std::unique_ptr<Tokenizer> tokenizer,
               const EngineOptions& options)
    : weights_(std::move(weights)), tokenizer_(std::move(tokenizer)), options_(options) {
  // An int8 file's rows go as stored only to the CPU's int8 path; for any
  // other precision or device its weights are widened to fp32 here, once.
  if (options_.device == Device::Cuda || options_.dtype != DType::I8) weights_.widen_quantized();
}

Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::load(const std::string& path, const EngineOptions& options) {
  check_device(options);
  auto file = std::make_shared<const BteFile>(BteFile::open(path));
  const TokenizerRecord& t = file->header().tokenizer;
  const ModelConfig& c = file->config();
  if (!model_family(c.family).takes_tokenizer(t.kind)) {
    std::string kinds;
    for (const std::string& k : model_family(c.family).tokenizer_kinds)
      kinds += (kinds.empty() ? "\"" : " or \"") + k + "\"";
    BTE_FAIL(ErrorKind::BadModel, path, ": a ", c.family, " model with a \"", t.kind,
             "\" tokenizer; ", c.family, " models take ", kinds);
  }
  std::unique_ptr<Tokenizer> tok =
      load_tokenizer(t.kind, t.settings, file->tokenizer_model(), c.vocab, path);
  BTE_REQUIRE(tok->pad_id() == c.pad_id, ErrorKind::BadModel, path, ": config.pad_id ", c.pad_id,
              " differs from the tokenizer's padding id ", tok->pad_id());
  std::unique_ptr<Engine> e(
      new Engine(ModelWeights::from_file(file), std::move(tok), resolve_dtype(options, file->dtype())));
  e->file_ = std::move(file);
  return e;
}

std::unique_ptr<Engine> Engine::from_weights(ModelWeights weights,
                                             std::unique_ptr<Tokenizer> tokenizer,
                                             const EngineOptions& options) {
  check_device(options);
  return std::unique_ptr<Engine>(
      new Engine(std::move(weights), std::move(tokenizer), resolve_dtype(options, DType::F32)));
}

const Tokenizer& Engine::tokenizer() const {
  BTE_CHECK(tokenizer_, "this engine has no tokenizer");
  return *tokenizer_;
}

PackedBatch Engine::pack(size_t n, const char* what, int max_tokens, Truncation truncation,
                         std::vector<int>* truncated,
                         const std::function<Encoding(size_t)>& encode_one) const {
  std::vector<std::vector<int32_t>> seqs(n), types(n);
  // Segment ids reach the model only when it has a table for them (BERT);
  // XLM-R and DistilBERT take none, as their Hugging Face tokenizers give none.
  const bool typed = config().token_types > 1;
  for (size_t i = 0; i < n; ++i) {
    Encoding e;
    try {
      e = encode_one(i);
    } catch (const Error& err) {
      BTE_FAIL(err.kind(), what, " ", i, ": ", err.what());
    }
    if (e.truncated()) {
      BTE_REQUIRE(truncation == Truncation::Truncate, ErrorKind::BadInput, what, " ", i, " has ",
                  e.full_length, " tokens; the model takes at most ", max_tokens);
      if (truncated) truncated->push_back(int(i));
    }
    seqs[i] = std::move(e.ids);
    if (typed) types[i] = std::move(e.type_ids);
  }
  return PackedBatch::from_ids(seqs, types, config().first_position(), max_tokens);
}

PackedBatch Engine::encode(const std::vector<std::string>& texts, Truncation truncation,
                           std::vector<int>* truncated, std::string_view prefix,
                           int max_length) const {
  const int max_tokens = max_length > 0 ? std::min(max_length, config().max_tokens())
                                        : config().max_tokens();
  std::string prompted;
  return pack(texts.size(), "text", max_tokens, truncation, truncated, [&](size_t i) {
    if (prefix.empty()) return tokenizer().encode(texts[i], max_tokens);
    // The text's own bytes first, so a message counts them, not the prompt's.
    const size_t bad = find_invalid_utf8(texts[i]);
    BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput, "invalid UTF-8 at byte ", bad,
                " of a ", texts[i].size(), "-byte text");
    prompted.assign(prefix);
    prompted += texts[i];
    return tokenizer().encode(prompted, max_tokens);
  });
}

PackedBatch Engine::encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                 Truncation truncation, std::vector<int>* truncated,
                                 int max_length) const {
  const int max_tokens = max_length > 0 ? std::min(max_length, config().max_tokens())
                                        : config().max_tokens();
  BTE_REQUIRE(max_tokens >= 4, ErrorKind::BadInput, "a pair needs room for 4 special tokens; ",
              max_tokens, " is the most this call takes");
  return pack(pairs.size(), "pair", max_tokens, truncation, truncated, [&](size_t i) {
    return tokenizer().encode_pair(pairs[i].first, pairs[i].second, max_tokens);
  });
}

Backend& Engine::backend(Mode mode) {
  // caller holds mu_
  const bool gpu = options_.device == Device::Cuda;
  if (mode == Mode::Reference) {
    if (!reference_) {
      // It computes in fp32: an int8 engine's rows are widened on its first
      // use (the constructor widened every other case; a no-op then).
      weights_.widen_quantized();
      reference_ = gpu ? make_cuda_backend(weights_, /*slow_path=*/true, DType::F32)
                       : make_reference_backend(weights_, options_.threads);
    }
    return *reference_;
  }
  if (!fast_)
    fast_ = gpu ? make_cuda_backend(weights_, /*slow_path=*/false, options_.dtype)
                : make_cpu_backend(weights_, options_.threads, options_.dtype);
  return *fast_;
}

void Engine::prepare(Mode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  backend(mode);
}

std::string Engine::describe(Mode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::string(mode_name(mode)) + " on " + device_name(options_.device) + ": " +
         backend(mode).describe() + (mode == Mode::Packed ? ", packed rows (no padding)"
                                                          : ", padded rows");
}

RunOutputs Engine::run(const PackedBatch& batch, Mode mode, const RunRequest& request) {
  std::unique_ptr<Runner> runner;
  Backend* b;
  {
    std::lock_guard<std::mutex> lock(mu_);
    b = &backend(mode);
    for (auto it = idle_runners_.begin(); it != idle_runners_.end(); ++it) {
      if (it->first == b) {
        runner = std::move(it->second);
        idle_runners_.erase(it);
        break;
      }
    }
  }
  if (!runner) runner = std::make_unique<Runner>(*b, config());
  RunRequest req = request;
  req.padded = mode != Mode::Packed;
  RunOutputs out = runner->run(batch, req);
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_runners_.emplace_back(b, std::move(runner));
  }
  check_finite(out, batch);
  return out;
}

}  // namespace bte
